"""A segment's latent terms: one sparse row per passage (CSR), scored against a query's only for the candidates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.latent_terms import LatentTerms

LATENT_DIR = "latent"
_FILES = ("indptr.npy", "indices.npy", "weights.npy")


class LatentMatrix:
    """Rows of sparse vectors over `dim` features: row r's ids are indices[indptr[r]:indptr[r+1]]."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, dim: int) -> None:
        if len(indptr) < 1 or int(indptr[-1]) != len(indices) or len(indices) != len(weights):
            raise ValueError(f"latent terms: {len(indptr) - 1} rows point at {int(indptr[-1]) if len(indptr) else 0} "
                             f"entries, but there are {len(indices)} ids and {len(weights)} weights")
        self.indptr = indptr
        self.indices = indices
        self.weights = weights
        self.dim = dim

    @classmethod
    def build(cls, rows: Sequence[LatentTerms], dim: int) -> LatentMatrix:
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = np.concatenate([r.indices for r in rows]).astype(np.int32) if rows else np.zeros(0, np.int32)
        weights = np.concatenate([r.weights for r in rows]).astype(np.float32) if rows else np.zeros(0, np.float32)
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= dim):
            raise ValueError(f"latent terms: feature ids must lie in [0, {dim}), got {int(indices.min())}…"
                             f"{int(indices.max())}")
        return cls(indptr, indices, weights, dim)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def scores(self, query: LatentTerms, rows: np.ndarray) -> np.ndarray:
        """The dot product of the query with each of `rows` (local rows of this matrix)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0 or len(query) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        dense_query = np.zeros(self.dim, dtype=np.float32)
        dense_query[query.indices] = query.weights
        starts = np.asarray(self.indptr[rows])
        lengths = np.asarray(self.indptr[rows + 1]) - starts
        # Every entry of the asked rows at once: its position in the arrays, and the row it belongs to.
        owner = np.repeat(np.arange(len(rows)), lengths)
        positions = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths) + \
            np.repeat(starts, lengths)
        values = np.asarray(self.weights[positions]) * dense_query[np.asarray(self.indices[positions])]
        return np.bincount(owner, weights=values, minlength=len(rows)).astype(np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(_FILES, (self.indptr, self.indices, self.weights), strict=True):
            np.save(folder / name, array)

    @classmethod
    def load(cls, folder: Path, dim: int) -> LatentMatrix:
        """Memory-mapped: at 100k passages the arrays hold some 25M entries."""
        indptr, indices, weights = (np.load(folder / name, mmap_mode="r", allow_pickle=False) for name in _FILES)
        return cls(indptr, indices, weights, dim)
