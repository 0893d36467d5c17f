"""The launcher's command line and environment (the process itself is exercised by the e2e test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ui import launch


def test_command_is_headless_streamlit_on_the_app() -> None:
    cmd = launch.command(8765)
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(cmd[4]).name == "app.py" and Path(cmd[4]).is_file()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags == {
        "--server.headless": "true",
        "--server.port": "8765",
        "--server.address": "127.0.0.1",
        "--browser.gatherUsageStats": "false",
        "--client.toolbarMode": "minimal",
        "--theme.primaryColor": launch.PRIMARY,
    }


def test_run_passes_api_url_to_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_popen(cmd: list[str], **kwargs: object) -> object:
        seen.update(kwargs, cmd=cmd)
        return object()

    monkeypatch.setattr(subprocess, "Popen", fake_popen)
    launch.run(9001, "http://127.0.0.1:9000", api_key="k")
    env = seen["env"]
    assert isinstance(env, dict)
    assert env["ARTICLEQA_API_URL"] == "http://127.0.0.1:9000" and env["ARTICLEQA_API_KEY"] == "k"
    assert "9001" in seen["cmd"]  # type: ignore[operator]
