"""The one core that the CLI, the API and (through the API) the page share."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.answer import answer_question
from index.gate import Gate
from index.indexer import DocumentResult, IndexConfig, Indexer, IngestReport, Progress
from index.searcher import Searcher, SearchParams
from index.snapshot import SNAPSHOTS, Snapshot, SnapshotError, read_current
from index.store import Store
from index.types import Answer, SearchResult
from ingest.embedders import Embedder
from ingest.readers import read_article_bytes, read_article_text
from ingest.segmenter import Segmenter

DB_NAME = "articleqa.sqlite3"


class NotReady(RuntimeError):
    """No snapshot has been published yet (run `articleqa ingest`)."""


class Engine:
    """Owns a data folder: the store, the writer, and the current snapshot's searcher.

    Readers take the searcher of the snapshot current when they start and keep it for the whole
    request; a newer published snapshot is picked up on the next request.
    """

    def __init__(self, data_dir: Path, embedder: Embedder, segmenter: Segmenter,
                 config: IndexConfig | None = None, search_params: SearchParams | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.segmenter = segmenter
        self.config = config or IndexConfig()
        self.search_params = search_params or SearchParams()
        self.store = Store(self.data_dir / DB_NAME)
        self.indexer = Indexer(self.data_dir, self.store, embedder, segmenter, self.config)
        self._searcher: Searcher | None = None
        self._load_lock = threading.Lock()
        self.last_load_error: str = ""

    # -- reading --------------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """The searcher of the current snapshot, reloading when CURRENT moved.

        A snapshot that fails to load is not served: the previous one keeps serving, or NotReady."""
        version = read_current(self.data_dir)
        current = self._searcher
        if version is None:
            raise NotReady(f"no index in {self.data_dir}: run `articleqa ingest` first")
        if current is not None and current.snapshot.version == version:
            return current
        with self._load_lock:
            current = self._searcher
            if current is not None and current.snapshot.version == version:
                return current
            try:
                snap = Snapshot.load(self.data_dir / SNAPSHOTS / version, embedder_id=self.embedder.id,
                                     dim=self.embedder.dim, dictionary_hash=self.segmenter.dictionary_hash)
            except SnapshotError as exc:
                self.last_load_error = str(exc)
                if current is not None:
                    return current
                raise
            self.last_load_error = ""
            self._searcher = Searcher(snap, self.embedder, self.segmenter, self.search_params)
            return self._searcher

    def ready(self) -> bool:
        try:
            self.searcher()
        except (NotReady, SnapshotError):
            return False
        return True

    def search(self, query: str, top_k: int = 5, doc_ids: Sequence[str] | None = None) -> SearchResult:
        return self.searcher().search(query, top_k=top_k, doc_ids=doc_ids)

    def ask(self, question: str, top_k: int = 5, doc_ids: list[str] | None = None) -> Answer:
        return answer_question(self.searcher(), question, top_k=top_k, doc_ids=doc_ids)

    def documents(self) -> list[dict[str, Any]]:
        return self.searcher().snapshot.documents()

    def stats(self) -> dict[str, Any]:
        snap = self.searcher().snapshot
        m = snap.manifest
        return {
            "documents": m["counts"]["documents"],
            "passages": m["counts"]["passages"],
            "index_version": snap.version,
            "embedder": m["embedder"]["id"],
            "dimension": m["embedder"]["dim"],
            "segmenter": m["segmenter"],
            "created_at": m["created_at"],
            "data_dir": str(self.data_dir),
        }

    # -- writing --------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path], rebuild: bool = False, progress: Progress | None = None,
               gate: Gate | None = None) -> IngestReport:
        return self.indexer.ingest_paths(list(paths), rebuild=rebuild, progress=progress, gate=gate)

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
            self._searcher.snapshot.close()
        self.store.close()
