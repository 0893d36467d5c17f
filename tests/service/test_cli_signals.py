"""`articleqa up` and `articleqa ui` stop their children on SIGTERM and SIGHUP: the ports are free afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, TINY_ARTICLES

# Subprocesses with no ARTICLEQA_ variable of this run: the same test on either backend pass.
pytestmark = pytest.mark.own_backend


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _wait_until(check: object, proc: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the command exited early with {proc.returncode} while waiting for {what}"
        if callable(check) and check():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} not up within {timeout} s")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEQA_")}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in TINY_ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    env["ARTICLEQA_CORPUS_DIR"] = str(corpus)
    env["ARTICLEQA_DATA_DIR"] = str(tmp_path / "data")
    return env


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_up_stops_api_and_page_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    api_port, page_port = _free_port(), _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "up", "--port", str(api_port), "--ui-port", str(page_port)],
        cwd=REPO, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: _answers(f"http://127.0.0.1:{api_port}/healthz"), proc, 180, "the API")
        _wait_until(lambda: _answers(f"http://127.0.0.1:{page_port}/"), proc, 120, "the page")
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        assert _port_free(api_port), f"API port {api_port} still held after {sig.name}"
        assert _port_free(page_port), f"page port {page_port} still held after {sig.name}"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_ui_stops_the_page_on_sigterm(tmp_path: Path) -> None:
    page_port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "ui", "--port", str(page_port)],
                            cwd=REPO, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: _answers(f"http://127.0.0.1:{page_port}/"), proc, 120, "the page")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert _port_free(page_port), f"page port {page_port} still held after SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_up_with_watch_indexes_a_dropped_file(tmp_path: Path) -> None:
    api_port, page_port = _free_port(), _free_port()
    env = _env(tmp_path)
    env["ARTICLEQA_WATCH_DEBOUNCE_MS"] = "500"
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "up", "--watch", "--port", str(api_port), "--ui-port",
         str(page_port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{api_port}"
    try:
        _wait_until(lambda: _answers(f"{api}/readyz"), proc, 180, "the API")
        (Path(env["ARTICLEQA_CORPUS_DIR"]) / "glacier.txt").write_text(
            "冰川\n\n一、成因\n\n冰川由多年积雪压实形成,缓慢向低处流动。\n", encoding="utf-8")

        def found() -> bool:
            hits = httpx.post(f"{api}/search", json={"query": "冰川由多年积雪压实形成", "top_k": 1}, timeout=10)
            return hits.status_code == 200 and [h["doc_id"] for h in hits.json()["results"]][:1] == ["glacier"]

        _wait_until(found, proc, 60, "the dropped article")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert _port_free(api_port) and _port_free(page_port)
    finally:
        if proc.poll() is None:
            proc.kill()
