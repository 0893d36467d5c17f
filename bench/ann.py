"""Exact (flat) against approximate (HNSW) dense search: build time, latency and recall@10 against exact."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.stats import summary
from index.dense import DenseIndex


def build_hnsw(vectors: np.ndarray) -> tuple[DenseIndex, float]:
    """The core's HNSW (M=32, efConstruction=80) over `vectors`, and the seconds it took."""
    start = time.perf_counter()
    index = DenseIndex.build(vectors, kind="hnsw")
    return index, time.perf_counter() - start


def compare(flat: DenseIndex, hnsw: DenseIndex, qvecs: np.ndarray, repeats: int,
            candidates: int = 100) -> dict[str, Any]:
    """Latency of both at k=10 and at the searcher's k (candidates); recall@10 of HNSW against exact, and
    the mean inner product of HNSW's top 10 over exact's (near 1: the misses are near-ties).

    DenseIndex.search sets efSearch = max(64, 2k): 64 at k=10, 200 at k=100 (what hybrid search asks)."""
    lat: dict[str, list[float]] = {}
    found: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for name, index, k in (("flat_k10", flat, 10), ("hnsw_k10", hnsw, 10), ("flat_kc", flat, candidates),
                           ("hnsw_kc", hnsw, candidates)):
        lat[name], found[name] = [], []
        for i in range(repeats):  # each in its own block of queries
            t0 = time.perf_counter()
            result = index.search(qvecs[i % len(qvecs)], k)
            lat[name].append((time.perf_counter() - t0) * 1000)
            if i < len(qvecs):
                found[name].append(result)
    recall10, recall10_in_kc, score_ratio = [], [], []
    for (exact_scores, exact10), (approx_scores, approx10), (_, approx_c) in zip(
            found["flat_k10"], found["hnsw_k10"], found["hnsw_kc"], strict=True):
        truth = set(exact10.tolist())
        recall10.append(len(truth & set(approx10.tolist())) / max(len(truth), 1))
        recall10_in_kc.append(len(truth & set(approx_c[:candidates].tolist())) / max(len(truth), 1))
        if len(exact_scores) and float(exact_scores.mean()) > 0:
            score_ratio.append(float(approx_scores.mean()) / float(exact_scores.mean()))
    return {
        "latency_ms": {k: summary(v) for k, v in lat.items()},
        "candidates": candidates,
        "recall_at_10": round(float(np.mean(recall10)), 4),
        "recall_at_10_within_candidates": round(float(np.mean(recall10_in_kc)), 4),
        "score_ratio_at_10": round(float(np.mean(score_ratio)), 4) if score_ratio else None,
        "queries": len(recall10),
    }
