"""Page numbers for citations of PDF articles, from the page offsets their reader stored with them."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

from index.catalog import Catalog
from index.types import Answer, Citation, Hit, SearchResult
from ingest.pdf import PAGE_STARTS_KEY, page_at


class PageNumbers:
    """Adds `page` to citations of articles that have pages; per-article offsets cached per store generation."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._generation = -1
        self._cache: dict[str, list[list[int]]] = {}

    def _starts(self, doc_id: str) -> list[list[int]]:
        generation = self.catalog.generation()
        with self._lock:
            if generation != self._generation:
                self._cache.clear()
                self._generation = generation
            if doc_id in self._cache:
                return self._cache[doc_id]
        article = self.catalog.get_article(doc_id)
        raw = article.metadata.get(PAGE_STARTS_KEY, "") if article is not None else ""
        try:
            starts = [[int(a), int(b)] for a, b in json.loads(raw)] if raw else []
        except (ValueError, TypeError):
            starts = []
        with self._lock:
            self._cache[doc_id] = starts
        return starts

    def citation(self, c: Citation) -> Citation:
        starts = self._starts(c.doc_id)
        return replace(c, page=page_at(starts, c.char_start)) if starts else c

    def hit(self, h: Hit) -> Hit:
        cited = self.citation(h.citation)
        return h if cited is h.citation else replace(h, citation=cited)

    def search_result(self, result: SearchResult) -> SearchResult:
        return replace(result, hits=[self.hit(h) for h in result.hits])

    def answer(self, answer: Answer) -> Answer:
        return replace(answer, hits=[self.hit(h) for h in answer.hits],
                       quotes=[replace(q, citation=self.citation(q.citation)) for q in answer.quotes])
