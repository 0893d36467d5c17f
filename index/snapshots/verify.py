"""`articleqa verify`: check a data folder's published snapshot against its manifest and the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from index.backend import VerifyReport
from index.snapshots.snapshot import MANIFEST, SNAPSHOTS, Snapshot, SnapshotError, read_current
from index.store import Store


def verify_data_dir(data_dir: Path, store_name: str, version: str | None = None, embedder_id: str | None = None,
                    dim: int | None = None, dictionary_hash: str | None = None,
                    latent_id: str | None = None) -> VerifyReport:
    """Checksums, counts, dimension, SQLite integrity, and citations that reproduce their text."""
    report = VerifyReport()
    version = version or read_current(data_dir)
    if version is None:
        report.problems.append(f"{data_dir}: no CURRENT pointer (nothing published yet)")
        return report
    report.version = version
    folder = data_dir / SNAPSHOTS / version
    try:
        snap = Snapshot.load(folder, embedder_id=embedder_id, dim=dim, dictionary_hash=dictionary_hash, verify=True,
                             latent_id=latent_id)
    except SnapshotError as exc:
        report.problems.append(str(exc))
        return report
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        report.checked["files"] = len(manifest["files"])
        passages = [p[1:] for p in snap.passages()]
        report.checked["passages"] = len(passages)
        report.checked["latent_terms"] = snap.latent_id
        if latent_id is not None and snap.latent_id is None:
            report.warnings.append(f"the snapshot has no latent terms ({latent_id}): searches go without them "
                                   "until the next ingest rebuilds it")
        for segment in snap.segments:
            meta = sqlite3.connect(f"file:{segment.folder / 'meta.sqlite'}?mode=ro", uri=True)
            try:
                if (res := meta.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
                    report.problems.append(f"snapshot {segment.folder.name} meta.sqlite integrity_check: {res}")
            finally:
                meta.close()
    finally:
        snap.close()
    store_path = data_dir / store_name
    if not store_path.exists():
        report.problems.append(f"{store_path}: the SQLite store is missing")
        return report
    store = Store(store_path)
    try:
        if (res := store.integrity_check()) != "ok":
            report.problems.append(f"store integrity_check: {res}")
        texts: dict[str, str] = {}
        mismatched = 0
        for doc_id, start, end, text in passages:
            if doc_id not in texts:
                article = store.get_article(doc_id)
                texts[doc_id] = article.text if article else ""
            if texts[doc_id][start:end] != text:
                mismatched += 1
        report.checked["citations"] = len(passages)
        if mismatched:
            report.warnings.append(
                f"{mismatched} passages of the snapshot no longer match the store's article text "
                "(articles changed since it was built; the next ingest publishes them)")
        if manifest.get("store_generation") not in (None, store.generation()):
            report.warnings.append("the store has changes that are not published yet (run `articleqa ingest`)")
        docs, n = store.counts()
        report.checked["store"] = {"documents": docs, "passages": n}
    finally:
        store.close()
    return report
