"""Test kit shared by the test folders: a live server, office files built in code, a fake embedder."""
