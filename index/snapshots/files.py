"""A data folder's snapshot files: their names, the CURRENT pointer, atomic writes and checksums."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
DELTA = "delta"  # the delta segment's folder inside a snapshot
READERS = ".readers"  # processes that have the snapshot loaded hold a shared flock on it
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: str) -> None:
    """Write temp, fsync, os.replace, fsync the folder: readers see the old or the new file, whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_current(data_dir: Path) -> str | None:
    """The published snapshot version, or None before the first publish."""
    pointer = data_dir / CURRENT
    if not pointer.exists():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return version or None


def next_version(data_dir: Path) -> str:
    root = data_dir / SNAPSHOTS
    numbers = [int(p.name) for p in root.iterdir() if p.name.isdigit()] if root.exists() else []
    current = read_current(data_dir)
    if current and current.isdigit():
        numbers.append(int(current))
    return f"{max(numbers, default=0) + 1:06d}"


def verify_files(folder: Path, manifest: dict[str, Any], checksums: bool) -> list[str]:
    """Problems with the files a manifest lists: missing, wrong size, or (with checksums) wrong hash."""
    problems = []
    for name, info in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != info["bytes"]:
            problems.append(f"{name} has {path.stat().st_size} bytes, manifest says {info['bytes']}")
        elif checksums and file_sha256(path) != info["sha256"]:
            problems.append(f"{name} checksum differs from the manifest")
    return problems
