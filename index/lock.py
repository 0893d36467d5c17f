"""One writer at a time per data folder: an flock with a timeout and a message naming the holder."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

from ingest.errors import ArticleqaError


class LockTimeout(ArticleqaError, RuntimeError):
    """Another writer holds the data folder longer than we were willing to wait."""


class WriteLock:
    """Exclusive lock on `<data_dir>/write.lock`; released when the process dies, even by SIGKILL."""

    def __init__(self, data_dir: Path, timeout: float = 30.0, purpose: str = "write") -> None:
        self.path = Path(data_dir) / "write.lock"
        self.timeout = timeout
        self.purpose = purpose
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, json.JSONDecodeError):
            return "an unknown process"
        return f"pid {info.get('pid')} on {info.get('host')} ({info.get('purpose')}, since {info.get('since')})"

    def __enter__(self) -> WriteLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout(
                        f"{self.path.parent} is being written by {self.holder()}; waited {self.timeout:.0f} s"
                    ) from None
                time.sleep(0.05)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": self.purpose,
                "since": time.strftime("%Y-%m-%dT%H:%M:%S"), "argv": sys.argv[:3]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info, ensure_ascii=False).encode("utf-8"), 0)
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
