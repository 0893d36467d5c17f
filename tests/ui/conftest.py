"""Fixtures for the page tests: where the API is, the admin key, and AppTest runs of ui/app.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest
from ui_fake_api import FakeApi, free_port

from service.settings import Settings
from tests.helpers.live_server import ADMIN_KEY as LIVE_ADMIN_KEY
from tests.helpers.live_server import Api, copy_data_dir, make_settings

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


@pytest.fixture(scope="session")
def real_api(tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path,
             start_server: Callable[[Settings], Api]) -> Api:
    """The real service on a free loopback port, over a private copy of the shipped corpus's index."""
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("ui-api") / "data")
    return start_server(make_settings(data_dir, admin_key=SecretStr(LIVE_ADMIN_KEY)))


@pytest.fixture
def api_url(real_api: Api) -> str:
    """Base URL of the API the page talks to: the real service (tests that inspect what the page
    sent use `fake_url` instead)."""
    return real_api.base_url


@pytest.fixture
def admin_key() -> str:
    """The admin key the API at `api_url` accepts for writes."""
    return LIVE_ADMIN_KEY


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
