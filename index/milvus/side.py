"""Side data of a Milvus build: the articles and term statistics that readers need without the SQLite store.

Each passages collection `<alias>__NNNNNN` has two side collections, `…_articles` (one row per part of
an article: its listing fields, and its text, sections and metadata as JSON cut into parts that fit a
VARCHAR) and `…_terms` (term → store term id and document frequency). The writer fills them in the
same publish as the passages, before the manifest (and on a full build the alias) moves, so a reader
that sees a manifest finds its side data; BM25's N and total length travel in the manifest itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from index.catalog import DocumentRow, PassageSpan
from index.errors import BackendUnavailable
from index.milvus.client import quote, row_key
from index.store import Store, StoredArticle
from ingest.types import Article, Section

SIDE_FORMAT = 1
PART_CHARS = 16_000  # at most 4 bytes a character in UTF-8: a part fits Milvus' 65,535-byte VARCHAR
_BATCH = 500
_VARCHAR = 65_535
# Milvus refuses a collection without a vector field and loads none without an index: a constant 2-d one.
_PLACEHOLDER = [0.0, 0.0]
_LISTING = ("doc_id", "title", "url", "publisher", "published_at", "source", "origin", "content_hash",
            "passages", "updated_at")


def side_names(collection: str) -> dict[str, str]:
    """The side collections of one passages collection."""
    return {"articles": f"{collection}_articles", "terms": f"{collection}_terms"}


def article_key(doc_id: str, part: int) -> int:
    """Primary key of one part of an article (the same in every build)."""
    return row_key(f"{doc_id}\x00{part}")


def _literal(value: str) -> bool:
    """Whether the filter language can hold this string: JSON writes control characters as \\u escapes,
    which it does not read (no doc id or term has one, so leaving such a string out finds the same)."""
    return all(ch >= " " for ch in value)


def _chunks(values: Sequence[str], size: int = _BATCH) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


class SideWriter:
    """Writes the side data of one build; `client` returns the (guarded) MilvusClient."""

    def __init__(self, client: Callable[[], Any]) -> None:
        self.client = client

    def create(self, names: dict[str, str]) -> None:
        """Both side collections, empty, with Strong consistency (a read sees every acknowledged write)."""
        from pymilvus import DataType

        c = self.client()
        schemas = {}
        articles = c.create_schema(auto_id=False, enable_dynamic_field=False)
        articles.add_field("pk", DataType.INT64, is_primary=True)
        articles.add_field("part", DataType.INT64)
        articles.add_field("parts", DataType.INT64)
        for name in _LISTING:
            if name == "passages":
                articles.add_field(name, DataType.INT64)
            else:
                articles.add_field(name, DataType.VARCHAR, max_length=_VARCHAR)
        articles.add_field("payload", DataType.VARCHAR, max_length=_VARCHAR)
        schemas[names["articles"]] = articles
        terms = c.create_schema(auto_id=False, enable_dynamic_field=False)
        terms.add_field("term", DataType.VARCHAR, is_primary=True, max_length=_VARCHAR)
        terms.add_field("tid", DataType.INT64)
        terms.add_field("df", DataType.INT64)
        schemas[names["terms"]] = terms
        for name, schema in schemas.items():
            schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(_PLACEHOLDER))
            index = c.prepare_index_params()
            index.add_index("placeholder", index_type="FLAT", metric_type="L2")
            c.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")

    def drop(self, names: dict[str, str]) -> None:
        c = self.client()
        for name in names.values():
            if c.has_collection(name):
                c.drop_collection(name)

    def write_articles(self, names: dict[str, str], store: Store, doc_ids: Sequence[str]) -> None:
        """Upsert these articles as the store has them now (parts they no longer have are deleted)."""
        c = self.client()
        name = names["articles"]
        for part_ids in _chunks(sorted(set(doc_ids)), 100):
            listing = store.listing(part_ids)
            rows: list[dict[str, Any]] = []
            for doc_id in part_ids:
                article = store.get_article(doc_id)
                if article is None or doc_id not in listing:  # deleted since: the tombstone removes it
                    continue
                rows += _article_rows(article, *listing[doc_id])
            if rows:
                c.upsert(name, rows)
            keep = {int(r["pk"]) for r in rows}
            old = c.query(name, filter=f"doc_id in {quote(part_ids)}", output_fields=["part"])
            stale = [int(r["pk"]) for r in old if int(r["pk"]) not in keep]
            if stale:
                c.delete(name, ids=stale)

    def delete_articles(self, names: dict[str, str], doc_ids: Sequence[str]) -> None:
        c = self.client()
        for part in _chunks(sorted(set(doc_ids))):
            c.delete(names["articles"], filter=f"doc_id in {quote(part)}")

    def write_terms(self, names: dict[str, str], store: Store, terms: Iterable[str]) -> None:
        """Upsert the store's current id and document frequency of these terms."""
        c = self.client()
        wanted = sorted(set(terms))
        for part in _chunks(wanted, 2000):
            stats = store.term_stats(part)
            rows = [{"term": t, "tid": tid, "df": df, "placeholder": _PLACEHOLDER} for t, (tid, df) in stats.items()]
            if rows:
                c.upsert(names["terms"], rows)

    def published_terms(self, passages: str, doc_ids: Sequence[str]) -> set[str]:
        """The terms of these articles' passages as the collection holds them (before they change), so
        that the document frequencies a change lowers are written again."""
        c = self.client()
        terms: set[str] = set()
        for part in _chunks(sorted(set(doc_ids)), 50):
            for r in c.query(passages, filter=f"doc_id in {quote(part)}", output_fields=["tokens"]):
                terms.update(str(r["tokens"]).split())
        return terms


