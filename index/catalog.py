"""What the read path knows of the articles besides the passages: their list, text and term statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from index.store import Store, StoredArticle
from ingest.types import Article

# (doc_id, title, url, publisher, published_at, updated_at), as Store.documents_table gives them.
DocumentRow = tuple[str, str, str, str, str, str]
# (passage_id, section, paragraph, char_start, char_end, text) of one passage, in the article's order.
PassageSpan = tuple[str, str, int, int, int, str]


class Catalog(Protocol):
    """The articles as the served index knows them: the writer's SQLite store on the snapshot backend,
    the side collections of the published build on Milvus (index/milvus/catalog.py), so that an API
    replica needs nothing but the Milvus server."""

    def generation(self) -> int:
        """Moves whenever an article changes: caches keyed by it are refreshed."""
        ...

    def counts(self) -> tuple[int, int]:
        """(articles, passages)."""
        ...

    def term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        """term → (term id, number of passages containing it), for the terms known."""
        ...

    def get_article(self, doc_id: str) -> Article | None: ...

    def list_articles(self) -> list[StoredArticle]:
        """Every article without its text, by doc_id."""
        ...

    def documents_table(self, doc_ids: Sequence[str] | None = None) -> list[DocumentRow]:
        """The listing fields of every article (or of `doc_ids`), by doc_id."""
        ...

    def passages_of(self, doc_id: str) -> list[PassageSpan]:
        """One article's passages in text order."""
        ...


class StoreCatalog:
    """The Catalog of the SQLite store (the snapshot backend, and tools that run beside the writer)."""

    def __init__(self, store: Store, embedder_id: str) -> None:
        self.store = store
        self.embedder_id = embedder_id

    def generation(self) -> int:
        return self.store.generation()

    def counts(self) -> tuple[int, int]:
        return self.store.counts()

    def term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        return self.store.term_stats(terms)

    def get_article(self, doc_id: str) -> Article | None:
        return self.store.get_article(doc_id)

    def list_articles(self) -> list[StoredArticle]:
        return self.store.list_articles()

    def documents_table(self, doc_ids: Sequence[str] | None = None) -> list[DocumentRow]:
        return self.store.documents_table(doc_ids)

    def passages_of(self, doc_id: str) -> list[PassageSpan]:
        return self.store.passage_spans(doc_id)
