"""`articleqa watch`: one log line per publish naming what was added and refused; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, TINY_ARTICLES

# Subprocesses with no ARTICLEQA_ variable of this run: the same test on either backend pass.
pytestmark = pytest.mark.own_backend


def test_watch_logs_one_line_per_publish_and_stops_on_sigterm(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEQA_")}
    env.update(ARTICLEQA_DATA_DIR=str(tmp_path / "data"), ARTICLEQA_WATCH_DEBOUNCE_MS="1000",
               ARTICLEQA_WATCH_SETTLE_S="0.3")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "watch", str(inbox)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("watching" in ln for ln in lines) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # the first pass (empty folder) is done once it says it is watching
        for name, text in TINY_ARTICLES.items():
            (inbox / name).write_text(text, encoding="utf-8")
        (inbox / "memo.docx").write_bytes("写成 .docx 的纯文本".encode())
        deadline = time.monotonic() + 90
        while not any("watch: added" in ln for ln in lines) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3.0)  # a second publish for the same burst would show up here
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    published = [ln for ln in lines if "watch: " in ln]
    assert len(published) == 1, lines
    line = published[0]
    assert "added card-types, risk, ux" in line
    assert "memo.docx: not a zip archive" in line
    assert re.search(r"→ index \d{6} \(", line), line
