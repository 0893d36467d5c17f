"""The SQLite store, dense and keyword indexes, snapshots, hybrid search and extractive answers."""
