"""Backups of a data folder (a consistent copy of the store and the published snapshot) and restores."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from index.clock import now_iso
from index.lock import WriteLock
from index.snapshots.files import MANIFEST, READERS, SNAPSHOTS, fsync_dir, next_version, read_current, write_atomic

BACKUP_INFO = "backup.json"


def backup(data_dir: Path, dest: Path, store_name: str, lock_timeout: float = 30.0) -> dict[str, Any]:
    """Copy the store (SQLite online backup) and the current snapshot, if there is one, into `dest`
    (new or empty). With no snapshot (the Milvus backend) the store alone is the backup: every index
    is rebuilt from it without re-embedding."""
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest}: backup folder must be new or empty")
    version = read_current(data_dir)
    if version is None and not (data_dir / store_name).exists():
        raise FileNotFoundError(f"{data_dir}: no store and nothing published yet, nothing to back up")
    dest.mkdir(parents=True, exist_ok=True)
    with WriteLock(data_dir, timeout=lock_timeout, purpose="backup"):
        src = sqlite3.connect(data_dir / store_name)
        dst = sqlite3.connect(dest / store_name)
        try:
            src.backup(dst)
            counts = {"documents": dst.execute("SELECT COUNT(*) FROM articles").fetchone()[0],
                      "passages": dst.execute("SELECT COUNT(*) FROM passages").fetchone()[0]}
        finally:
            dst.close()
            src.close()
        if version is not None:
            shutil.copytree(data_dir / SNAPSHOTS / version, dest / SNAPSHOTS / version,
                            ignore=shutil.ignore_patterns(READERS))
    info: dict[str, Any] = {"created_at": now_iso(),
                            "version": version or "", "counts": counts, "embedder": None, "store": store_name}
    if version is not None:
        manifest = json.loads((dest / SNAPSHOTS / version / MANIFEST).read_text(encoding="utf-8"))
        info.update(counts=manifest["counts"], embedder=manifest["embedder"])
        write_atomic(dest / "CURRENT", version + "\n")
    (dest / BACKUP_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return info


def restore(src: Path, data_dir: Path, store_name: str, lock_timeout: float = 30.0) -> dict[str, Any]:
    """Put a backup back: the store is replaced and its snapshot published as a new version.

    Stop running services first: an open SQLite connection keeps reading the replaced file."""
    info_path = src / BACKUP_INFO
    if not info_path.exists():
        raise FileNotFoundError(f"{src}: not an articleqa backup ({BACKUP_INFO} is missing)")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    snapshot = src / SNAPSHOTS / info["version"] if info["version"] else None
    if (snapshot is not None and not (snapshot / MANIFEST).exists()) or not (src / store_name).exists():
        raise FileNotFoundError(f"{src}: backup is incomplete (store or snapshot {info['version']} missing)")
    data_dir.mkdir(parents=True, exist_ok=True)
    with WriteLock(data_dir, timeout=lock_timeout, purpose="restore"):
        tmp = data_dir / f".{store_name}.restore"
        shutil.copyfile(src / store_name, tmp)
        for suffix in ("-wal", "-shm"):
            (data_dir / f"{store_name}{suffix}").unlink(missing_ok=True)
        tmp.replace(data_dir / store_name)
        if snapshot is None:
            return {**info, "restored_as": ""}  # the store alone: the index is rebuilt from it
        version = next_version(data_dir)
        root = data_dir / SNAPSHOTS
        root.mkdir(exist_ok=True)
        staging = root / f".restore-{version}"
        shutil.copytree(snapshot, staging)
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
        manifest["version"] = version
        manifest["restored_from"] = {"backup": str(src), "version": info["version"]}
        write_atomic(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        staging.replace(root / version)
        fsync_dir(root)
        write_atomic(data_dir / "CURRENT", version + "\n")
    return {**info, "restored_as": version}
