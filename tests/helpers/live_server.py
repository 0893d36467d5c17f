"""Test kit of the service tests: a real uvicorn server on a free loopback port (in a thread), the keys."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from service.settings import Settings

ADMIN_KEY = "admin-key-for-tests"
READ_KEY = "read-key-for-tests"
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test server: no .env file; no keys or model server inherited from ARTICLEQA_*."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "corpus_dir": data_dir.parent / "no-corpus",
        "admin_key": None,
        "api_key": None,
        "llm_base_url": "",
        "llm_api_key": None,
        "cors_origins": [],
        "max_upload_bytes": 5 * 1024 * 1024,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def copy_data_dir(src: Path, dst: Path) -> Path:
    """A private copy of a built data folder (SQLite store + snapshots + CURRENT)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("write.lock"))
    return dst


class LiveServer:
    """Serves `app` on 127.0.0.1:<free port> until stop(); lifespan runs as in production."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"uvicorn-{self.port}",
            daemon=True,
        )

    def start(self, timeout: float = 60.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("uvicorn exited during startup")
            if time.monotonic() > deadline:
                raise TimeoutError(f"uvicorn did not start within {timeout} s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(15)
        self._sock.close()


@dataclass
class Api:
    """A running server and what the tests need to know about it."""

    base_url: str
    settings: Settings
    server: LiveServer

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60.0, **kwargs)
