"""serve(): the production entry point in a subprocess, with one JSON log line per request on stderr."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.server import is_loopback
from tests.helpers.live_server import ADMIN_KEY, copy_data_dir

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_logs_json_lines(tmp_path: Path, built_data_dir: Path) -> None:
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    port = _free_port()
    env = {
        **os.environ,
        "ARTICLEQA_DATA_DIR": str(data_dir),
        "ARTICLEQA_ADMIN_KEY": ADMIN_KEY,
        "PYTHONPATH": str(ROOT),
    }
    code = (
        "from service.server import serve; from service.settings import Settings; "
        f"serve(Settings(), port={port})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "server exited"
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)
        r = httpx.delete(
            f"http://127.0.0.1:{port}/documents/nope",
            headers={"X-API-Key": ADMIN_KEY, "X-Request-ID": "serve-test-1"},
        )
        assert r.status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "serve-test-1"]
    assert len(mine) == 1
    assert (
        mine[0]["status"] == 404
        and mine[0]["method"] == "DELETE"
        and mine[0]["route"] == "/documents/{doc_id}"
    )
    assert "ts" in mine[0] and mine[0]["ms"] >= 0
    assert ADMIN_KEY not in err
    assert all(line.startswith("{") for line in err.splitlines() if line.strip()), err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("example.com", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
