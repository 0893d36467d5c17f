"""Versioned, self-describing index snapshots and the atomically switched CURRENT pointer."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.dense import DenseIndex
from index.keyword import KeywordIndex

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
READERS = ".readers"  # processes that have the snapshot loaded hold a shared flock on it
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"


class SnapshotError(RuntimeError):
    """A snapshot is missing, incomplete, corrupted, or was built differently from what is asked."""


@dataclass(frozen=True)
class PassageRow:
    """A passage as a snapshot stores it, with its article's title and URL for the citation."""

    row: int
    passage_id: str
    doc_id: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    text: str
    tokens: str
    title: str
    url: str


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


def write_snapshot(
    folder: Path,
    manifest: dict[str, Any],
    rows: list[tuple[str, str, int, str, int, int, int, str, str]],
    documents: list[tuple[str, str, str, str, str, str]],
    dense: DenseIndex,
    keyword: KeywordIndex,
) -> dict[str, Any]:
    """Write every file of a snapshot into `folder` (not yet published) and return its manifest."""
    folder.mkdir(parents=True)
    dense.save(folder / "dense.faiss")
    keyword.save(folder / "keyword")
    meta = sqlite3.connect(folder / "meta.sqlite")
    try:
        meta.executescript(
            "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT, url TEXT, publisher TEXT,"
            " published_at TEXT, updated_at TEXT);"
            "CREATE TABLE passages (row INTEGER PRIMARY KEY, passage_id TEXT UNIQUE, doc_id TEXT, ordinal INTEGER,"
            " section TEXT, paragraph INTEGER, char_start INTEGER, char_end INTEGER, text TEXT, tokens TEXT);"
        )
        meta.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?)", documents)
        meta.executemany(
            "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?)", [(i, *r) for i, r in enumerate(rows)]
        )
        meta.commit()
    finally:
        meta.close()
    doc_index = {d[0]: i for i, d in enumerate(documents)}
    np.save(folder / "row_doc.npy", np.array([doc_index[r[1]] for r in rows], dtype=np.int32))
    (folder / READERS).touch()
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != READERS):
        files[str(path.relative_to(folder))] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    manifest = {**manifest, "format": FORMAT_VERSION, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    fsync_dir(folder)
    return manifest


def publish(data_dir: Path, staging: Path, version: str, keep: int = 3) -> Path:
    """Move a finished snapshot into place and switch CURRENT to it; prune old snapshots."""
    root = data_dir / SNAPSHOTS
    final = root / version
    os.replace(staging, final)
    fsync_dir(root)
    write_atomic(data_dir / CURRENT, version + "\n")
    prune(data_dir, keep=keep)
    return final


def prune(data_dir: Path, keep: int = 3) -> None:
    """Remove snapshots older than the newest `keep` and leftovers of killed builds.

    A snapshot that some process still has loaded (it holds a shared lock on its `.readers`
    file) is left for a later prune: its last reader finishes on intact files.
    """
    root = data_dir / SNAPSHOTS
    if not root.exists():
        return
    current = read_current(data_dir)
    versions = sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: p.name)
    for old in versions[:-keep] if keep > 0 else versions:
        if old.name != current:
            _remove_unless_read(old)
    for leftover in root.glob(".build-*"):
        pid = leftover.name.split("-")[1] if leftover.name.count("-") >= 2 else ""
        if not (pid.isdigit() and _pid_alive(int(pid))):
            shutil.rmtree(leftover, ignore_errors=True)


