"""Versioned, self-describing index snapshots and the atomically switched CURRENT pointer."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.backend import Candidates
from index.bm25 import lucene_idf
from index.errors import IndexUnusable
from index.manifest import check_compatible
from index.snapshots.dense import DenseIndex
from index.snapshots.files import (
    CURRENT,
    DELTA,
    MANIFEST,
    READERS,
    SNAPSHOTS,
    file_sha256,
    fsync_dir,
    read_current,
    verify_files,
    write_atomic,
)
from index.snapshots.keyword import KeywordIndex
from index.snapshots.latent import LatentMatrix
from index.snapshots.segment import DocumentTuple, PassageTuple, Segment, write_segment
from index.types import PassageRow
from ingest.latent_terms import LatentTerms

FORMAT_VERSION = 2  # 2: the exact dense index is dense.npy (memory-mapped), no longer a FAISS file


class SnapshotError(IndexUnusable):
    """A snapshot (the FAISS backend's published index) is missing, incomplete, corrupted, or was built
    differently from what is asked."""


def write_snapshot(
    folder: Path,
    manifest: dict[str, Any],
    rows: list[PassageTuple],
    documents: list[DocumentTuple],
    dense: DenseIndex,
    keyword: KeywordIndex,
    base: tuple[Path, dict[str, Any]] | None = None,
    latent: LatentMatrix | None = None,
) -> dict[str, Any]:
    """Write every file of a snapshot into `folder` (not yet published) and return its manifest.

    With `base` (a published snapshot folder and its manifest), the rows form a delta segment in
    `delta/` and the base segment's files are hard links to the base's (immutable) files, with
    their checksums taken over from its manifest instead of recomputed."""
    folder.mkdir(parents=True)
    files: dict[str, Any] = {}
    if base is None:
        write_segment(folder, rows, documents, dense, keyword, latent)
    else:
        base_folder, base_manifest = base
        for name, info in base_manifest["files"].items():
            if name.startswith("delta/"):
                continue
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.link(base_folder / name, folder / name)
            files[name] = info
        write_segment(folder / DELTA, rows, documents, dense, keyword, latent)
    (folder / READERS).touch()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != READERS):
        name = str(path.relative_to(folder))
        if name not in files:
            files[name] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    manifest = {**manifest, "format": FORMAT_VERSION, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for d in (folder / DELTA, folder / "keyword", folder):
        if d.exists():
            fsync_dir(d)
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
    """A loaded, read-only snapshot: a base segment, optionally a delta segment of articles changed
    since the base was built, and the base articles that the delta replaces or that were deleted.

    Rows are numbered globally: base rows first, then delta rows. Dead rows (of replaced or deleted
    articles) are never returned."""

    def __init__(self, folder: Path, manifest: dict[str, Any], base: Segment, delta: Segment | None,
                 deleted_docs: frozenset[str]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.base = base
        self.delta = delta
        self.deleted_docs = deleted_docs
        # The base segment's indexes, for callers that look at one index (benchmarks).
        self.dense = base.dense
        self.keyword = base.keyword
        self.doc_ids = base.doc_ids + (delta.doc_ids if delta else [])
        if delta is None:
            self.row_doc: np.ndarray = base.row_doc
        else:
            self.row_doc = np.concatenate([np.asarray(base.row_doc), np.asarray(delta.row_doc) + len(base.doc_ids)])
        self.live = np.ones(len(self.row_doc), dtype=bool)
        if deleted_docs:
            dead = [i for i, d in enumerate(base.doc_ids) if d in deleted_docs]
            self.live[: len(base)] = ~np.isin(np.asarray(base.row_doc), dead)
        self._lock = threading.Lock()
        self._lease: int | None = os.open(folder / READERS, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._lease, fcntl.LOCK_SH)

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def size(self) -> int:
        """Rows, dead ones included (the length of every per-row array)."""
        return len(self.row_doc)

    @property
    def segments(self) -> list[Segment]:
        return [self.base] + ([self.delta] if self.delta is not None else [])

    @property
    def latent_id(self) -> str | None:
        """The latent-terms encoder the snapshot was built with, or None when it has no latent terms."""
        latent = self.manifest.get("latent")
        return str(latent["id"]) if isinstance(latent, dict) else None

    @classmethod
    def load(cls, folder: Path, embedder_id: str | None = None, dim: int | None = None,
             dictionary_hash: str | None = None, verify: bool = False, latent_id: str | None = None) -> Snapshot:
        """Load a snapshot; refuse one whose embedder, dimension, dictionary or latent-terms encoder differs
        from the caller's. One without latent terms loads (its searches go without them)."""
        manifest_path = folder / MANIFEST
        if not manifest_path.exists():
            raise SnapshotError(f"snapshot {folder}: {MANIFEST} is missing (incomplete or damaged snapshot)")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"snapshot {folder}: {MANIFEST} is not valid JSON ({exc})") from None
        if manifest.get("format") != FORMAT_VERSION:
            raise SnapshotError(
                f"snapshot {folder}: format {manifest.get('format')!r}, this articleqa reads {FORMAT_VERSION}; "
                "rebuild it with `articleqa ingest` (an older format is rebuilt, not extended)"
            )
        check_compatible(manifest, embedder_id=embedder_id, dim=dim, dictionary_hash=dictionary_hash,
                         where=f"snapshot {folder.name}")
        problems = verify_files(folder, manifest, checksums=verify)
        if problems:
            raise SnapshotError(f"snapshot {folder}: " + "; ".join(problems))
        seg = manifest.get("segments", {})
        kind = manifest["dense"]["kind"]
        latent = manifest.get("latent")
        if latent is not None and not (isinstance(latent, dict) and isinstance(latent.get("id"), str)
                                       and isinstance(latent.get("dim"), int)):
            raise SnapshotError(f"snapshot {folder}: manifest field 'latent' is {latent!r}, expected "
                                "{\"id\": str, \"dim\": int} or null")
        if latent is not None and latent_id is not None and latent["id"] != latent_id:
            raise SnapshotError(f"snapshot {folder}: built with latent terms {latent['id']!r}, but queries would "
                                f"use {latent_id!r}; rebuild the index (articleqa ingest --rebuild)")
        latent_dim = int(latent["dim"]) if latent is not None else None
        try:
            base = Segment(folder, kind, latent_dim=latent_dim)
            delta = (Segment(folder / DELTA, manifest["dense"].get("delta_kind", kind), offset=len(base),
                             latent_dim=latent_dim)
                     if seg.get("delta_rows") else None)
        except Exception as exc:  # any library error here means damaged files
            raise SnapshotError(f"snapshot {folder}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
        expected = [("base", base, int(seg.get("base_rows", manifest["counts"]["passages"])))]
        if delta is not None:
            expected.append(("delta", delta, int(seg["delta_rows"])))
        for name, part, n in expected:
            if not (len(part.dense) == len(part.keyword) == len(part) == n):
                raise SnapshotError(
                    f"snapshot {folder}: manifest says {n} {name} passages but dense has {len(part.dense)}, "
                    f"keyword {len(part.keyword)}, row map {len(part)}"
                )
            if part.latent is not None and len(part.latent) != n:
                raise SnapshotError(f"snapshot {folder}: manifest says {n} {name} passages but its latent terms "
                                    f"have {len(part.latent)} rows")
            if len(part.dense) and part.dense.dim != int(manifest["embedder"]["dim"]):
                raise SnapshotError(f"snapshot {folder}: dense index dimension {part.dense.dim} != manifest "
                                    f"{manifest['embedder']['dim']}")
        return cls(folder, manifest, base, delta, frozenset(seg.get("deleted_docs", ())))

    # -- retrieval over all segments ----------------------------------------------------------

    def known(self, terms: Sequence[str]) -> list[str]:
        """Query terms some passage contains."""
        return [t for t in terms if any(t in s.keyword.known([t]) for s in self.segments)]

    def keyword_scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every row. With a delta, each segment's scores are rescaled to IDFs over all live
        passages (segment-local IDFs would overrate terms that are rare in the small delta)."""
        known = self.known(terms)
        if self.delta is None and not self.deleted_docs:
            return self.base.keyword.scores(known)
        n_live = int(self.live.sum())
        # Document frequencies over live rows only: replaced and deleted articles no longer count.
        df_total = {t: sum(int(self.live[s.keyword.postings(t) + s.offset].sum()) for s in self.segments)
                    for t in set(known)}
        parts = []
        for s in self.segments:
            local = s.keyword.idf(list(df_total))
            weights = {t: (lucene_idf(n_live, df_total[t]) / local[t]) if local[t] else 0.0 for t in df_total}
            parts.append(s.keyword.scores(s.keyword.known(known), weights))
        scores = np.concatenate(parts)
        scores[~self.live] = 0.0
        return scores

    def dense_search(self, query: np.ndarray, k: int) -> np.ndarray:
        """Global rows of the k nearest live passages, best first."""
        found: list[tuple[float, int]] = []
        dead = int(len(self.live) - self.live.sum())
        for s in self.segments:
            scores, rows = s.dense.search(query, k + (dead if s is self.base else 0))
            found += [(float(sc), int(r) + s.offset) for sc, r in zip(scores, rows, strict=True)
                      if self.live[int(r) + s.offset]]
        found.sort(key=lambda x: -x[0])
        return np.array([r for _, r in found[:k]], dtype=np.int64)

    def dense_vectors(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), self.base.dense.dim), dtype=np.float32)
        for s in self.segments:
            mask = (rows >= s.offset) & (rows < s.offset + len(s))
            if mask.any():
                out[mask] = s.dense.vectors(rows[mask] - s.offset)
        return out

    def latent_scores(self, query: LatentTerms, rows: np.ndarray) -> np.ndarray | None:
        """The latent-terms dot product of the query with each row; None when the snapshot has none."""
        if self.latent_id is None:
            return None
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        for s in self.segments:
            mask = (rows >= s.offset) & (rows < s.offset + len(s))
            if mask.any() and s.latent is not None:
                out[mask] = s.latent.scores(query, rows[mask] - s.offset)
        return out

    def docs_of_rows(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        return [self.doc_ids[int(self.row_doc[int(r)])] for r in rows]

    def rows(self, rows: list[int]) -> list[PassageRow]:
        """Passage rows in the order asked."""
        found: dict[int, PassageRow] = {}
        with self._lock:
            for s in self.segments:
                local = [int(r) - s.offset for r in rows if s.offset <= int(r) < s.offset + len(s)]
                found.update(s.rows(local))
        return [found[int(r)] for r in rows if int(r) in found]

    # -- the SearchIndex interface (index/backend.py) --------------------------------------------

    def search_hybrid(self, query: np.ndarray | None, terms: Sequence[str] | None, k: int,
                      doc_ids: Sequence[str] | None = None) -> Candidates:
        """Dense top k ∪ keyword top k with exact scores; with `doc_ids`, every live row of those articles."""
        allowed = self.rows_of_docs(list(doc_ids)) if doc_ids else None
        if self.size == 0 or (allowed is not None and len(allowed) == 0):
            return Candidates.empty()
        kw_all = self.keyword_scores(terms) if terms is not None else None
        if allowed is not None:
            cand = allowed
        else:
            found: set[int] = set()
            if query is not None:
                found.update(int(r) for r in self.dense_search(query, k))
            if kw_all is not None and kw_all.any():
                n = min(k, self.size)
                top = np.argpartition(-kw_all, n - 1)[:n]
                found.update(int(r) for r in top if kw_all[r] > 0)
            cand = np.array(sorted(found), dtype=np.int64)
        dense = (self.dense_vectors(cand) @ query if query is not None
                 else np.zeros(len(cand), np.float32))
        keyword = kw_all[cand] if kw_all is not None else np.zeros(len(cand), np.float32)
        return Candidates(cand, np.asarray(dense, np.float32), np.asarray(keyword, np.float32))

    def search_dense(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        return _best(self.search_hybrid(query, None, k, doc_ids), k, by_keyword=False)

    def search_keyword(self, terms: Sequence[str], k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        return _best(self.search_hybrid(None, terms, k, doc_ids), k, by_keyword=True)

    def rows_of_docs(self, doc_ids: list[str]) -> np.ndarray:
        wanted = {d for d in doc_ids}
        indexes = [i for i, d in enumerate(self.doc_ids) if d in wanted]
        if not indexes:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.isin(self.row_doc, indexes) & self.live)

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            docs = {d["doc_id"]: d for d in self.base.documents() if d["doc_id"] not in self.deleted_docs}
            if self.delta is not None:
                docs.update({d["doc_id"]: d for d in self.delta.documents()})
        return [docs[k] for k in sorted(docs)]

    def passages(self) -> list[tuple[int, str, int, int, str]]:
        """Every live passage as (row, doc_id, char_start, char_end, text)."""
        with self._lock:
            return [p for s in self.segments for p in s.passages() if self.live[p[0]]]

    def passage_texts(self) -> list[str]:
        return [p[4] for p in self.passages()]

    def close(self) -> None:
        """Release the snapshot; a prune may then delete its files."""
        with self._lock:
            for s in self.segments:
                s.close()
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


def _best(found: Candidates, k: int, by_keyword: bool) -> Candidates:
    """The k best of some candidates by one retriever's score (keyword: positive scores only)."""
    scores = found.keyword if by_keyword else found.dense
    order = np.argsort(-scores, kind="stable")[:k]
    if by_keyword:
        order = order[scores[order] > 0]
    return Candidates(found.rows[order], found.dense[order], found.keyword[order])
