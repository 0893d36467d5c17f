"""The cost of adding one article (a delta publish) against a full rebuild of the snapshot."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

import numpy as np

from bench.corpus import derive_paragraphs
from bench.embedders import TimedEmbedder
from bench.stats import summary
from bench.textgen import TextPool, group_articles, raw_page
from index.engine import Engine
from index.snapshots.dense import DenseIndex
from index.snapshots.files import MANIFEST, SNAPSHOTS, read_current
from index.snapshots.keyword import KeywordIndex
from index.snapshots.snapshot import write_snapshot


def new_article_pages(pool: TextPool, base: list[tuple[int, ...]], count: int, seed: int = 99) -> list[str]:
    """`count` raw pages of fresh paragraphs (not in any benchmark table, so they are embedded for real)."""
    paragraphs, _ = derive_paragraphs(pool, base, count * 10, seed=seed)
    texts = [pool.text(p) for p in paragraphs]
    specs = group_articles(len(texts), pool, seed=seed, prefix="new")
    return [raw_page(s, texts) for s in specs][:count]


def add_vs_rebuild(engine: Engine, pages: list[str], rebuilds: int) -> dict[str, Any]:
    """Engine.add_document per page, as the core publishes today (full rebuild, or a delta segment where
    the core has one), against a full rebuild of the snapshot from the store (timed step by step)."""
    timed = engine.embedder if isinstance(engine.embedder, TimedEmbedder) else None
    add_ms, embed_ms, passages, modes = [], [], [], []
    for i, page in enumerate(pages):
        emb0 = timed.seconds if timed else 0.0
        start = time.perf_counter()
        result = engine.add_document(text=page, doc_id=f"bench-new-{i:03d}", name="new.txt")
        add_ms.append((time.perf_counter() - start) * 1000)
        embed_ms.append(((timed.seconds if timed else 0.0) - emb0) * 1000)
        passages.append(result.passages)
        if result.status != "created":
            raise RuntimeError(f"adding a new article gave status {result.status!r}")
        modes.append(_publish_mode(engine))
    start = time.perf_counter()
    engine.indexer.publish()
    publish_ms = (time.perf_counter() - start) * 1000
    parts = [full_rebuild(engine) for _ in range(rebuilds)]
    return {
        "index_passages": engine.stats()["passages"],
        "article_passages": summary([float(p) for p in passages]),
        "add_one_ms": summary(add_ms),
        "add_one_embed_ms": summary(embed_ms),
        # Everything but embedding the new article's own passages (parse, jieba, store, delta publish).
        "add_one_without_embed_ms": summary([a - e for a, e in zip(add_ms, embed_ms, strict=True)]),
        "add_one_publish": sorted(set(modes)),
        "publish_again_ms": round(publish_ms, 1),
        "publish_again_mode": _publish_mode(engine),
        "rebuild_ms": summary([sum(p.values()) * 1000 for p in parts]),
        "rebuild_parts_s": {k: round(float(np.median([p[k] for p in parts])), 3) for k in parts[0]},
    }


def _publish_mode(engine: Engine) -> str:
    """'delta' when the current snapshot is a base plus a delta segment, else 'full'."""
    version = read_current(engine.data_dir)
    manifest = json.loads((engine.data_dir / SNAPSHOTS / str(version) / MANIFEST).read_text(encoding="utf-8"))
    return "delta" if manifest.get("segments", {}).get("delta_rows") else "full"


def full_rebuild(engine: Engine) -> dict[str, float]:
    """The steps of a full publish (Indexer._build_and_publish without a delta), each timed: read every
    row from the store, unpack, build FAISS and bm25s, write the snapshot (checksums, fsync) to a
    scratch folder that is then removed."""
    out: dict[str, float] = {}
    start = time.perf_counter()
    rows = list(engine.store.iter_index_rows(engine.embedder.id))
    out["read_store"] = time.perf_counter() - start
    start = time.perf_counter()
    vectors = np.stack([np.frombuffer(r[9] or b"", dtype=np.float32) for r in rows])
    tokens = [r[8].split() for r in rows]
    out["unpack"] = time.perf_counter() - start
    start = time.perf_counter()
    dense = DenseIndex.build(vectors, kind=engine.config.dense_kind)
    out["dense_build"] = time.perf_counter() - start
    start = time.perf_counter()
    keyword = KeywordIndex.build(tokens)
    out["keyword_build"] = time.perf_counter() - start
    scratch = engine.data_dir / SNAPSHOTS / ".bench-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    start = time.perf_counter()
    try:
        write_snapshot(scratch, {"version": "scratch", "counts": {"passages": len(rows)}},
                       [r[:9] for r in rows], engine.store.documents_table(), dense, keyword)
        out["write_snapshot"] = time.perf_counter() - start
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out