def _remove_unless_read(folder: Path) -> bool:
    """Delete a snapshot folder if no process holds it loaded; True when deleted."""
    try:
        fd = os.open(folder / READERS, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Snapshot:
    """A loaded, read-only snapshot: dense and keyword indexes plus the passage table."""

    def __init__(self, folder: Path, manifest: dict[str, Any], dense: DenseIndex, keyword: KeywordIndex,
                 row_doc: np.ndarray, doc_ids: list[str]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.dense = dense
        self.keyword = keyword
        self.row_doc = row_doc
        self.doc_ids = doc_ids
        self.doc_index = {d: i for i, d in enumerate(doc_ids)}
        self._meta = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._lease: int | None = os.open(folder / READERS, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._lease, fcntl.LOCK_SH)

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def size(self) -> int:
        return len(self.row_doc)

    @classmethod
    def load(cls, folder: Path, embedder_id: str | None = None, dim: int | None = None,
             dictionary_hash: str | None = None, verify: bool = False) -> Snapshot:
        """Load a snapshot; refuse one whose embedder, dimension or dictionary differs from the caller's."""
        manifest_path = folder / MANIFEST
        if not manifest_path.exists():
            raise SnapshotError(f"snapshot {folder}: {MANIFEST} is missing (incomplete or damaged snapshot)")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"snapshot {folder}: {MANIFEST} is not valid JSON ({exc})") from None
        if manifest.get("format") != FORMAT_VERSION:
            raise SnapshotError(
                f"snapshot {folder}: format {manifest.get('format')!r}, this articleqa reads {FORMAT_VERSION}"
            )
        check_compatible(manifest, embedder_id=embedder_id, dim=dim, dictionary_hash=dictionary_hash,
                         where=f"snapshot {folder.name}")
        problems = verify_files(folder, manifest, checksums=verify)
        if problems:
            raise SnapshotError(f"snapshot {folder}: " + "; ".join(problems))
        try:
            dense = DenseIndex.load(folder / "dense.faiss", manifest["dense"]["kind"])
            keyword = KeywordIndex.load(folder / "keyword")
            row_doc = np.load(folder / "row_doc.npy", mmap_mode="r")
            meta = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True)
            try:
                doc_ids = [r[0] for r in meta.execute("SELECT doc_id FROM documents ORDER BY rowid")]
            finally:
                meta.close()
        except SnapshotError:
            raise
        except Exception as exc:  # any library error here means damaged files
            raise SnapshotError(f"snapshot {folder}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
        n = int(manifest["counts"]["passages"])
        if not (len(dense) == len(keyword) == len(row_doc) == n):
            raise SnapshotError(
                f"snapshot {folder}: manifest says {n} passages but dense has {len(dense)}, "
                f"keyword {len(keyword)}, row map {len(row_doc)}"
            )
        if len(dense) and dense.dim != int(manifest["embedder"]["dim"]):
            raise SnapshotError(
                f"snapshot {folder}: dense index dimension {dense.dim} != manifest {manifest['embedder']['dim']}"
            )
        return cls(folder, manifest, dense, keyword, row_doc, doc_ids)

    def rows(self, rows: list[int]) -> list[PassageRow]:
        """Passage rows in the order asked."""
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        with self._lock:
            found = self._meta.execute(
                "SELECT p.row, p.passage_id, p.doc_id, p.section, p.paragraph, p.char_start, p.char_end, p.text,"
                f" p.tokens, d.title, d.url FROM passages p JOIN documents d USING (doc_id) WHERE p.row IN ({marks})",
                [int(r) for r in rows],
            ).fetchall()
        by_row = {r[0]: PassageRow(*r) for r in found}
        return [by_row[int(r)] for r in rows if int(r) in by_row]

    def rows_of_docs(self, doc_ids: list[str]) -> np.ndarray:
        wanted = [self.doc_index[d] for d in doc_ids if d in self.doc_index]
        if not wanted:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.isin(self.row_doc, wanted))

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._meta.execute(
                "SELECT d.doc_id, d.title, d.url, d.updated_at, COUNT(p.row) FROM documents d "
                "LEFT JOIN passages p USING (doc_id) GROUP BY d.doc_id ORDER BY d.doc_id"
            ).fetchall()
        return [{"doc_id": r[0], "title": r[1], "url": r[2], "updated_at": r[3], "passages": r[4]} for r in rows]

    def close(self) -> None:
        """Release the snapshot; a prune may then delete its files."""
        with self._lock:
            self._meta.close()
            if self._lease is not None:
                os.close(self._lease)  # drops the shared flock
                self._lease = None

    def __del__(self) -> None:
        # The engine swaps snapshots without waiting; the old one is released when its last
        # in-flight request drops it.
        lease = getattr(self, "_lease", None)
        if lease is not None:
            with contextlib.suppress(OSError):
                os.close(lease)
            self._lease = None


def check_compatible(manifest: dict[str, Any], *, embedder_id: str | None, dim: int | None,
                     dictionary_hash: str | None, where: str) -> None:
    """Raise SnapshotError naming the field when a snapshot was built with another embedder or dictionary."""
    emb = manifest.get("embedder", {})
    if embedder_id is not None and emb.get("id") != embedder_id:
        raise SnapshotError(
            f"{where} was built with embedder {emb.get('id')!r}, but queries would use {embedder_id!r}; "
            "rebuild the index (articleqa ingest --rebuild) or configure the same embedder"
        )
    if dim is not None and int(emb.get("dim", -1)) != dim:
        raise SnapshotError(f"{where} has dimension {emb.get('dim')}, the embedder produces {dim}")
    seg = manifest.get("segmenter", {})
    if dictionary_hash is not None and seg.get("dictionary_hash") != dictionary_hash:
        raise SnapshotError(
            f"{where} was built with segmenter dictionary {seg.get('dictionary_hash')!r}, the current one is "
            f"{dictionary_hash!r}; rebuild the index so keywords are cut the same way"
        )


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
