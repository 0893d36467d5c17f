"""Fixtures of the service tests: a data folder built once per session from corpus/, and live servers.

`built_data_dir` and `copy_data_dir` are useful to other test folders too (read-only: copy before writing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from service.settings import Settings
from tests.helpers.live_server import ADMIN_KEY, READ_KEY, Api, copy_data_dir, make_settings

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def api(
    tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path, start_server: Callable[[Settings], Api]
) -> Api:
    """The main server: a copy of the built index, an admin key and a read key, a 64 KiB upload cap."""
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("api") / "data")
    settings = make_settings(
        data_dir,
        admin_key=SecretStr(ADMIN_KEY),
        api_key=SecretStr(READ_KEY),
        max_upload_bytes=64 * 1024,
        cors_origins=["http://localhost:8501"],
    )
    return start_server(settings)


@pytest.fixture
def client(api: Api) -> Iterator[httpx.Client]:
    with api.client() as c:
        yield c
