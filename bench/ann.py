"""Exact (flat) against approximate (IVF or HNSW) dense search: build time, latency, recall@10 against exact."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.stats import summary
from index.snapshots.dense import DenseIndex

SWEEPS = {"ivf": (16, 32, 64, 128, 256), "hnsw": (64, 128, 256, 512, 1024)}  # nprobe / efSearch


def build_ann(vectors: np.ndarray, kind: str) -> tuple[DenseIndex, float]:
    """The core's ANN index of `kind` (index.dense defaults) over `vectors`, and the seconds it took."""
    start = time.perf_counter()
    index = DenseIndex.build(vectors, kind=kind)
    return index, time.perf_counter() - start


def exact_top(vectors: np.ndarray, qvecs: np.ndarray, k: int = 100, block: int = 32) -> np.ndarray:
    """The exact top k rows of each query (ground truth), a block of queries per matrix product."""
    out = np.zeros((len(qvecs), k), dtype=np.int64)
    for lo in range(0, len(qvecs), block):
        scores = qvecs[lo : lo + block] @ vectors.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        out[lo : lo + block] = np.take_along_axis(top, order, axis=1)
    return out


def _recall10(truth: np.ndarray, found: Sequence[np.ndarray]) -> float:
    return float(np.mean([len(set(t[:10].tolist()) & set(f[:10].tolist())) / 10 for t, f in zip(truth, found,
                                                                                                strict=True)]))


def compare(flat: DenseIndex, ann: DenseIndex, qvecs: np.ndarray, truth: np.ndarray, repeats: int,
            candidates: int = 100) -> dict[str, Any]:
    """Latency of both at k=10 and at the searcher's k (candidates) with the core's search parameters;
    recall@10 of the ANN index against exact: of its top 10 at k=10, and of the top 10 of its `candidates`
    results (the dense candidates hybrid search takes and re-scores exactly); and the mean inner
    product of its top 10 over exact's (near 1: the misses are near-ties). Keys say "hnsw" for any kind."""
    lat: dict[str, list[float]] = {}
    found: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for name, index, k in (("flat_k10", flat, 10), ("hnsw_k10", ann, 10), ("flat_kc", flat, candidates),
                           ("hnsw_kc", ann, candidates)):
        lat[name], found[name] = [], []
        for i in range(repeats):  # each in its own block of queries
            t0 = time.perf_counter()
            result = index.search(qvecs[i % len(qvecs)], k)
            lat[name].append((time.perf_counter() - t0) * 1000)
            if i < len(qvecs):
                found[name].append(result)
    n = len(found["hnsw_k10"])
    score_ratio = [float(a[0][:10].mean()) / float(e[0][:10].mean())
                   for e, a in zip(found["flat_k10"], found["hnsw_k10"], strict=True) if float(e[0].mean()) > 0]
    return {
        "latency_ms": {k: summary(v) for k, v in lat.items()},
        "candidates": candidates,
        "hnsw": ann.describe(),
        "recall_at_10": round(_recall10(truth[:n], [f[1] for f in found["hnsw_k10"]]), 4),
        "recall_at_10_within_candidates": round(_recall10(truth[:n], [f[1] for f in found["hnsw_kc"]]), 4),
        "exact_agrees_with_truth": round(_recall10(truth[:n], [f[1] for f in found["flat_k10"]]), 4),
        "score_ratio_at_10": round(float(np.mean(score_ratio)), 4) if score_ratio else None,
        "queries": n,
    }


def sweep(ann: DenseIndex, qvecs: np.ndarray, truth: np.ndarray, values: Sequence[int] | None = None,
          candidates: int = 100) -> list[dict[str, Any]]:
    """recall@10 and latency of the same ANN index at several nprobe (IVF) or efSearch (HNSW, raised to k
    when below it, as FAISS needs), at k=10 and k=candidates, through DenseIndex.search."""
    out = []
    knob = "nprobe" if ann.kind == "ivf" else "ef_search"
    saved = getattr(ann, knob)
    try:
        for value in values or SWEEPS[ann.kind]:
            setattr(ann, knob, value)
            row: dict[str, Any] = {"knob": knob, "value": value}
            for label, k in (("k10", 10), ("kc", candidates)):
                lat, got = [], []
                for q in qvecs:
                    t0 = time.perf_counter()
                    got.append(ann.search(q, k)[1])
                    lat.append((time.perf_counter() - t0) * 1000)
                row[f"recall_at_10_{label}"] = round(_recall10(truth, got), 4)
                row[f"latency_ms_{label}"] = summary(lat)
            out.append(row)
    finally:
        setattr(ann, knob, saved)
    return out
