"""Embedders for benchmarks: precomputed passage vectors, query-only, a timing wrapper, derived latent terms."""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ingest.embedders import Embedder, ProgressFn
from ingest.latent_terms import LatentTerms, LatentTermsEncoder

BENCH_PREFIX = "bench-derived+"


def bench_embedder_id(real_id: str) -> str:
    """The id recorded in benchmark snapshots: says the passage vectors are (partly) derived."""
    return BENCH_PREFIX + real_id


class _Derived:
    """What a benchmark stand-in reports of itself: the real model's dimension, under an id saying that
    (some of) what it returns is derived."""

    real: Any

    @property
    def id(self) -> str:
        return bench_embedder_id(self.real.id)

    @property
    def dim(self) -> int:
        return int(self.real.dim)


class TableEmbedder(_Derived):
    """Passage vectors come from a table keyed by paragraph text (real or derived vectors); a text not in
    the table, and every query, is embedded for real."""

    def __init__(self, real: Embedder, table: dict[str, int], vectors: np.ndarray) -> None:
        self.real = real
        self.table = table
        self.vectors = vectors
        self.fallbacks = 0

    def _row(self, text: str) -> int | None:
        row = self.table.get(text)
        if row is None and "\n" in text:  # passage context: "heading\nparagraph"
            row = self.table.get(text.split("\n", 1)[1])
        return row

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing = []
        for i, t in enumerate(texts):
            row = self._row(t)
            if row is None:
                missing.append(i)
            else:
                out[i] = self.vectors[row]
        if missing:
            self.fallbacks += len(missing)
            out[missing] = self.real.embed_passages([texts[i] for i in missing])
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)


class QueryEmbedder(_Derived):
    """Only queries (for a server over a benchmark snapshot); passages cannot be embedded."""

    def __init__(self, real: Embedder) -> None:
        self.real = real

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        raise RuntimeError("the benchmark server only embeds queries")

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)


class TimedEmbedder:
    """Wraps an embedder: adds up the seconds spent embedding passages; optionally keeps what it embedded."""

    def __init__(self, inner: Embedder, record: bool = False) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.passages = 0
        self.record = record
        self.texts: list[str] = []
        self.outputs: list[np.ndarray] = []

    @property
    def id(self) -> str:
        return self.inner.id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        start = time.perf_counter()
        out = self.inner.embed_passages(texts, progress)
        self.seconds += time.perf_counter() - start
        self.passages += len(texts)
        if self.record:
            self.texts.extend(texts)
            self.outputs.append(np.asarray(out, dtype=np.float32))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


class DerivedLatentTerms(_Derived):
    """Latent terms for a derived corpus: each passage gets the real latent terms of one of the base
    paragraphs (picked by a hash of its text), so rows are as long as real ones; queries are encoded for real."""

    def __init__(self, real: LatentTermsEncoder, base: Sequence[LatentTerms]) -> None:
        if not base:
            raise ValueError("derived latent terms need at least one base paragraph's")
        self.real = real
        self.base = list(base)

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> list[LatentTerms]:
        out = [self.base[zlib.crc32(t.encode("utf-8")) % len(self.base)] for t in texts]
        if progress:
            progress(len(texts))
        return out

    def encode_query(self, text: str) -> LatentTerms:
        return self.real.encode_query(text)
