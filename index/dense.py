"""FAISS dense index over normalised vectors: exact inner product, or HNSW for large corpora."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

DENSE_KINDS = ("flat", "hnsw")


class DenseIndex:
    """Row i of the index is passage row i of the snapshot."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat", hnsw_m: int = 32) -> DenseIndex:
        if kind not in DENSE_KINDS:
            raise ValueError(f"dense index kind must be one of {DENSE_KINDS}, got {kind!r}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
        dim = vectors.shape[1]
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        if len(vectors):
            index.add(vectors)
        return cls(index, kind)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) for one query vector; fewer when the index is smaller."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        # Per-call parameters: concurrent searches must not share a mutated efSearch.
        params = faiss.SearchParametersHNSW(efSearch=max(64, 2 * k)) if self.kind == "hnsw" else None  # type: ignore[attr-defined]
        scores, rows = self.index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k, params=params)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of `rows` (to score candidates the other retriever found)."""
        if len(rows) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.index.reconstruct_batch(np.asarray(rows, dtype=np.int64)), dtype=np.float32)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> DenseIndex:
        if kind not in DENSE_KINDS:
            raise ValueError(f"dense index kind must be one of {DENSE_KINDS}, got {kind!r}")
        return cls(faiss.read_index(str(path)), kind)
