"""Building a benchmark index: through the core's SQLite ingest, or directly from vectors and tokens."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.corpus import Corpus
from bench.embedders import TableEmbedder, TimedEmbedder, bench_embedder_id
from bench.ingest import ingest_pages
from bench.memory import peak_rss_mb, rss_mb
from bench.segmenters import SentenceTokens, TimedSegmenter
from bench.textgen import blocks_of, raw_page
from index.clock import now_iso
from index.engine import Engine
from index.indexer import IndexConfig
from index.snapshots.dense import DenseIndex
from index.snapshots.files import SNAPSHOTS, next_version
from index.snapshots.keyword import KeywordIndex
from index.snapshots.snapshot import publish, write_snapshot
from ingest.blocks import build_article
from ingest.chunking import ChunkParams, chunk_article
from ingest.embedders import Embedder
from ingest.latent_terms import LatentTermsEncoder
from ingest.segmenter import Segmenter
from ingest.types import passage_context


def build_via_engine(corpus: Corpus, data_dir: Path, real: Embedder, segmenter: Segmenter,
                     batches: int = 8, latent: LatentTermsEncoder | None = None) -> tuple[Engine, dict[str, Any]]:
    """Ingest the corpus through Engine/Indexer (SQLite store, real jieba), vectors from the corpus table
    (and latent terms from `latent`, when given)."""
    texts = corpus.texts()
    table = {t: i for i, t in enumerate(texts)}
    embedder = TimedEmbedder(TableEmbedder(real, table, corpus.vectors))
    engine = Engine(data_dir, embedder, TimedSegmenter(segmenter), config=IndexConfig(dense_kind="flat"),
                    latent=latent)
    pages = [(spec.doc_id, raw_page(spec, texts)) for spec in corpus.articles]
    stats = ingest_pages(engine, pages, batches=batches)
    inner = embedder.inner
    stats["real_embedding_fallbacks"] = inner.fallbacks if isinstance(inner, TableEmbedder) else 0
    if stats["passages"] != len(corpus):
        raise RuntimeError(f"ingest made {stats['passages']} passages from {len(corpus)} paragraphs")
    return engine, stats


def build_direct(corpus: Corpus, data_dir: Path, real: Embedder, segmenter: Segmenter,
                 dense_kind: str = "flat") -> dict[str, Any]:
    """Write a snapshot without the SQLite store: DenseIndex.build, KeywordIndex.build, write_snapshot.

    Articles are built with the core's build_article and chunk_article (same offsets, sections and
    passage ids as ingest); tokens are derived per sentence (see SentenceTokens)."""
    timings: dict[str, float] = {}
    rss_before = rss_mb()
    start = time.perf_counter()
    texts = corpus.texts()
    tok = SentenceTokens(segmenter, corpus.pool.sentences)
    rows: list[tuple[str, str, int, str, int, int, int, str, str]] = []
    tokens: list[list[str]] = []
    documents: list[tuple[str, str, str, str, str, str]] = []
    params = ChunkParams()
    stamp = now_iso()
    for spec in corpus.articles:
        url = f"https://example.com/p/{spec.doc_id}.html"
        article = build_article(spec.doc_id, spec.title, blocks_of(spec, texts), url=url, publisher="bench")
        passages = chunk_article(article, params)
        if [p.text for p in passages] != [texts[i] for i in spec.passages]:
            raise RuntimeError(f"{spec.doc_id}: the chunker did not keep one paragraph per passage")
        for p, idx in zip(passages, spec.passages, strict=True):
            heading = p.section if passage_context(p.section, p.text) != p.text else ""
            t = tok.passage(heading, corpus.paragraphs[idx])
            tokens.append(t)
            rows.append((p.passage_id, p.doc_id, p.ordinal, p.section, p.paragraph, p.char_start, p.char_end,
                         p.text, " ".join(t)))
        documents.append((spec.doc_id, article.title, url, "bench", "", stamp))
    documents.sort()
    timings["articles_and_tokens_s"] = time.perf_counter() - start
    del texts
    start = time.perf_counter()
    dense = DenseIndex.build(corpus.vectors, kind=dense_kind)
    timings["dense_build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    keyword = KeywordIndex.build(tokens)
    timings["keyword_build_s"] = time.perf_counter() - start
    del tokens
    start = time.perf_counter()
    version = next_version(data_dir)
    manifest = {
        "version": version,
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "embedder": {"id": bench_embedder_id(real.id), "dim": int(corpus.vectors.shape[1])},
        "segmenter": {"id": segmenter.id, "dictionary_hash": segmenter.dictionary_hash},
        "chunking": asdict(params),
        "dense": {**dense.describe(), "metric": "inner_product", "requested": dense_kind},
        "keyword": {"library": "bm25s", "method": "lucene", "k1": keyword.k1, "b": keyword.b},
        "counts": {"documents": len(documents), "passages": len(rows)},
        "store_generation": 0,
        "bench": {"built": "direct", "derived_tokens": True},
    }
    root = data_dir / SNAPSHOTS
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".build-{os.getpid()}-{version}"
    write_snapshot(staging, manifest, rows, documents, dense, keyword)
    publish(data_dir, staging, version)
    timings["snapshot_write_s"] = time.perf_counter() - start
    out: dict[str, Any] = {k: round(v, 3) for k, v in timings.items()}
    out["passages"] = len(rows)
    out["articles"] = len(documents)
    out["total_s"] = round(sum(timings.values()), 3)
    out["rss_growth_mb"] = round(rss_mb() - rss_before, 1)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out
