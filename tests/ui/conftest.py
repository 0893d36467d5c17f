"""Fixtures for the page tests: where the API is, the admin key, and AppTest runs of ui/app.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_fake_api import ADMIN_KEY, FakeApi, free_port

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


@pytest.fixture(scope="session")
def fake_api() -> Iterator[FakeApi]:
    """The in-process fake API; it stands in for the real `service` app until that lands."""
    api = FakeApi().start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def fake_url(fake_api: FakeApi) -> str:
    """URL of the fake API with its state reset: for tests that inspect what the API was sent."""
    fake_api.state.reset()
    return fake_api.url


@pytest.fixture
def api_url(fake_url: str) -> str:
    """Base URL of the API the page talks to.

    Stand-in: today the fake from ui_fake_api.py. To run the page tests against the real service,
    change only this fixture (and `admin_key`) to start `service` on a free loopback port with a
    small temporary index (ARTICLEQA_ADMIN_KEY set) and return its URL; tests that use `fake_url`
    keep checking the page's requests against the fake.
    """
    return fake_url


@pytest.fixture
def admin_key() -> str:
    """The admin key the API at `api_url` accepts for writes."""
    return ADMIN_KEY


@pytest.fixture
def down_url() -> str:
    """A loopback URL where nothing listens: the API-unreachable state."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], AppTest]:
    """Build an AppTest of ui/app.py pointed at an API URL (through the settings env), after a first run."""
    monkeypatch.delenv("ARTICLEQA_API_KEY", raising=False)

    def make(url: str) -> AppTest:
        monkeypatch.setenv("ARTICLEQA_API_URL", url)
        at = AppTest.from_file(str(APP), default_timeout=30)
        return at.run()

    return make
