"""Incremental ingest into the store and publishing of new snapshots."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.dense import DenseIndex
from index.gate import Gate, GateRefused
from index.keyword import KeywordIndex
from index.lock import WriteLock
from index.near_duplicates import nearest, simhash
from index.snapshot import MANIFEST, SNAPSHOTS, next_version, publish, read_current, write_atomic, write_snapshot
from index.store import Store
from ingest.chunking import ChunkParams, chunk_article
from ingest.embedders import Embedder
from ingest.readers import SUPPORTED_SUFFIXES, ArticleError, doc_id_for, read_article_file
from ingest.segmenter import Segmenter
from ingest.types import Article, Passage, passage_context

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    """What an ingest run did; `errors` name each file that could not be indexed and why."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    near_duplicates: list[dict[str, str | int]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    index_version: str = ""
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DocumentResult:
    """Outcome of adding one article: status is created, updated, unchanged or duplicate."""

    doc_id: str
    passages: int
    index_version: str
    status: str
    duplicate_of: str = ""
    near_duplicate_of: str = ""


@dataclass(frozen=True)
class IndexConfig:
    """How passages are cut and indexed; recorded in every manifest."""

    chunking: ChunkParams = field(default_factory=ChunkParams)
    dense_kind: str = "flat"
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    keep_snapshots: int = 3
    lock_timeout: float = 30.0
    # A publish writes only a delta of the changed articles next to the previous base, until the
    # delta would exceed this share of the base (or this many rows); then everything is rebuilt.
    delta_max_share: float = 0.1
    delta_min_rows: int = 2000


@dataclass(frozen=True)
class DeltaPlan:
    """A delta publish: the base snapshot to extend, the articles to (re)index, the base articles they
    replace or that were deleted, and how many base rows stay alive."""

    folder: Path
    manifest: dict[str, Any]
    changed: list[str]
    deleted_docs: list[str]
    live_base_rows: int


