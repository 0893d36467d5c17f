"""The default backend: FAISS + bm25s snapshot folders in the data folder, published by delta or full build."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.backend import Gate, GateVerdict, Progress, Published, VerifyReport
from index.clock import now_iso
from index.config import IndexConfig
from index.dense_kinds import resolve_kind
from index.errors import GateRefused
from index.manifest import Counts, EmbedderInfo, Manifest, SegmenterInfo
from index.snapshots.dense import DenseIndex
from index.snapshots.files import MANIFEST, SNAPSHOTS, next_version, read_current, write_atomic
from index.snapshots.keyword import KeywordIndex
from index.snapshots.latent import LatentMatrix
from index.snapshots.snapshot import FORMAT_VERSION, Snapshot, SnapshotError, publish, write_snapshot
from index.snapshots.verify import verify_data_dir
from index.store import Store
from ingest.embedders import Embedder
from ingest.latent_terms import LatentTermsEncoder
from ingest.segmenter import Segmenter


@dataclass(frozen=True)
class DeltaPlan:
    """A delta publish: the base snapshot to extend, the articles to (re)index, the base articles they
    replace or that were deleted, and how many base rows stay alive."""

    folder: Path
    manifest: dict[str, Any]
    changed: list[str]
    deleted_docs: list[str]
    live_base_rows: int


class SnapshotBackend:
    """Immutable snapshot folders under `<data_dir>/snapshots/`, the published one named by `CURRENT`."""

    name = "faiss"

    def __init__(self, data_dir: Path, embedder: Embedder, segmenter: Segmenter,
                 config: IndexConfig | None = None, latent: LatentTermsEncoder | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.segmenter = segmenter
        self.config = config or IndexConfig()
        self.latent = latent

    def current_version(self) -> str | None:
        return read_current(self.data_dir)

    def open(self, version: str, store: Store | None) -> Snapshot:
        return Snapshot.load(self.data_dir / SNAPSHOTS / version, embedder_id=self.embedder.id,
                             dim=self.embedder.dim, dictionary_hash=self.segmenter.dictionary_hash,
                             latent_id=self.latent.id if self.latent else None)

    def close(self) -> None:
        """Nothing held: each Snapshot holds its own files."""

    def verify(self, store: Store, version: str | None = None) -> VerifyReport:
        """Checksums, counts, dimension, SQLite integrity, and citations that reproduce their text."""
        # The store's path is absolute or relative to the data folder; either joins onto it.
        return verify_data_dir(self.data_dir, str(store.path), version=version, embedder_id=self.embedder.id,
                               dim=self.embedder.dim, dictionary_hash=self.segmenter.dictionary_hash,
                               latent_id=self.latent.id if self.latent else None)

    def publish(self, store: Store, force: bool, progress: Progress | None = None,
                gate: Gate | None = None, full: bool = False) -> dict[str, Any]:
        """Keep the current snapshot when it is up to date, else publish a delta or a full build."""
        current = read_current(self.data_dir)
        if current and not (force or full):
            path = self.data_dir / SNAPSHOTS / current / MANIFEST
            if path.exists():
                manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                if self._compatible(manifest) and manifest.get("store_generation") == store.generation():
                    return manifest
        return self._build_and_publish(store, progress, gate, full)

    def _compatible(self, manifest: dict[str, Any]) -> bool:
        """Built the way this backend would build it now (so it can be kept, or extended by a delta)."""
        base_rows = int(manifest.get("segments", {}).get("base_rows", manifest.get("counts", {}).get("passages", 0)))
        return bool(manifest.get("embedder", {}).get("id") == self.embedder.id
                    and manifest.get("segmenter", {}).get("dictionary_hash") == self.segmenter.dictionary_hash
                    and manifest.get("chunking") == asdict(self.config.chunking)
                    and manifest.get("format") == FORMAT_VERSION  # an older format is rebuilt, never extended
                    and (manifest.get("latent") or {}).get("id") == (self.latent.id if self.latent else None)
                    # The kind built for the base's size (with "auto", a delta publish keeps the base's kind).
                    and manifest.get("dense", {}).get("kind") == resolve_kind(self.config.dense_kind, base_rows))

    def _latent_matrix(self, store: Store, passage_ids: list[str]) -> LatentMatrix | None:
        """The rows' stored latent terms (the indexer encodes them before it publishes)."""
        if self.latent is None:
            return None
        terms = store.latent_terms(self.latent.id, passage_ids)
        return LatentMatrix.build([terms[pid] for pid in passage_ids], self.latent.dim)

    def _judge(self, gate: Gate, staging: Path, store: Store) -> GateVerdict:
        """The gate's verdict on a staged snapshot against the published one."""
        staged = Snapshot.load(staging, embedder_id=self.embedder.id, dim=self.embedder.dim,
                               dictionary_hash=self.segmenter.dictionary_hash,
                               latent_id=self.latent.id if self.latent else None)
        opened: list[Snapshot] = []
        version = read_current(self.data_dir)

        def load() -> Snapshot | None:
            try:
                opened.append(self.open(str(version), store))
            except SnapshotError:
                return None
            return opened[-1]

        published = None
        if version is not None:
            with contextlib.suppress(OSError, json.JSONDecodeError):
                manifest = json.loads((self.data_dir / SNAPSHOTS / version / MANIFEST).read_text(encoding="utf-8"))
                published = Published(manifest, load)
        try:
            return gate(staged, published)
        finally:
            for snap in [staged, *opened]:
                snap.close()

    def _delta_plan(self, store: Store) -> DeltaPlan | None:
        """Extend the current snapshot's base with a delta of the articles changed since the base was
        built, unless that delta would be large (then a full build compacts everything)."""
        current = read_current(self.data_dir)
        if current is None:
            return None
        folder = self.data_dir / SNAPSHOTS / current
        try:
            manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        seg = manifest.get("segments")
        if not seg or not self._compatible(manifest):
            return None
        changed = store.changed_since(int(seg["base_generation"]))
        meta = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True)
        try:
            base_docs = {r[0] for r in meta.execute("SELECT doc_id FROM documents")}
            deleted = ((set(changed) & base_docs) | (base_docs - store.doc_ids()))
            marks = ",".join("?" * len(deleted))
            dead = meta.execute(f"SELECT COUNT(*) FROM passages WHERE doc_id IN ({marks})",
                                sorted(deleted)).fetchone()[0] if deleted else 0
        finally:
            meta.close()
        states = [store.article_state(d) for d in changed]
        delta_rows = sum(s[1] for s in states if s is not None)
        limit = max(self.config.delta_min_rows, self.config.delta_max_share * int(seg["base_rows"]))
        if delta_rows > limit:
            return None
        return DeltaPlan(folder, manifest, changed, sorted(deleted), int(seg["base_rows"]) - int(dead))

    def _build_and_publish(self, store: Store, progress: Progress | None,
                           gate: Gate | None = None, full: bool = False) -> dict[str, Any]:
        generation = store.generation()
        plan = None if full else self._delta_plan(store)
        rows = list(store.iter_index_rows(self.embedder.id, plan.changed if plan else None))
        dim = self.embedder.dim
        vectors = np.zeros((len(rows), dim), dtype=np.float32)
        for i, r in enumerate(rows):
            vec = np.frombuffer(r[9] or b"", dtype=np.float32)
            if vec.shape != (dim,):
                raise RuntimeError(f"passage {r[0]}: stored vector has {vec.size} values, expected {dim}")
            vectors[i] = vec
        tokens = [r[8].split() for r in rows]
        if progress:
            progress("index", 0, len(rows))
        dense = DenseIndex.build(vectors, kind=self.config.dense_kind)
        latent = self._latent_matrix(store, [r[0] for r in rows])
        keyword = KeywordIndex.build(tokens, k1=self.config.bm25_k1, b=self.config.bm25_b)
        documents = store.documents_table(plan.changed if plan else None)
        version = next_version(self.data_dir)
        manifest = Manifest(
            version=version,
            created_at=now_iso(),
            backend=self.name,
            embedder=EmbedderInfo(self.embedder.id, dim),
            segmenter=SegmenterInfo(self.segmenter.id, self.segmenter.dictionary_hash),
            chunking=asdict(self.config.chunking),
            dense={**dense.describe(), "metric": "inner_product", "requested": self.config.dense_kind},
            keyword={"library": "bm25s", "method": "lucene", "k1": self.config.bm25_k1, "b": self.config.bm25_b},
            counts=Counts(len(documents), len(rows)),
            store_generation=generation,
            extra={"segments": {"base_version": version, "base_rows": len(rows), "base_generation": generation,
                                "delta_rows": 0, "deleted_docs": []},
                   "latent": {"id": self.latent.id, "dim": self.latent.dim} if self.latent else None},
        ).to_dict()
        if plan is not None:
            base_seg = plan.manifest["segments"]
            manifest["segments"] = {**base_seg, "delta_rows": len(rows), "deleted_docs": plan.deleted_docs}
            manifest["dense"] = {**plan.manifest["dense"], "delta_kind": dense.kind}
            manifest["counts"] = {"documents": len(store.doc_ids()), "passages": plan.live_base_rows + len(rows)}
        root = self.data_dir / SNAPSHOTS
        root.mkdir(parents=True, exist_ok=True)
        staging = root / f".build-{os.getpid()}-{version}"
        manifest = write_snapshot(staging, manifest, [r[:9] for r in rows], documents, dense, keyword,
                                  base=(plan.folder, plan.manifest) if plan else None, latent=latent)
        if gate is not None:
            verdict = self._judge(gate, staging, store)
            if not verdict.accepted:
                shutil.rmtree(staging, ignore_errors=True)
                raise GateRefused(verdict.message)
            manifest["quality"] = verdict.figures
            write_atomic(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        publish(self.data_dir, staging, version, keep=self.config.keep_snapshots)
        if progress:
            progress("published", len(rows), len(rows))
        return manifest
