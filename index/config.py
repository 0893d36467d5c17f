"""How passages are cut and indexed: the parameters every backend records in its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.chunking import ChunkParams


@dataclass(frozen=True)
class IndexConfig:
    """How passages are cut and indexed; recorded in every manifest."""

    chunking: ChunkParams = field(default_factory=ChunkParams)
    dense_kind: str = "auto"  # flat (exact), ivf, hnsw, or auto: flat below index.dense_kinds.AUTO_ANN_MIN_ROWS rows
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    keep_snapshots: int = 3
    lock_timeout: float = 30.0
    # A publish writes only a delta of the changed articles next to the previous base, until the
    # delta would exceed this share of the base (or this many rows); then everything is rebuilt.
    delta_max_share: float = 0.1
    delta_min_rows: int = 2000
