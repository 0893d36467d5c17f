"""Snapshot access for the benchmark that works with single-index and segmented (base + delta) snapshots."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.snapshots.dense import DENSE_FILES, DenseIndex
from index.snapshots.files import MANIFEST, READERS, file_sha256
from index.snapshots.snapshot import Snapshot


def keyword_scores(snap: Snapshot, terms: Sequence[str]) -> np.ndarray:
    """BM25 of every row for the query terms, as the Searcher computes it."""
    method = getattr(snap, "keyword_scores", None)
    if callable(method):
        return np.asarray(method(terms))
    return snap.keyword.scores(snap.keyword.known(terms))


def dense_search(snap: Snapshot, query: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k nearest passages, as the Searcher asks for them."""
    method = getattr(snap, "dense_search", None)
    if callable(method):
        return np.asarray(method(query, k))
    return snap.dense.search(query, k)[1]


def dense_vectors(snap: Snapshot, rows: np.ndarray) -> np.ndarray:
    method = getattr(snap, "dense_vectors", None)
    if callable(method):
        return np.asarray(method(rows))
    return snap.dense.vectors(rows)


def with_dense(folder: Path, dense: DenseIndex, dest: Path) -> Path:
    """A copy of a published (single-segment) snapshot folder with another dense index: every other file
    is a hard link, the manifest names the new kind, size and checksum. Load it with Snapshot.load."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    dest.mkdir(parents=True)
    for name in list(manifest["files"]):
        if name in DENSE_FILES.values():
            del manifest["files"][name]
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        os.link(folder / name, dest / name)
    dense.save(dest / dense.file_name)
    manifest["files"][dense.file_name] = {"bytes": (dest / dense.file_name).stat().st_size,
                                          "sha256": file_sha256(dest / dense.file_name)}
    manifest["dense"] = {**manifest["dense"], **dense.describe()}
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    (dest / READERS).touch()
    return dest
