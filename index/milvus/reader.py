"""One published version of the Milvus collection, read through the alias: the SearchIndex of Milvus."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from index.backend import Candidates
from index.dense_kinds import HNSW_EF_PER_K, HNSW_EF_SEARCH, IVF_NPROBE
from index.milvus.client import quote
from index.milvus.side import SideReader
from index.milvus.sparse import query_weights, sparse_dot
from index.store import Store
from index.types import PassageRow
from ingest.latent_terms import LatentTerms

_QUERY_ROWS = 16_000  # rows one query returns at most (Milvus caps a query at 16,384)
FIELDS = ("passage_id", "doc_id", "section", "paragraph", "char_start", "char_end", "text", "tokens", "title", "url")


class MilvusIndex:
    """One published version of the collection, read through the alias (the SearchIndex of Milvus)."""

    def __init__(self, client: Callable[[], Any], manifest: dict[str, Any], store: Store | None = None) -> None:
        self.client = client  # the backend's: connected on first use, shared by every version
        self._manifest = manifest
        self.store = store  # unused for reading: a replica has none
        self.collection = str(manifest["collection"])
        self.side = SideReader(client, manifest)  # term statistics and articles, from Milvus as well

    @property
    def version(self) -> str:
        return str(self._manifest["version"])

    @property
    def manifest(self) -> dict[str, Any]:
        return self._manifest

    @property
    def size(self) -> int:
        return int(self._manifest["counts"]["passages"])

    def known(self, terms: Sequence[str]) -> list[str]:
        stats = self.side.term_stats(terms)
        return [t for t in terms if t in stats and stats[t][1] > 0]

    def _query_sparse(self, terms: Sequence[str]) -> dict[int, float]:
        passages, _ = self.side.keyword_totals()
        return query_weights(terms, self.side.term_stats(terms), passages)

    def search_hybrid(self, query: np.ndarray | None, terms: Sequence[str] | None, k: int,
                      doc_ids: Sequence[str] | None = None) -> Candidates:
        """Both retrievers in one hybrid call; each candidate comes back with its vectors, so both
        scores are computed here exactly as the snapshot backend computes them."""
        from pymilvus import AnnSearchRequest, RRFRanker

        if self.size == 0:
            return Candidates.empty()
        expr = ""
        if doc_ids:
            # Only ids that exist go into the filter: anything else matches nothing anyway, and an
            # arbitrary string could hold characters the filter language cannot escape.
            existing = self.side.existing(doc_ids)
            if not existing:
                return Candidates.empty()
            expr = f"doc_id in {quote(existing)}"
        qsparse = self._query_sparse(terms) if terms is not None else {}
        # The mode this collection was built with (a changed setting takes effect at the next full build).
        server = self._manifest["keyword"]["mode"] == "server" and terms is not None and bool(terms)
        requests = []
        if query is not None:
            requests.append(AnnSearchRequest(data=[np.asarray(query, np.float32).tolist()], anns_field="dense",
                                             param=self._dense_params(k), limit=k, expr=expr))
        if server:
            requests.append(AnnSearchRequest(data=[" ".join(terms or ())], anns_field="bm25",
                                             param={"metric_type": "BM25"}, limit=k, expr=expr))
        elif qsparse:
            requests.append(AnnSearchRequest(data=[qsparse], anns_field="sparse", param={"metric_type": "IP"},
                                             limit=k, expr=expr))
        if not requests:
            return Candidates.empty()
        c = self.client()
        out = ["dense", "sparse"]
        if len(requests) == 1:
            r = requests[0]
            hits = c.search(self.collection, data=r.data, anns_field=r.anns_field, search_params=r.param,
                            limit=k, filter=expr, output_fields=out)[0]
        else:
            hits = c.hybrid_search(self.collection, requests, ranker=RRFRanker(60), limit=2 * k,
                                   output_fields=out)[0]
        if not hits:
            return Candidates.empty()
        rows = np.array([int(h["pk"]) for h in hits], dtype=np.int64)
        if query is not None:
            vectors = np.asarray([h["entity"]["dense"] for h in hits], dtype=np.float32)
            dense = vectors @ np.asarray(query, np.float32)
        else:
            dense = np.zeros(len(hits), np.float32)
        if server:
            keyword = self._server_ranks(terms or (), k, expr, rows)
        else:
            keyword = np.array([sparse_dot(qsparse, h["entity"]["sparse"]) for h in hits], dtype=np.float32)
        return Candidates(rows, dense.astype(np.float32), keyword)

    def _dense_params(self, k: int) -> dict[str, Any]:
        kind = self._manifest["dense"]["kind"]
        if kind == "hnsw":
            return {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, HNSW_EF_PER_K * k)}}
        if kind == "ivf":
            return {"metric_type": "IP", "params": {"nprobe": min(IVF_NPROBE, int(self._manifest["dense"]["nlist"]))}}
        return {"metric_type": "IP"}

    def _server_ranks(self, terms: Sequence[str], k: int, expr: str, rows: np.ndarray) -> np.ndarray:
        """Milvus' own BM25, as rank-based scores 1/(60 + rank) (its raw scores are not comparable)."""
        hits = self.client().search(self.collection, data=[" ".join(terms)], anns_field="bm25",
                                            search_params={"metric_type": "BM25"}, limit=k, filter=expr)[0]
        rank = {int(h["pk"]): i for i, h in enumerate(hits)}
        return np.array([1.0 / (61 + rank[int(r)]) if int(r) in rank else 0.0 for r in rows], dtype=np.float32)

    def search_dense(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        found = self.search_hybrid(query, None, k, doc_ids)
        order = np.argsort(-found.dense, kind="stable")[:k]
        return Candidates(found.rows[order], found.dense[order], found.keyword[order])

    def search_keyword(self, terms: Sequence[str], k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        found = self.search_hybrid(None, terms, k, doc_ids)
        order = np.argsort(-found.keyword, kind="stable")[:k]
        order = order[found.keyword[order] > 0]
        return Candidates(found.rows[order], found.dense[order], found.keyword[order])

    def latent_scores(self, query: LatentTerms, rows: np.ndarray) -> np.ndarray | None:
        """The candidates' latent terms, read back by key and scored here as the snapshot backend does."""
        if not self._manifest.get("latent"):
            return None
        keys = [int(r) for r in rows]
        if not keys or len(query) == 0:
            return np.zeros(len(keys), dtype=np.float32)
        found = self.client().query(self.collection, ids=keys, output_fields=["latent"])
        weights = query.as_dict()
        by_key = {int(r["pk"]): sparse_dot(weights, r["latent"]) for r in found}
        return np.array([by_key.get(k, 0.0) for k in keys], dtype=np.float32)

    def rows(self, rows: list[int]) -> list[PassageRow]:
        if not rows:
            return []
        found = self.client().query(self.collection, ids=[int(r) for r in rows], output_fields=list(FIELDS))
        by_key = {int(r["pk"]): r for r in found}
        return [PassageRow(int(r), *(by_key[int(r)][f] for f in FIELDS)) for r in rows if int(r) in by_key]

    def passage_texts(self) -> list[str]:
        # Articles in batches under Milvus' 16,384 rows a query (the listing gives each one's count), not
        # query_iterator: on Milvus Lite that one logs a plain-text warning and reads no consistent timestamp.
        texts: list[str] = []
        for batch in _article_batches(self.side.documents(), _QUERY_ROWS):
            found = self.client().query(self.collection, filter=f"doc_id in {quote(batch)}",
                                        output_fields=["text"], limit=_QUERY_ROWS)
            texts.extend(str(r["text"]) for r in found)
        return texts

    def docs_of_rows(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        if len(rows) == 0:
            return []
        found = self.client().query(self.collection, ids=[int(r) for r in rows], output_fields=["doc_id"])
        by_key = {int(r["pk"]): str(r["doc_id"]) for r in found}
        return [by_key.get(int(r), "") for r in rows]

    def documents(self) -> list[dict[str, Any]]:
        return self.side.documents()

    def close(self) -> None:
        """The client belongs to the backend; nothing to release per version."""


def _article_batches(documents: list[dict[str, Any]], rows: int) -> Iterator[list[str]]:
    """Article ids in groups whose passages add up to at most `rows`; an article with more goes alone (and
    only its first `rows` passages are counted: 16,000 passages is an article of some 5 million characters)."""
    batch: list[str] = []
    total = 0
    for doc in documents:
        n = int(doc["passages"])
        if batch and total + n > rows:
            yield batch
            batch, total = [], 0
        batch.append(str(doc["doc_id"]))
        total += n
    if batch:
        yield batch
