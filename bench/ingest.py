"""Ingest through the real core (parse → segment → embed → store → publish), timed stage by stage."""

from __future__ import annotations

import time
from typing import Any

from bench.embedders import TimedEmbedder
from bench.memory import peak_rss_mb, rss_mb
from bench.segmenters import TimedSegmenter
from bench.stats import rate_summary
from index.engine import Engine
from ingest.readers import read_article_text

STAGES = ("parse", "segment", "embed", "store")


def ingest_pages(engine: Engine, pages: list[tuple[str, str]], batches: int = 8) -> dict[str, Any]:
    """Parse raw pages and add them with `Indexer.add_articles` in `batches` batches, then publish once.

    The engine's embedder and segmenter must be a TimedEmbedder and a TimedSegmenter: their clocks give
    the embed and segment shares; `store` is the rest of add_articles (chunking, SQLite writes)."""
    emb, seg = engine.embedder, engine.segmenter
    if not isinstance(emb, TimedEmbedder) or not isinstance(seg, TimedSegmenter):
        raise TypeError("ingest_pages needs an engine built with a TimedEmbedder and a TimedSegmenter")
    rss_before = rss_mb()
    size = max(1, -(-len(pages) // batches))
    counts: list[int] = []
    secs: dict[str, list[float]] = {s: [] for s in STAGES}
    for lo in range(0, len(pages), size):
        chunk = pages[lo : lo + size]
        start = time.perf_counter()
        articles = [read_article_text(raw, name=f"{doc_id}.txt", doc_id=doc_id, source="bench")
                    for doc_id, raw in chunk]
        parse_s = time.perf_counter() - start
        seg0, emb0, (_, before) = seg.seconds, emb.seconds, engine.store.counts()
        start = time.perf_counter()
        engine.indexer.add_articles(articles, origin="bench", publish=False)
        total = time.perf_counter() - start
        counts.append(engine.store.counts()[1] - before)
        secs["parse"].append(parse_s)
        secs["segment"].append(seg.seconds - seg0)
        secs["embed"].append(emb.seconds - emb0)
        secs["store"].append(max(total - (seg.seconds - seg0) - (emb.seconds - emb0), 1e-9))
    start = time.perf_counter()
    manifest = engine.indexer.publish()
    publish_s = time.perf_counter() - start
    n = sum(counts)
    totals = {s: round(sum(v), 3) for s, v in secs.items()}
    total_s = sum(totals.values()) + publish_s
    return {
        "passages": n,
        "articles": len(pages),
        "batches": len(counts),
        "passages_per_s": {s: rate_summary(counts, secs[s]) for s in STAGES},
        "seconds": {**totals, "publish": round(publish_s, 3)},
        "publish_passages_per_s": round(n / publish_s, 1) if publish_s else 0.0,
        "end_to_end_passages_per_s": round(n / total_s, 2) if total_s else 0.0,
        "index_version": manifest["version"],
        "rss_growth_mb": round(rss_mb() - rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
