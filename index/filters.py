"""Metadata filters (publisher, source, publication dates) resolved to the doc ids a search may rank."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from index.catalog import Catalog

NO_MATCH = "\x00no-article-matches-the-filters"  # a doc id no article has: the pre-filter then admits nothing
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


@dataclass(frozen=True)
class DocFilters:
    """Which articles a search or listing covers; empty fields do not restrict.

    `publisher`: equal to the article's publisher (case and surrounding spaces ignored); `source`: a
    substring of where the article came from (its file path, `upload:<name>`, `api`) or of its URL;
    `published_after` / `published_before`: inclusive dates, and an article without a publication date
    does not match either; `doc_ids`: only these articles."""

    publisher: str = ""
    source: str = ""
    published_after: date | None = None
    published_before: date | None = None
    doc_ids: tuple[str, ...] = ()

    @property
    def by_metadata(self) -> bool:
        return bool(self.publisher.strip() or self.source.strip() or self.published_after or self.published_before)

    @property
    def active(self) -> bool:
        return self.by_metadata or bool(self.doc_ids)


def parse_date(value: str) -> date | None:
    """The date at the start of a stored `published_at` (2024-03-05, 2024/3/5, 2024年3月5日 …), or None."""
    m = _DATE.search(value or "")
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


class FilterResolver:
    """Resolves DocFilters against the store; the article table is re-read only when the store changed."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._lock = threading.Lock()
        self._generation = -1
        self._rows: list[tuple[str, str, str, date | None]] = []  # doc_id, publisher, source + url, date
        self._meta: dict[str, dict[str, str]] = {}  # doc_id → publisher, published_at, source as stored

    def _table(self) -> list[tuple[str, str, str, date | None]]:
        generation = self.catalog.generation()
        with self._lock:
            if generation != self._generation:
                stored = self.catalog.list_articles()
                sources = {a.doc_id: f"{a.source}\n{a.url}" for a in stored}
                table = self.catalog.documents_table()
                self._rows = [(doc_id, (publisher or "").strip().casefold(), sources.get(doc_id, url or ""),
                               parse_date(published_at or ""))
                              for doc_id, _title, url, publisher, published_at, _upd in table]
                by_id = {a.doc_id: a.source for a in stored}
                self._meta = {doc_id: {"publisher": publisher or "", "published_at": published_at or "",
                                       "source": by_id.get(doc_id, "")}
                              for doc_id, _title, _url, publisher, published_at, _upd in table}
                self._generation = generation
            return self._rows

    def metadata(self, doc_id: str) -> dict[str, str]:
        """publisher, published_at and source of an article as stored (empty strings when unknown)."""
        self._table()
        with self._lock:
            return self._meta.get(doc_id, {"publisher": "", "published_at": "", "source": ""})

    def doc_ids(self, filters: DocFilters) -> list[str] | None:
        """The doc ids to pass to the searcher's pre-filter: None for no restriction, [NO_MATCH] for none."""
        if not filters.active:
            return None
        if not filters.by_metadata:
            return list(filters.doc_ids)
        wanted = set(filters.doc_ids)
        publisher = filters.publisher.strip().casefold()
        source = filters.source.strip().casefold()
        out = [
            doc_id for doc_id, pub, src, published in self._table()
            if (not wanted or doc_id in wanted)
            and (not publisher or pub == publisher)
            and (not source or source in src.casefold())
            and (filters.published_after is None or (published is not None and published >= filters.published_after))
            and (filters.published_before is None or (published is not None and published <= filters.published_before))
        ]
        return out or [NO_MATCH]


def make_filters(doc_ids: Sequence[str] | None = None, publisher: str = "", source: str = "",
                 published_after: date | None = None, published_before: date | None = None) -> DocFilters:
    """DocFilters from loose arguments; refuses a date range that ends before it starts."""
    if published_after and published_before and published_before < published_after:
        raise ValueError(f"published_before {published_before.isoformat()} is earlier than published_after "
                         f"{published_after.isoformat()}")
    return DocFilters(publisher=publisher or "", source=source or "", published_after=published_after,
                      published_before=published_before, doc_ids=tuple(doc_ids or ()))
