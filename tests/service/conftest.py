"""Fixtures of the service tests: a data folder built once per session from corpus/, and live servers.

`built_data_dir` and `copy_data_dir` are useful to other test folders too (read-only: copy before writing).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from service_live import ADMIN_KEY, READ_KEY, Api, LiveServer, copy_data_dir, make_settings

from service.app import create_app
from service.settings import Settings
from service.wiring import build_engine

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped corpus/ (two Chinese articles)."""
    return Path(shutil.copytree(SHIPPED_CORPUS, tmp_path_factory.mktemp("corpus") / "corpus"))


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A data folder ingested from the shipped corpus with the default embedder, built once per session.

    Treat it as read-only; tests that write take `copy_data_dir(built_data_dir, tmp_path / "data")`."""
    data_dir = tmp_path_factory.mktemp("built") / "data"
    engine = build_engine(make_settings(data_dir))
    try:
        report = engine.ingest([corpus_dir])
    finally:
        engine.close()
    assert not report.errors, report.errors
    assert report.documents == 2
    return data_dir


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[[Settings], Api]]:
    """Factory: start a live uvicorn server for these settings; all are stopped at the end of the session."""
    servers: list[LiveServer] = []

    def start(settings: Settings) -> Api:
        server = LiveServer(create_app(settings)).start()
        servers.append(server)
        return Api(server.base_url, settings, server)

    yield start
    for server in servers:
        server.stop()


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