def _article_rows(article: Article, stored: StoredArticle, publisher: str, published_at: str) -> list[dict[str, Any]]:
    """The parts of one article: listing fields on each, the JSON payload cut into PART_CHARS pieces."""
    sections = [[s.title, s.start, s.end, s.kind] for s in article.sections]
    payload = json.dumps({"text": article.text, "sections": sections, "metadata": dict(article.metadata)},
                         ensure_ascii=False)
    pieces = [payload[i : i + PART_CHARS] for i in range(0, len(payload), PART_CHARS)]
    listing = {"doc_id": article.doc_id, "title": article.title, "url": article.url or "",
               "publisher": publisher, "published_at": published_at, "source": stored.source or "",
               "origin": stored.origin or "", "content_hash": stored.content_hash, "passages": stored.passages,
               "updated_at": stored.updated_at or ""}
    return [{"pk": article_key(article.doc_id, i), "part": i, "parts": len(pieces), **listing, "payload": piece,
             "placeholder": _PLACEHOLDER} for i, piece in enumerate(pieces)]


class SideReader:
    """Reads the side data of one published build (the manifest names it) — a Catalog, and what the
    Milvus index needs for BM25 query weights and the doc-id pre-filter."""

    def __init__(self, client: Callable[[], Any], manifest: dict[str, Any]) -> None:
        side = manifest.get("side")
        if not isinstance(side, dict) or side.get("format") != SIDE_FORMAT:
            raise ValueError(f"Milvus collection {manifest.get('collection')!r} has no side data of format "
                             f"{SIDE_FORMAT} (built by an older articleqa): the writer's next `articleqa ingest` "
                             "rebuilds it, or `articleqa migrate --to milvus`")
        self.client = client
        self.manifest = manifest
        self.passages = str(manifest["collection"])
        self.articles = str(side["articles"])
        self.terms = str(side["terms"])

    def load(self) -> None:
        """Load the build's collections: a collection reopened by another process must be (Lite)."""
        c = self.client()
        for name in (self.passages, self.articles, self.terms):
            c.load_collection(name)

    def generation(self) -> int:
        return int(self.manifest["store_generation"])

    def counts(self) -> tuple[int, int]:
        counts = self.manifest["counts"]
        return int(counts["documents"]), int(counts["passages"])

    def keyword_totals(self) -> tuple[int, int]:
        """(passages, tokens over all passages) when this build was published: BM25's N and length."""
        side = self.manifest["side"]
        return int(side["passages"]), int(side["tokens"])

    def term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        c = self.client()
        for part in _chunks(sorted({t for t in terms if _literal(t)}), 1000):
            for r in c.query(self.terms, filter=f"term in {quote(part)}", output_fields=["tid", "df"]):
                out[str(r["term"])] = (int(r["tid"]), int(r["df"]))
        return out

    def existing(self, doc_ids: Sequence[str]) -> list[str]:
        """Those of `doc_ids` that are published, sorted."""
        c = self.client()
        found: set[str] = set()
        for part in _chunks(sorted({d for d in doc_ids if _literal(d)}), 1000):
            found.update(str(r["doc_id"]) for r in c.query(
                self.articles, filter=f"part == 0 and doc_id in {quote(part)}", output_fields=["doc_id"]))
        return sorted(found)

    def _listing(self) -> list[dict[str, Any]]:
        """Part 0 of every article (its listing fields), by doc_id."""
        rows: list[dict[str, Any]] = []
        iterator = self.client().query_iterator(self.articles, batch_size=1000, filter="part == 0",
                                                output_fields=list(_LISTING))
        try:
            while batch := iterator.next():
                rows += batch
        finally:
            iterator.close()
        return sorted(rows, key=lambda r: str(r["doc_id"]))

    def list_articles(self) -> list[StoredArticle]:
        return [StoredArticle(r["doc_id"], r["title"], r["url"], r["origin"], r["source"], r["content_hash"],
                              int(r["passages"]), r["updated_at"]) for r in self._listing()]

    def documents_table(self, doc_ids: Sequence[str] | None = None) -> list[DocumentRow]:
        wanted = None if doc_ids is None else set(doc_ids)
        return [(r["doc_id"], r["title"], r["url"], r["publisher"], r["published_at"], r["updated_at"])
                for r in self._listing() if wanted is None or r["doc_id"] in wanted]

    def documents(self) -> list[dict[str, Any]]:
        """`[{doc_id, title, url, updated_at, passages}]` of every article, by doc_id (SearchIndex.documents)."""
        return [{"doc_id": r["doc_id"], "title": r["title"], "url": r["url"], "updated_at": r["updated_at"],
                 "passages": int(r["passages"])} for r in self._listing()]

    def get_article(self, doc_id: str) -> Article | None:
        if not _literal(doc_id):
            return None
        rows = self.client().query(self.articles, filter=f"doc_id == {json.dumps(doc_id, ensure_ascii=False)}",
                                   output_fields=[*_LISTING, "part", "parts", "payload"])
        if not rows:
            return None
        rows.sort(key=lambda r: int(r["part"]))
        head = rows[0]
        # While a publish replaces the article, parts of the old version may linger beyond the new count.
        rows = [r for r in rows if r["content_hash"] == head["content_hash"] and int(r["part"]) < int(head["parts"])]
        if [int(r["part"]) for r in rows] != list(range(int(head["parts"]))):
            # Answered 503 with Retry-After, like any moment the index cannot answer.
            raise BackendUnavailable(f"article {doc_id!r} in {self.articles}: parts {[r['part'] for r in rows]} "
                                     f"of {head['parts']}, a publish is rewriting it; ask again")
        data = json.loads("".join(str(r["payload"]) for r in rows))
        sections = tuple(Section(t, s, e, k) for t, s, e, k in data["sections"])
        return Article(head["doc_id"], head["title"], data["text"], sections, url=head["url"],
                       publisher=head["publisher"], published_at=head["published_at"], source=head["source"],
                       metadata=dict(data["metadata"]))

    def passages_of(self, doc_id: str) -> list[PassageSpan]:
        if not _literal(doc_id):
            return []
        rows = self.client().query(self.passages, filter=f"doc_id == {json.dumps(doc_id, ensure_ascii=False)}",
                                   output_fields=["passage_id", "section", "paragraph", "char_start", "char_end",
                                                  "text"])
        spans = [(str(r["passage_id"]), str(r["section"]), int(r["paragraph"]), int(r["char_start"]),
                  int(r["char_end"]), str(r["text"])) for r in rows]
        return sorted(spans, key=lambda s: (s[3], s[4], s[0]))
