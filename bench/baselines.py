"""Side by side in the same run: bm25s against rank_bm25, FAISS against a numpy scan, and the flat-scan limit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.stats import summary
from index.snapshots.dense import DenseIndex
from index.snapshots.keyword import KeywordIndex


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def keyword_libraries(tokens: Sequence[Sequence[str]], queries: Sequence[list[str]], repeats: int,
                      rank_bm25_max: int, k: int = 100, kw: KeywordIndex | None = None,
                      kw_build_s: float | None = None) -> dict[str, Any]:
    """Build time and per-query latency (score every passage + top-k) of bm25s and rank_bm25, same tokens.

    With `kw` (the snapshot's bm25s index over these tokens) and its build time, bm25s is not rebuilt."""
    out: dict[str, Any] = {"k": k}
    if kw is None:
        start = time.perf_counter()
        kw = KeywordIndex.build(tokens)
        kw_build_s = time.perf_counter() - start
    out["bm25s_build_s"] = round(kw_build_s or 0.0, 3)
    out["passages"] = len(kw)
    lat, tops = [], []
    for i in range(repeats):
        terms = queries[i % len(queries)]
        t0 = time.perf_counter()
        top = _top(kw.scores(kw.known(terms)), k)
        lat.append((time.perf_counter() - t0) * 1000)
        tops.append(top[:10])
    out["bm25s_ms"] = summary(lat)
    if len(kw) > rank_bm25_max or not tokens:
        out["rank_bm25"] = f"skipped: {len(kw)} passages > --rank-bm25-max {rank_bm25_max}"
        return out
    from rank_bm25 import BM25Okapi

    start = time.perf_counter()
    okapi = BM25Okapi([list(t) for t in tokens], k1=1.2, b=0.75)
    out["rank_bm25_build_s"] = round(time.perf_counter() - start, 3)
    lat, overlap = [], []
    n = min(repeats, max(len(queries), 1), 50)  # rank_bm25 is a Python loop per passage and term
    for i in range(n):
        terms = kw.known(queries[i % len(queries)])
        t0 = time.perf_counter()
        top = _top(np.asarray(okapi.get_scores(terms)), k) if terms else np.zeros(0, np.int64)
        lat.append((time.perf_counter() - t0) * 1000)
        if len(tops[i]):
            overlap.append(len(set(tops[i].tolist()) & set(top[:10].tolist())) / len(tops[i]))
    out["rank_bm25_ms"] = summary(lat)
    out["top10_overlap"] = round(float(np.mean(overlap)), 3) if overlap else None
    out["speedup_median"] = round(out["rank_bm25_ms"]["median"] / max(out["bm25s_ms"]["median"], 1e-6), 1)
    return out


def dense_scan(flat: DenseIndex, vectors: np.ndarray, qvecs: np.ndarray, repeats: int,
               bandwidth_gbs: float, k: int = 100) -> dict[str, Any]:
    """The core's exact scan (DenseIndex flat: numpy einsum over the memory-mapped .npy) against FAISS
    IndexFlatIP (what the core used before) and a numpy BLAS product `vectors @ q` (+ argpartition each),
    and the memory-bandwidth bound of a scan.

    Each is timed in its own block of queries (interleaving them lets one's idle worker threads slow the other)."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    timed: dict[str, list[float]] = {"core": [], "faiss": [], "numpy": []}
    tops: dict[str, list[set[int]]] = {"core": [], "faiss": [], "numpy": []}
    scans = {"core": lambda q: flat.search(q, k)[1],
             "faiss": lambda q: index.search(q.reshape(1, -1), k)[1][0],
             "numpy": lambda q: _top(vectors @ q, k)}
    for name, scan in scans.items():
        for i in range(repeats):
            q = qvecs[i % len(qvecs)]
            t0 = time.perf_counter()
            rows = scan(q)
            timed[name].append((time.perf_counter() - t0) * 1000)
            tops[name].append(set(rows[:10].tolist()))
    bytes_per_query = int(vectors.nbytes)
    limit_ms = bytes_per_query / (bandwidth_gbs * 1e9) * 1000 if bandwidth_gbs else 0.0
    c, f, n = summary(timed["core"]), summary(timed["faiss"]), summary(timed["numpy"])
    return {
        "k": k,
        "core_ms": c,
        "faiss_ms": f,
        "numpy_ms": n,
        "top10_agreement": round(float(np.mean([len(a & b) / 10 for a, b in zip(tops["core"], tops["faiss"],
                                                                                 strict=True)])), 3),
        "bytes_per_query": bytes_per_query,
        "bandwidth_gbs": bandwidth_gbs,
        "limit_ms": round(limit_ms, 3),
        "core_effective_gbs": round(bytes_per_query / (c["median"] / 1000) / 1e9, 2) if c["median"] else 0.0,
        "faiss_effective_gbs": round(bytes_per_query / (f["median"] / 1000) / 1e9, 2) if f["median"] else 0.0,
        "core_over_limit": round(c["median"] / limit_ms, 2) if limit_ms else None,
    }
