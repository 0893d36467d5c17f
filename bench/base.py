"""The really embedded part of every benchmark corpus (base paragraphs, queries), cached as .npy files."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.embedders import TimedEmbedder
from bench.ingest import ingest_pages
from bench.segmenters import TimedSegmenter
from bench.textgen import TextPool, group_articles, raw_page, real_queries
from index.engine import Engine
from ingest.embedders import Embedder
from ingest.segmenter import Segmenter


@dataclass
class BaseSet:
    """Base paragraphs (sentence ids), their real vectors, and what ingesting them for real measured."""

    paragraphs: list[tuple[int, ...]]
    vectors: np.ndarray
    ingest: dict[str, Any]
    cached: bool


def cache_key(*parts: str) -> str:
    """A short hash of the inputs a cached file was made from."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def ensure_base(pool: TextPool, count: int, embedder: Embedder, segmenter: Segmenter,
                cache_dir: Path | None, batches: int = 8) -> BaseSet:
    """Ingest `count` base paragraphs for real through the core (timed), or load them from the cache."""
    paragraphs = pool.base_paragraphs(count)
    texts = [pool.text(p) for p in paragraphs]
    key = cache_key(embedder.id, segmenter.dictionary_hash, *texts)
    if cache_dir is not None:
        vec_path, info_path = cache_dir / f"base-{key}.npy", cache_dir / f"base-{key}.json"
        if vec_path.exists() and info_path.exists():
            info = json.loads(info_path.read_text(encoding="utf-8"))
            return BaseSet(paragraphs, np.load(vec_path), info, cached=True)
    work = Path(tempfile.mkdtemp(prefix="articleqa-bench-base-"))
    try:
        vectors, info = _ingest_for_real(pool, paragraphs, texts, embedder, segmenter, work, batches)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(cache_dir / f"base-{key}.npy", vectors)
        (cache_dir / f"base-{key}.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return BaseSet(paragraphs, vectors, info, cached=False)


def _ingest_for_real(pool: TextPool, paragraphs: list[tuple[int, ...]], texts: list[str], embedder: Embedder,
                     segmenter: Segmenter, work: Path, batches: int) -> tuple[np.ndarray, dict[str, Any]]:
    timed_emb = TimedEmbedder(embedder, record=True)
    timed_seg = TimedSegmenter(segmenter)
    engine = Engine(work / "data", timed_emb, timed_seg)
    try:
        specs = group_articles(len(paragraphs), pool, seed=5, prefix="base")
        pages = [(s.doc_id, raw_page(s, texts)) for s in specs]
        info = ingest_pages(engine, pages, batches=batches)
    finally:
        engine.close()
    by_text: dict[str, np.ndarray] = {}
    embedded = np.concatenate(timed_emb.outputs) if timed_emb.outputs else np.zeros((0, embedder.dim), np.float32)
    for t, v in zip(timed_emb.texts, embedded, strict=True):
        by_text[t.split("\n", 1)[-1]] = v
    missing = [i for i, t in enumerate(texts) if t not in by_text]
    if missing:
        raise RuntimeError(f"{len(missing)} base paragraphs were not embedded as one passage each "
                           f"(first: {texts[missing[0]][:40]!r}); the chunker cut them differently")
    info["embedder"] = embedder.id
    return np.stack([by_text[t] for t in texts]).astype(np.float32), info


def ensure_queries(embedder: Embedder, cache_dir: Path | None,
                   limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """Real questions and their real query vectors (cached)."""
    queries = real_queries()[:limit] if limit else real_queries()
    key = cache_key(embedder.id, *queries)
    path = cache_dir / f"queries-{key}.npy" if cache_dir is not None else None
    if path is not None and path.exists():
        return queries, np.load(path)
    vecs = np.stack([embedder.embed_query(q) for q in queries]).astype(np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vecs)
    return queries, vecs
