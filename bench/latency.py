"""In-process hybrid search latency, split into query embedding, dense, keyword, fusion and the rest."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.core import dense_search, dense_vectors, keyword_scores
from bench.stats import summary
from index.fusion import fuse
from index.searcher import Searcher
from index.snapshots.snapshot import Snapshot
from ingest.embedders import Embedder, ProgressFn


class QueryTableEmbedder:
    """Answers the benchmark's queries from their precomputed real vectors (to time search without the model)."""

    def __init__(self, real: Embedder, embedder_id: str, queries: Sequence[str], vectors: np.ndarray) -> None:
        self.real = real
        self._id = embedder_id
        self.table = {q: vectors[i] for i, q in enumerate(queries)}

    @property
    def id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return self.real.dim

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        raise RuntimeError("QueryTableEmbedder only embeds queries")

    def embed_query(self, text: str) -> np.ndarray:
        vec = self.table.get(text)
        return vec if vec is not None else self.real.embed_query(text)


def query_embedding_ms(embedder: Embedder, queries: Sequence[str]) -> list[float]:
    out = []
    for q in queries:
        start = time.perf_counter()
        embedder.embed_query(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def split_latency(searcher: Searcher, queries: Sequence[str], qvecs: np.ndarray, repeats: int,
                  top_k: int = 5) -> dict[str, Any]:
    """Per query: dense, keyword, fusion (the Searcher's own steps, repeated here with clocks around them)
    and the whole `Searcher.search` with the query vector already known ("search_rest")."""
    snap = searcher.index
    if not isinstance(snap, Snapshot):  # the per-step clocks read the snapshot's own indexes
        raise TypeError(f"split latency reads a snapshot, not a {type(snap).__name__}")
    p = searcher.params
    parts: dict[str, list[float]] = {"segment": [], "keyword": [], "dense": [], "fusion": [], "search_rest": []}
    for q in queries[:3]:  # warm-up: first-touch costs (page faults of mmap'd files, lazy imports)
        searcher.search(q, top_k=top_k)
    for i in range(repeats):
        q, qv = queries[i % len(queries)], qvecs[i % len(queries)]
        n_cand = max(p.candidates, top_k)
        t0 = time.perf_counter()
        terms = searcher.segmenter.tokenize(q)
        t1 = time.perf_counter()
        kw_all = keyword_scores(snap, terms)
        kw_rows = np.zeros(0, dtype=np.int64)
        if kw_all.any():
            k = min(n_cand, snap.size)
            top = np.argpartition(-kw_all, k - 1)[:k]
            kw_rows = top[kw_all[top] > 0]
        t2 = time.perf_counter()
        dense_rows = dense_search(snap, qv, n_cand)
        t3 = time.perf_counter()
        cand = np.array(sorted(set(dense_rows.tolist()) | set(kw_rows.tolist())), dtype=np.int64)
        fused = fuse(dense_vectors(snap, cand) @ qv, kw_all[cand], p.fusion)
        np.argsort(-fused, kind="stable")
        t4 = time.perf_counter()
        searcher.search(q, top_k=top_k)
        t5 = time.perf_counter()
        parts["segment"].append((t1 - t0) * 1000)
        parts["keyword"].append((t2 - t1) * 1000)
        parts["dense"].append((t3 - t2) * 1000)
        parts["fusion"].append((t4 - t3) * 1000)
        parts["search_rest"].append((t5 - t4) * 1000)
    out = {k: summary(v) for k, v in parts.items()}
    rest = np.asarray(parts["search_rest"])
    steps = sum(np.asarray(parts[k]) for k in ("segment", "keyword", "dense", "fusion"))
    out["assemble"] = summary(np.maximum(rest - steps, 0.0).tolist())
    return out


def cold_search_ms(searcher: Searcher, queries: Sequence[str], top_k: int = 5) -> list[float]:
    """Whole searches of distinct queries with the real model embedding each (no query cache hits)."""
    out = []
    for q in queries:
        start = time.perf_counter()
        searcher.search(q, top_k=top_k)
        out.append((time.perf_counter() - start) * 1000)
    return out
