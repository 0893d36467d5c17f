"""One immutable index segment: dense + keyword indexes and the passage table of the same rows."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.snapshots.dense import DENSE_FILES, DenseIndex
from index.snapshots.keyword import KeywordIndex
from index.snapshots.latent import LATENT_DIR, LatentMatrix
from index.types import PassageRow

PassageTuple = tuple[str, str, int, str, int, int, int, str, str]
DocumentTuple = tuple[str, str, str, str, str, str]


def write_segment(folder: Path, rows: list[PassageTuple], documents: list[DocumentTuple], dense: DenseIndex,
                  keyword: KeywordIndex, latent: LatentMatrix | None = None) -> None:
    """Write a segment's files into `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    dense.save(folder / dense.file_name)
    keyword.save(folder / "keyword")
    if latent is not None:
        latent.save(folder / LATENT_DIR)
    meta = sqlite3.connect(folder / "meta.sqlite")
    try:
        meta.executescript(
            "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT, url TEXT, publisher TEXT,"
            " published_at TEXT, updated_at TEXT);"
            "CREATE TABLE passages (row INTEGER PRIMARY KEY, passage_id TEXT UNIQUE, doc_id TEXT, ordinal INTEGER,"
            " section TEXT, paragraph INTEGER, char_start INTEGER, char_end INTEGER, text TEXT, tokens TEXT);"
        )
        meta.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?)", documents)
        meta.executemany("INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?)", [(i, *r) for i, r in enumerate(rows)])
        meta.commit()
    finally:
        meta.close()
    doc_index = {d[0]: i for i, d in enumerate(documents)}
    np.save(folder / "row_doc.npy", np.array([doc_index[r[1]] for r in rows], dtype=np.int32))


class Segment:
    """A loaded segment; `offset` turns its local rows into the snapshot's global rows."""

    def __init__(self, folder: Path, dense_kind: str | None = None, offset: int = 0,
                 latent_dim: int | None = None) -> None:
        """`dense_kind`, when given, must be the kind the segment's dense file holds; `latent_dim`, when
        given, that the segment has latent terms over that many features."""
        self.folder = folder
        self.offset = offset
        names = [n for n in DENSE_FILES.values() if (folder / n).exists()]
        if len(names) != 1:
            raise FileNotFoundError(f"{folder}: expected one dense index file of {sorted(DENSE_FILES.values())}, "
                                    f"found {names or 'none'}")
        self.dense = DenseIndex.load(folder / names[0], dense_kind)
        self.keyword = KeywordIndex.load(folder / "keyword")
        if latent_dim is not None and not (folder / LATENT_DIR).is_dir():
            raise FileNotFoundError(f"{folder}: the manifest records latent terms, but {LATENT_DIR}/ is missing")
        self.latent = LatentMatrix.load(folder / LATENT_DIR, latent_dim) if latent_dim is not None else None
        self.row_doc = np.load(folder / "row_doc.npy", mmap_mode="r")
        self._meta = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self.doc_ids = [r[0] for r in self._meta.execute("SELECT doc_id FROM documents ORDER BY rowid")]

    def __len__(self) -> int:
        return len(self.row_doc)

    def rows(self, local: list[int]) -> dict[int, PassageRow]:
        """Global row → PassageRow for the local rows asked."""
        if not local:
            return {}
        marks = ",".join("?" * len(local))
        with self._lock:
            found = self._meta.execute(
                "SELECT p.row, p.passage_id, p.doc_id, p.section, p.paragraph, p.char_start, p.char_end, p.text,"
                f" p.tokens, d.title, d.url FROM passages p JOIN documents d USING (doc_id) WHERE p.row IN ({marks})",
                local,
            ).fetchall()
        return {r[0] + self.offset: PassageRow(r[0] + self.offset, *r[1:]) for r in found}

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._meta.execute(
                "SELECT d.doc_id, d.title, d.url, d.updated_at, COUNT(p.row) FROM documents d "
                "LEFT JOIN passages p USING (doc_id) GROUP BY d.doc_id ORDER BY d.doc_id"
            ).fetchall()
        return [{"doc_id": r[0], "title": r[1], "url": r[2], "updated_at": r[3], "passages": r[4]} for r in rows]

    def passages(self) -> list[tuple[int, str, int, int, str]]:
        """(global row, doc_id, char_start, char_end, text) of every passage, for verification."""
        with self._lock:
            rows = self._meta.execute("SELECT row, doc_id, char_start, char_end, text FROM passages").fetchall()
        return [(r[0] + self.offset, r[1], r[2], r[3], r[4]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._meta.close()
