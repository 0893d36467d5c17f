"""Start the page as a `streamlit run` subprocess: what `articleqa ui [--port 8501]` calls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

APP = Path(__file__).with_name("app.py")
PRIMARY = "#3b7ddd"  # matches the source badges of ui/theme.py


def command(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    """The `streamlit run` command line for the page (headless, no usage statistics)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", address,
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--theme.primaryColor", PRIMARY,
    ]  # fmt: skip


def run(
    port: int = 8501,
    api_url: str | None = None,
    *,
    api_key: str | None = None,
    address: str = "127.0.0.1",
    stdout: int | IO[bytes] | None = None,
    stderr: int | IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start streamlit serving ui/app.py on `address:port`, pointed at `api_url`; the caller stops it.

    `api_url`/`api_key` override ARTICLEQA_API_URL/ARTICLEQA_API_KEY for the child only; `stdout` and
    `stderr` go to subprocess.Popen (e.g. subprocess.DEVNULL).
    """
    env = dict(os.environ)
    if api_url is not None:
        env["ARTICLEQA_API_URL"] = api_url
    if api_key is not None:
        env["ARTICLEQA_API_KEY"] = api_key
    root = str(APP.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(command(port, address), env=env, cwd=root, stdout=stdout, stderr=stderr)
