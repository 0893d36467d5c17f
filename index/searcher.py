"""Hybrid search over one loaded snapshot: dense + keyword candidates, fused, with citations."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock

import numpy as np

from index.confidence import ConfidenceParams, confidence, term_coverage
from index.fusion import FusionParams, fuse
from index.highlight import highlight_spans
from index.snapshot import PassageRow, Snapshot, SnapshotError
from index.types import Citation, Hit, SearchResult
from ingest.embedders import Embedder
from ingest.segmenter import Segmenter

MAX_QUERY_CHARS = 500
MAX_TOP_K = 50


class QueryError(ValueError):
    """A query the searcher refuses: empty, too long, or a bad top_k."""


@dataclass(frozen=True)
class SearchParams:
    fusion: FusionParams = FusionParams()
    confidence: ConfidenceParams = ConfidenceParams()
    candidates: int = 100  # per retriever, before fusion
    mode: str = "hybrid"  # or "dense" / "keyword", for evaluation


def validate_query(query: str, top_k: int) -> str:
    """Trimmed query, or QueryError naming what is wrong."""
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, got {type(query).__name__}")
    q = query.strip()
    if not q:
        raise QueryError("query is empty: type a question or some keywords")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    if not 1 <= top_k <= MAX_TOP_K:
        raise QueryError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
    return q


class Searcher:
    """Answers queries from one snapshot with the embedder and segmenter it was built with."""

    def __init__(self, snapshot: Snapshot, embedder: Embedder, segmenter: Segmenter,
                 params: SearchParams | None = None, cache_size: int = 1024) -> None:
        if snapshot.size and snapshot.manifest["embedder"]["id"] != embedder.id:
            raise SnapshotError(
                f"snapshot {snapshot.version} was built with {snapshot.manifest['embedder']['id']!r}, "
                f"the embedder given is {embedder.id!r}"
            )
        self.snapshot = snapshot
        self.embedder = embedder
        self.segmenter = segmenter
        self.params = params or SearchParams()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = Lock()

    def query_vector(self, query: str) -> np.ndarray:
        """Query embedding, from an LRU cache when the same query repeats."""
        with self._cache_lock:
            vec = self._cache.get(query)
            if vec is not None:
                self._cache.move_to_end(query)
                return vec
        vec = self.embedder.embed_query(query)
        with self._cache_lock:
            self._cache[query] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def search(self, query: str, top_k: int = 5, doc_ids: Sequence[str] | None = None,
               params: SearchParams | None = None) -> SearchResult:
        started = time.perf_counter()
        q = validate_query(query, top_k)
        p = params or self.params
        snap = self.snapshot
        terms = snap.keyword.known(self.segmenter.tokenize(q))
        all_terms = self.segmenter.tokenize(q)
        if snap.size == 0:
            return SearchResult(q, [], True, _ms(started), snap.version, 0.0)
        allowed = snap.rows_of_docs(list(doc_ids)) if doc_ids else None
        if allowed is not None and len(allowed) == 0:
            return SearchResult(q, [], True, _ms(started), snap.version, 0.0)

        qvec = self.query_vector(q) if p.mode != "keyword" else None
        kw_all = snap.keyword.scores(terms) if p.mode != "dense" else np.zeros(snap.size, np.float32)
        n_cand = max(p.candidates, top_k)
        if allowed is not None:
            cand = allowed
        else:
            cand_set: set[int] = set()
            if qvec is not None:
                _, rows = snap.dense.search(qvec, n_cand)
                cand_set.update(int(r) for r in rows)
            if p.mode != "dense" and kw_all.any():
                k = min(n_cand, snap.size)
                top = np.argpartition(-kw_all, k - 1)[:k]
                cand_set.update(int(r) for r in top if kw_all[r] > 0)
            cand = np.array(sorted(cand_set), dtype=np.int64)
        if len(cand) == 0:
            return SearchResult(q, [], True, _ms(started), snap.version, 0.0)
        dense = (snap.dense.vectors(cand) @ qvec) if qvec is not None else np.zeros(len(cand), np.float32)
        kw = kw_all[cand]
        if p.mode == "dense":
            fused = dense
        elif p.mode == "keyword":
            fused = kw
        else:
            fused = fuse(dense, kw, p.fusion)
        order = np.argsort(-fused, kind="stable")
        picked = self._dedupe(snap, cand, order, top_k)
        rows = snap.rows([int(cand[i]) for i in picked])
        score_of = {int(cand[i]): (float(fused[i]), float(dense[i]), float(kw[i])) for i in picked}
        qterm_set = set(all_terms)
        hits = [self._hit(r, score_of[r.row], qterm_set) for r in rows]

        top_dense = float(dense.max()) if qvec is not None else 0.0
        best_terms = set(rows[0].tokens.split()) if rows else set()
        cov = term_coverage(all_terms, best_terms, snap.keyword.idf(all_terms))
        conf = confidence(top_dense, cov, p.confidence)
        return SearchResult(q, hits, conf < 0.5, _ms(started), snap.version, conf)

    def _dedupe(self, snap: Snapshot, cand: np.ndarray, order: np.ndarray, top_k: int) -> list[int]:
        """Top-k candidate positions, skipping passages whose text repeats one already picked."""
        picked: list[int] = []
        seen: set[str] = set()
        window = list(order[: max(top_k * 3, top_k + 10)])
        rows = {r.row: r for r in snap.rows([int(cand[i]) for i in window])}
        for i in window:
            r = rows.get(int(cand[i]))
            key = "".join(r.text.split()) if r else str(i)
            if key in seen:
                continue
            seen.add(key)
            picked.append(int(i))
            if len(picked) == top_k:
                break
        return picked

    def _hit(self, row: PassageRow, scores: tuple[float, float, float], qterms: set[str]) -> Hit:
        fused, dense, kw = scores
        return Hit(
            passage_id=row.passage_id,
            doc_id=row.doc_id,
            score=round(fused, 6),
            text=row.text,
            citation=Citation(row.doc_id, row.title, row.url, row.section, row.paragraph, row.char_start,
                              row.char_end),
            highlights=highlight_spans(row.text, qterms, self.segmenter),
            dense_score=round(dense, 6),
            keyword_score=round(kw, 6),
        )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
