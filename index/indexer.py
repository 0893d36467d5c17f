"""Incremental ingest into the store; the backend publishes what changed."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.backend import Gate, IndexBackend, Progress
from index.config import IndexConfig
from index.lock import WriteLock
from index.near_duplicates import nearest, simhash
from index.snapshots.backend import SnapshotBackend
from index.store import Store
from ingest.chunking import chunk_article
from ingest.embedders import Embedder
from ingest.latent_terms import LatentTermsEncoder
from ingest.readers import SUPPORTED_SUFFIXES, ArticleError, doc_id_for, read_article_file
from ingest.segmenter import Segmenter
from ingest.types import Article, Passage, passage_context

__all__ = ["DocumentResult", "IndexConfig", "Indexer", "IngestReport", "Progress"]


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


class Indexer:
    """Writes articles to the store (re-embedding only what changed) and publishes snapshots."""

    def __init__(self, data_dir: Path, store: Store, embedder: Embedder, segmenter: Segmenter,
                 config: IndexConfig | None = None, backend: IndexBackend | None = None,
                 latent: LatentTermsEncoder | None = None) -> None:
        """`latent`, when given, encodes every passage's latent terms too (stored beside its vector)."""
        self.data_dir = Path(data_dir)
        self.store = store
        self.embedder = embedder
        self.segmenter = segmenter
        self.config = config or IndexConfig()
        self.latent = latent
        self.backend: IndexBackend = backend or SnapshotBackend(self.data_dir, embedder, segmenter, self.config,
                                                                latent=latent)

    # -- public operations (each takes the write lock and publishes) ----------------------------

    def ingest_paths(self, paths: Sequence[Path], rebuild: bool = False,
                     progress: Progress | None = None, gate: Gate | None = None,
                     only: Collection[Path] | None = None) -> IngestReport:
        """Bring the store in line with files and folders; articles of a folder whose files are gone
        are removed (only those that came from that folder). With `only` (resolved paths: what a watcher
        saw change), other files that are still there count as unchanged without being read."""
        wanted = None if only is None else {Path(p).resolve() for p in only}
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
            # Removals first: a file renamed in the folder is then its article again, not a duplicate
            # of the article it is about to stop being.
            present = {_doc_id_or_none(f.name) for f, _ in files}
            for folder in (p for p in paths if p.is_dir()):
                for art in self.store.list_articles(origin=_origin(folder)):
                    if art.doc_id not in present:
                        self.store.delete_article(art.doc_id)
                        report.removed.append(art.doc_id)
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
                    if wanted is not None and path.resolve() not in wanted:
                        report.unchanged.append(doc_id)
                        continue
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
            manifest = self._publish_if_needed(force=rebuild or report.changed, progress=progress, gate=gate,
                                               full=rebuild)
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

    def publish(self, progress: Progress | None = None, full: bool = False) -> dict[str, Any]:
        """Publish the store as it is; `full` rebuilds the whole index from the store."""
        with self._lock("publish"):
            self._sync_settings()
            return self._publish_if_needed(force=True, progress=progress, full=full)

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
            doc_ids = [a.doc_id for a, _, _ in pending]
            known = self.store.vectors_by_context(doc_ids, self.embedder.id)
            # Replacing an article drops its passages' latent terms with them; those of unchanged text are
            # put back, the rest are encoded before the next publish (_ensure_latent).
            known_latent = self.store.vectors_by_context(doc_ids, self.latent.id) if self.latent else {}
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
                if self.latent is not None:
                    self.store.put_vector_blobs(self.latent.id, [(p.passage_id, known_latent[p.context])
                                                                 for p in passages if p.context in known_latent])
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
                           gate: Gate | None = None, full: bool = False) -> dict[str, Any]:
        self._ensure_vectors(progress)
        self._ensure_latent(progress)
        return self.backend.publish(self.store, force=force, progress=progress, gate=gate, full=full)

    def _ensure_vectors(self, progress: Progress | None) -> None:
        """Embed the passages that have no vector of this embedder yet (stored under another one only)."""
        missing = self.store.passages_without_vector(self.embedder.id)
        if not missing:
            return
        contexts = [passage_context(section, text) for _, section, text in missing]
        vecs = self.embedder.embed_passages(
            contexts, progress=(lambda n: progress("embed", n, len(contexts))) if progress else None)
        self.store.put_vectors(self.embedder.id, [(m[0], vecs[j]) for j, m in enumerate(missing)])

    def _ensure_latent(self, progress: Progress | None, batch: int = 64) -> None:
        """Encode the latent terms of the passages that have none yet: the new ones, or every passage when
        the encoder is new to this store. Stored in batches, so a killed run keeps what it finished."""
        if self.latent is None:
            return
        missing = self.store.passages_without_vector(self.latent.id)
        for at in range(0, len(missing), batch):
            part = missing[at : at + batch]
            terms = self.latent.encode([passage_context(section, text) for _, section, text in part])
            self.store.put_vector_blobs(self.latent.id,
                                        [(m[0], t.to_bytes()) for m, t in zip(part, terms, strict=True)])
            if progress:
                progress("latent terms", at + len(part), len(missing))


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


def _doc_id_or_none(name: str) -> str | None:
    try:
        return doc_id_for(name)
    except ArticleError:
        return None


def _record(report: IngestReport, status: str, doc_id: str, dup: str) -> None:
    if status == "created":
        report.added.append(doc_id)
    elif status == "updated":
        report.updated.append(doc_id)
    elif status == "duplicate":
        report.duplicates.append({"doc_id": doc_id, "duplicate_of": dup})
    else:
        report.unchanged.append(doc_id)