class Indexer:
    """Writes articles to the store (re-embedding only what changed) and publishes snapshots."""

    def __init__(self, data_dir: Path, store: Store, embedder: Embedder, segmenter: Segmenter,
                 config: IndexConfig | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.store = store
        self.embedder = embedder
        self.segmenter = segmenter
        self.config = config or IndexConfig()

    # -- public operations (each takes the write lock and publishes) ----------------------------

    def ingest_paths(self, paths: Sequence[Path], rebuild: bool = False,
                     progress: Progress | None = None, gate: Gate | None = None) -> IngestReport:
        """Bring the store in line with files and folders; articles of a folder whose files are gone
        are removed (only those that came from that folder)."""
        started = time.perf_counter()
        report = IngestReport()
        with self._lock("ingest"):
            if rebuild:
                for art in self.store.list_articles():
                    if any(art.origin == _origin(p) for p in paths if p.is_dir()):
                        self.store.delete_article(art.doc_id)
            self._sync_settings()
            seen_ids: dict[str, str] = {}
            files = list(_expand(paths, report))
            for i, (path, origin) in enumerate(files):
                if progress:
                    progress("read", i, len(files))
                try:
                    doc_id = doc_id_for(path.name)
                    if doc_id in seen_ids:
                        raise ArticleError(
                            f"{path}: document id {doc_id!r} is already taken by {seen_ids[doc_id]} "
                            "(two files with the same name); rename one of them"
                        )
                    seen_ids[doc_id] = str(path)
                    article = read_article_file(path, doc_id=doc_id)
                    status, dup = self._put(article, origin, progress=progress)
                    near = self._near_duplicate(article) if status in ("created", "updated") else None
                    if near is not None:
                        report.near_duplicates.append(
                            {"doc_id": article.doc_id, "similar_to": near[0], "differing_bits": near[1]})
                except (ArticleError, ValueError, OSError) as exc:
                    report.errors.append({"file": str(path), "error": str(exc)})
                    continue
                _record(report, status, article.doc_id, dup)
            for folder in (p for p in paths if p.is_dir()):
                present = {doc_id_for(f.name) for f, _ in files if f.parent.resolve() == folder.resolve()}
                for art in self.store.list_articles(origin=_origin(folder)):
                    if art.doc_id not in present and art.doc_id not in seen_ids:
                        self.store.delete_article(art.doc_id)
                        report.removed.append(art.doc_id)
            manifest = self._publish_if_needed(force=rebuild or report.changed, progress=progress, gate=gate)
        report.index_version = manifest["version"]
        report.documents = manifest["counts"]["documents"]
        report.passages = manifest["counts"]["passages"]
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def add_article(self, article: Article, origin: str = "api") -> DocumentResult:
        """Index one article now; unchanged content (same hash) is skipped."""
        with self._lock("add document"):
            self._sync_settings()
            status, dup = self._put(article, origin)
            near = self._near_duplicate(article) if status in ("created", "updated") else None
            manifest = self._publish_if_needed(force=status in ("created", "updated"))
        doc_id = dup or article.doc_id
        state = self.store.article_state(doc_id)
        passages = state[1] if state else 0
        return DocumentResult(article.doc_id, passages, manifest["version"], status, dup, near[0] if near else "")

    def add_articles(self, articles: Sequence[Article], origin: str, publish: bool = True,
                     progress: Progress | None = None) -> None:
        """Write many prepared articles (e.g. a benchmark corpus) in embedding batches; no hash checks."""
        with self._lock("add articles"):
            self._sync_settings()
            self.write_many(articles, origin, progress)
            if publish:
                self._publish_if_needed(force=True, progress=progress)

    def delete_article(self, doc_id: str) -> str | None:
        """Remove an article; returns the new index version, or None if there was no such article."""
        with self._lock("delete document"):
            if not self.store.delete_article(doc_id):
                return None
            return str(self._publish_if_needed(force=True)["version"])

    def publish(self, progress: Progress | None = None) -> dict[str, Any]:
        with self._lock("publish"):
            self._sync_settings()
            return self._publish_if_needed(force=True, progress=progress)

    # -- internals ------------------------------------------------------------------------------

    def _lock(self, purpose: str) -> WriteLock:
        return WriteLock(self.data_dir, timeout=self.config.lock_timeout, purpose=purpose)

    def _settings_fingerprint(self) -> str:
        return json.dumps({"chunking": asdict(self.config.chunking)}, sort_keys=True)

    def _sync_settings(self) -> None:
        """Passages cut with other chunk parameters, or tokens from another dictionary, are redone."""
        if self.store.get_meta("chunking") != self._settings_fingerprint():
            by_origin: dict[str, list[Article]] = {}
            for art in self.store.list_articles():
                article = self.store.get_article(art.doc_id)
                if article is not None:
                    by_origin.setdefault(art.origin, []).append(article)
            for origin, articles in by_origin.items():
                self.write_many(articles, origin)  # passages whose text is unchanged keep their vectors
            self.store.set_meta("chunking", self._settings_fingerprint())
        if self.store.get_meta("dictionary_hash") != self.segmenter.dictionary_hash:
            items = [(r[0], self.segmenter.tokenize(passage_context(r[3], r[7])))
                     for r in self.store.iter_index_rows(self.embedder.id)]
            self.store.put_tokens(items)
            self.store.set_meta("dictionary_hash", self.segmenter.dictionary_hash)

    def _near_duplicate(self, article: Article) -> tuple[str, int] | None:
        """Another stored article that is a lightly edited copy of this one (same SimHash, nearly)."""
        fingerprints = self.store.fingerprints()
        mine = fingerprints.pop(article.doc_id, None)
        if mine is None:
            return None
        return nearest(mine, fingerprints.items())

    def _put(self, article: Article, origin: str, progress: Progress | None = None) -> tuple[str, str]:
        old = self.store.article_state(article.doc_id)
        content_hash = article.content_hash
        if old is not None and old[0] == content_hash:
            return "unchanged", ""
        twins = [d for d in self.store.find_by_hash(content_hash) if d != article.doc_id]
        if twins:
            return "duplicate", twins[0]
        self._write(article, origin, progress)
        return ("updated" if old is not None else "created"), ""

    def _write(self, article: Article, origin: str, progress: Progress | None = None) -> None:
        self.write_many([article], origin, progress)

    def write_many(self, articles: Sequence[Article], origin: str, progress: Progress | None = None,
                   batch_passages: int = 256) -> None:
        """Chunk, tokenise and embed articles, embedding passages of several articles per batch
        (short articles one by one would leave the embedder's batching unused)."""
        done = 0
        total = 0
        pending: list[tuple[Article, list[Passage], list[list[str]]]] = []

        def flush() -> None:
            nonlocal done
            contexts = [p.context for _, passages, _ in pending for p in passages]
            known = self.store.vectors_by_context([a.doc_id for a, _, _ in pending], self.embedder.id)
            vectors = np.zeros((len(contexts), self.embedder.dim), np.float32)
            todo = [i for i, c in enumerate(contexts) if c not in known]
            for i, c in enumerate(contexts):
                if c in known:
                    vectors[i] = np.frombuffer(known[c], dtype=np.float32)
            if todo:
                vectors[todo] = self.embedder.embed_passages([contexts[i] for i in todo])
            at = 0
            for article, passages, tokens in pending:
                fingerprint = simhash(self.segmenter.tokenize(article.text))
                self.store.put_article(article, passages, tokens, vectors[at : at + len(passages)],
                                       self.embedder.id, origin, fingerprint=fingerprint)
                at += len(passages)
            done += len(contexts)
            if progress:
                progress("embed", done, max(total, done))
            pending.clear()

        for article in articles:
            passages = chunk_article(article, self.config.chunking)
            pending.append((article, passages, [self.segmenter.tokenize(p.context) for p in passages]))
            total += len(passages)
            if sum(len(p) for _, p, _ in pending) >= batch_passages:
                flush()
        if pending:
            flush()

    def _publish_if_needed(self, force: bool, progress: Progress | None = None,
                           gate: Gate | None = None) -> dict[str, Any]:
        current = read_current(self.data_dir)
        if current and not force:
            path = self.data_dir / SNAPSHOTS / current / MANIFEST
            if path.exists():
                manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                if self._compatible(manifest) and manifest.get("store_generation") == self.store.generation():
                    return manifest
        return self._build_and_publish(progress, gate)

    def _compatible(self, manifest: dict[str, Any]) -> bool:
        """Built the way this indexer would build it now (so it can be kept, or extended by a delta)."""
        return bool(manifest.get("embedder", {}).get("id") == self.embedder.id
                    and manifest.get("segmenter", {}).get("dictionary_hash") == self.segmenter.dictionary_hash
                    and manifest.get("chunking") == asdict(self.config.chunking)
                    and manifest.get("dense", {}).get("kind") == self.config.dense_kind)

    def _delta_plan(self) -> DeltaPlan | None:
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
        changed = self.store.changed_since(int(seg["base_generation"]))
        meta = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True)
        try:
            base_docs = {r[0] for r in meta.execute("SELECT doc_id FROM documents")}
            deleted = ((set(changed) & base_docs) | (base_docs - self.store.doc_ids()))
            marks = ",".join("?" * len(deleted))
            dead = meta.execute(f"SELECT COUNT(*) FROM passages WHERE doc_id IN ({marks})",
                                sorted(deleted)).fetchone()[0] if deleted else 0
        finally:
            meta.close()
        states = [self.store.article_state(d) for d in changed]
        delta_rows = sum(s[1] for s in states if s is not None)
        limit = max(self.config.delta_min_rows, self.config.delta_max_share * int(seg["base_rows"]))
        if delta_rows > limit:
            return None
        return DeltaPlan(folder, manifest, changed, sorted(deleted), int(seg["base_rows"]) - int(dead))

    def _build_and_publish(self, progress: Progress | None, gate: Gate | None = None) -> dict[str, Any]:
        generation = self.store.generation()
        plan = self._delta_plan()
        rows = list(self.store.iter_index_rows(self.embedder.id, plan.changed if plan else None))
        missing = [i for i, r in enumerate(rows) if r[9] is None]
        if missing:
            # Vectors for another embedder only: embed what this embedder has not seen yet.
            contexts = [passage_context(rows[i][3], rows[i][7]) for i in missing]
            vecs = self.embedder.embed_passages(
                contexts, progress=(lambda n: progress("embed", n, len(contexts))) if progress else None)
            self.store.put_vectors(self.embedder.id, [(rows[i][0], vecs[j]) for j, i in enumerate(missing)])
            rows = list(self.store.iter_index_rows(self.embedder.id, plan.changed if plan else None))
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
        keyword = KeywordIndex.build(tokens, k1=self.config.bm25_k1, b=self.config.bm25_b)
        documents = self.store.documents_table(plan.changed if plan else None)
        version = next_version(self.data_dir)
        manifest = {
            "version": version,
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "embedder": {"id": self.embedder.id, "dim": dim},
            "segmenter": {"id": self.segmenter.id, "dictionary_hash": self.segmenter.dictionary_hash},
            "chunking": asdict(self.config.chunking),
            "dense": {"kind": self.config.dense_kind, "metric": "inner_product"},
            "keyword": {"library": "bm25s", "method": "lucene", "k1": self.config.bm25_k1, "b": self.config.bm25_b},
            "counts": {"documents": len(documents), "passages": len(rows)},
            "store_generation": generation,
            "segments": {"base_version": version, "base_rows": len(rows), "base_generation": generation,
                         "delta_rows": 0, "deleted_docs": []},
        }
        if plan is not None:
            base_seg = plan.manifest["segments"]
            manifest["segments"] = {**base_seg, "delta_rows": len(rows), "deleted_docs": plan.deleted_docs}
            manifest["counts"] = {"documents": len(self.store.doc_ids()), "passages": plan.live_base_rows + len(rows)}
        root = self.data_dir / SNAPSHOTS
        root.mkdir(parents=True, exist_ok=True)
        staging = root / f".build-{os.getpid()}-{version}"
        manifest = write_snapshot(staging, manifest, [r[:9] for r in rows], documents, dense, keyword,
                                  base=(plan.folder, plan.manifest) if plan else None)
        if gate is not None:
            verdict = gate(staging)
            if not verdict.accepted:
                shutil.rmtree(staging, ignore_errors=True)
                raise GateRefused(verdict.message)
            manifest["quality"] = verdict.figures
            write_atomic(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        publish(self.data_dir, staging, version, keep=self.config.keep_snapshots)
        if progress:
            progress("published", len(rows), len(rows))
        return manifest


def _origin(folder: Path) -> str:
    return f"dir:{folder.resolve()}"


def _expand(paths: Iterable[Path], report: IngestReport) -> Iterable[tuple[Path, str]]:
    for p in paths:
        if p.is_dir():
            root = p.resolve()
            for f in sorted(p.iterdir()):
                if not (f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith(".")):
                    continue
                if not f.resolve().is_relative_to(root):
                    # A link out of the folder: the corpus folder is what an operator vetted.
                    report.errors.append({"file": str(f), "error": f"{f}: links to {f.resolve()}, outside {root}; "
                                                                  "refused"})
                    continue
                yield f, _origin(p)
        elif p.is_file():
            yield p, f"file:{p.resolve()}"
        else:
            report.errors.append({"file": str(p), "error": f"{p}: no such file or folder"})


def _record(report: IngestReport, status: str, doc_id: str, dup: str) -> None:
    if status == "created":
        report.added.append(doc_id)
    elif status == "updated":
        report.updated.append(doc_id)
    elif status == "duplicate":
        report.duplicates.append({"doc_id": doc_id, "duplicate_of": dup})
    else:
        report.unchanged.append(doc_id)
