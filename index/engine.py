"""The one core that the CLI, the API and (through the API) the page share."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from index.answer import answer_question
from index.backend import Gate, IndexBackend, Progress
from index.catalog import Catalog, StoreCatalog
from index.config import IndexConfig
from index.conversation import Conversation, Rewrite, Turn, answer_in_context
from index.errors import BackendUnavailable, IndexUnusable
from index.filters import NO_MATCH, DocFilters, FilterResolver
from index.indexer import DocumentResult, Indexer, IngestReport
from index.pages import PageNumbers
from index.searcher import Searcher, SearchParams
from index.snapshots.backend import SnapshotBackend
from index.store import Store
from index.types import Answer, Document, DocumentPassage, DocumentSection, SearchResult
from ingest.embedders import Embedder
from ingest.errors import ArticleqaError
from ingest.latent_terms import LatentTermsEncoder
from ingest.readers import read_article_bytes, read_article_text
from ingest.segmenter import Segmenter

DB_NAME = "articleqa.sqlite3"


class NotReady(ArticleqaError, RuntimeError):
    """No snapshot has been published yet (run `articleqa ingest`)."""


class ReadOnly(ArticleqaError, RuntimeError):
    """A write (or the writer's store) asked of a read-only replica."""


READ_ONLY = ("this server is a read-only replica (ARTICLEQA_READ_ONLY=true): it reads the published index "
             "from Milvus and has no store of its own; send writes to the writer")


class Engine:
    """Owns a data folder: the store, the writer, the backend and the current index's searcher.

    Readers take the searcher of the index version current when they start and keep it for the whole
    request; a newer published version is picked up on the next request. The backend is the FAISS +
    bm25s snapshot folders unless another one (Milvus) is handed in. What readers know of the articles
    (listing, text, term statistics) comes from `catalog`: the store unless another one is handed in.

    `read_only` (a replica, with a backend and a catalog that live outside the data folder: Milvus)
    opens no store and refuses every write with ReadOnly.
    """

    def __init__(self, data_dir: Path, embedder: Embedder, segmenter: Segmenter,
                 config: IndexConfig | None = None, search_params: SearchParams | None = None,
                 backend: IndexBackend | None = None, catalog: Catalog | None = None,
                 read_only: bool = False, latent: LatentTermsEncoder | None = None) -> None:
        if read_only and (backend is None or catalog is None):
            raise ValueError("a read-only engine needs a backend and a catalog that live outside the data folder "
                             "(Milvus)")
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.segmenter = segmenter
        self.config = config or IndexConfig()
        self.search_params = search_params or SearchParams()
        self.read_only = read_only
        self.latent = latent
        self._store = None if read_only else Store(self.data_dir / DB_NAME)
        self.backend: IndexBackend = backend or SnapshotBackend(self.data_dir, embedder, segmenter, self.config,
                                                                latent=latent)
        self._indexer = None if self._store is None else Indexer(self.data_dir, self._store, embedder, segmenter,
                                                                 self.config, self.backend, latent=latent)
        self._searcher: Searcher | None = None
        self._load_lock = threading.Lock()
        self.last_load_error: str = ""
        self.catalog: Catalog = catalog or StoreCatalog(self.store, embedder.id)
        self.filters = FilterResolver(self.catalog)
        self.pages = PageNumbers(self.catalog)

    @property
    def store(self) -> Store:
        """The writer's SQLite store; ReadOnly on a replica, which has none."""
        if self._store is None:
            raise ReadOnly(READ_ONLY)
        return self._store

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            raise ReadOnly(READ_ONLY)
        return self._indexer

    # -- reading --------------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """The searcher of the published index version, reloading when it moved.

        A version that fails to load is not served: the previous one keeps serving, or NotReady."""
        current = self._searcher
        try:
            version = self.backend.current_version()
        except BackendUnavailable as exc:
            self.last_load_error = str(exc)
            raise NotReady(str(exc)) from exc
        if version is None:
            if self.read_only:
                raise NotReady(f"nothing is published on {self.backend.name} yet: run `articleqa ingest` on the writer")
            raise NotReady(f"no index in {self.data_dir} ({self.backend.name}): run `articleqa ingest` first")
        if current is not None and current.index.version == version:
            return current
        with self._load_lock:
            current = self._searcher
            if current is not None and current.index.version == version:
                return current
            try:
                index = self.backend.open(version, self._store)
            except (IndexUnusable, BackendUnavailable) as exc:
                self.last_load_error = str(exc)
                if current is not None:
                    return current
                if isinstance(exc, BackendUnavailable):
                    raise NotReady(str(exc)) from exc
                raise
            self.last_load_error = ""
            searcher = Searcher(index, self.embedder, self.segmenter, self.search_params, latent=self.latent)
            self._searcher = searcher
            # The answer's corpus statistics are counted off the request path (seconds at 100k passages);
            # an /ask that comes first waits for them, one that fails counts them again and reports why.
            threading.Thread(target=_count_bigrams, args=(searcher,), daemon=True,
                             name=f"articleqa-bigrams-{version}").start()
            return searcher

    def ready(self) -> bool:
        try:
            self.searcher()
        except (NotReady, IndexUnusable):
            return False
        return True

    def search(self, query: str, top_k: int = 5, doc_ids: Sequence[str] | None = None,
               filters: DocFilters | None = None, history: Sequence[Turn] | None = None,
               rewrite: Rewrite | None = None) -> SearchResult:
        """Hybrid search; `filters` narrow the articles before ranking (the best passages among them).

        With `history` (earlier turns, oldest first) a follow-up is searched in the context of the earlier
        user questions (index/conversation.py); `rewrite` (an LLM) may read it instead of the rule."""
        allowed = self._allowed(doc_ids, filters)
        if history:
            result, _ = self.conversation().search(query, history, top_k=top_k, doc_ids=allowed, rewrite=rewrite)
            return self.pages.search_result(result)
        return self.pages.search_result(self.searcher().search(query, top_k=top_k, doc_ids=allowed))

    def ask(self, question: str, top_k: int = 5, doc_ids: list[str] | None = None,
            filters: DocFilters | None = None, history: Sequence[Turn] | None = None,
            rewrite: Rewrite | None = None) -> Answer:
        allowed = self._allowed(doc_ids, filters)
        if history:
            started = time.perf_counter()
            conversation = self.conversation()
            result, reading = conversation.search(question, history, top_k=top_k, doc_ids=allowed, rewrite=rewrite)
            return self.pages.answer(answer_in_context(conversation, result, reading, started))
        return self.pages.answer(answer_question(self.searcher(), question, top_k=top_k, doc_ids=allowed))

    def conversation(self) -> Conversation:
        """Follow-up reading and search over the current searcher."""
        return Conversation(self.searcher(), self._df_share, passages_of=self.catalog.passages_of)

    def _df_share(self, terms: Sequence[str]) -> dict[str, float]:
        """term → share of the stored passages that contain it."""
        passages = max(self.catalog.counts()[1], 1)
        return {t: df / passages for t, (_, df) in self.catalog.term_stats(terms).items()}

    def documents(self, filters: DocFilters | None = None) -> list[dict[str, Any]]:
        """The current index's articles with their publisher, publication date and source; `filters` narrow."""
        docs = [{**d, **self.filters.metadata(d["doc_id"])} for d in self.searcher().index.documents()]
        if filters is None or not filters.active:
            return docs
        allowed = set(self.filters.doc_ids(filters) or ())
        return [d for d in docs if d["doc_id"] in allowed]

    def _allowed(self, doc_ids: Sequence[str] | None, filters: DocFilters | None) -> list[str] | None:
        """The doc ids the search pre-filter admits: `doc_ids` and `filters` together (both must hold)."""
        if filters is None or not filters.active:
            return list(doc_ids) if doc_ids else None
        if doc_ids:
            ids = set(doc_ids) & set(filters.doc_ids) if filters.doc_ids else set(doc_ids)
            filters = DocFilters(filters.publisher, filters.source, filters.published_after,
                                 filters.published_before, tuple(sorted(ids)) or (NO_MATCH,))
        return self.filters.doc_ids(filters)

    def document(self, doc_id: str) -> Document | None:
        """One article from the catalog (None when unknown): its metadata, cleaned text, sections and
        passages, so that `text[char_start:char_end]` reproduces every citation of it."""
        article = self.catalog.get_article(doc_id)
        if article is None:
            return None
        table = self.catalog.documents_table([doc_id])
        updated_at = table[0][5] if table else ""
        passages = tuple(DocumentPassage(*p) for p in self.catalog.passages_of(doc_id))
        sections = tuple(DocumentSection(s.title, s.start, s.end, s.kind) for s in article.sections)
        return Document(article.doc_id, article.title, article.url, article.publisher, article.published_at,
                        updated_at, article.text, sections, passages, dict(article.metadata))

    def stats(self) -> dict[str, Any]:
        searcher = self.searcher()
        index = searcher.index
        m = index.manifest
        return {
            "documents": m["counts"]["documents"],
            "passages": m["counts"]["passages"],
            "index_version": index.version,
            "backend": self.backend.name,
            "embedder": m["embedder"]["id"],
            "dimension": m["embedder"]["dim"],
            "latent_terms": searcher.latent.id if searcher.latent else None,
            "segmenter": m["segmenter"],
            "created_at": m["created_at"],
            "data_dir": str(self.data_dir),
        }

    # -- writing --------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path], rebuild: bool = False, progress: Progress | None = None,
               gate: Gate | None = None, only: Collection[Path] | None = None) -> IngestReport:
        """Incremental ingest of files and folders; `only`: read just these files of the folders (a watcher)."""
        return self.indexer.ingest_paths(list(paths), rebuild=rebuild, progress=progress, gate=gate, only=only)

    def publish(self, progress: Progress | None = None, full: bool = False) -> dict[str, Any]:
        """Publish the store's current state; `full` rebuilds the index from it (`migrate`, repairs)."""
        return self.indexer.publish(progress=progress, full=full)

    def add_document(self, *, text: str | None = None, data: bytes | None = None, name: str = "upload.txt",
                     doc_id: str, title: str = "", url: str = "") -> DocumentResult:
        """Index one article from text or uploaded bytes; searchable as soon as this returns."""
        if (text is None) == (data is None):
            raise ValueError("give exactly one of text or data")
        if data is not None:
            article = read_article_bytes(data, name=name, doc_id=doc_id, source=f"upload:{name}", title=title,
                                         url=url)
        else:
            article = read_article_text(text or "", name=name, doc_id=doc_id, source="api", title=title, url=url)
        return self.indexer.add_article(article, origin="api")

    def delete_document(self, doc_id: str) -> str | None:
        return self.indexer.delete_article(doc_id)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.index.close()
        self.backend.close()
        if self._store is not None:
            self._store.close()


def _count_bigrams(searcher: Searcher) -> None:
    # A closed or replaced index fails here quietly: the request path counts again and raises there.
    with contextlib.suppress(Exception):
        searcher.bigram_frequency()
