"""The dense index kinds every backend builds, and the parameters of each (no FAISS here)."""

from __future__ import annotations

import math

DENSE_KINDS = ("flat", "ivf", "hnsw")
BUILD_KINDS = (*DENSE_KINDS, "auto")
# auto: exact below this many passages, IVF from there on. Measured (docs/benchmarks.md): from about here
# the exact scan costs a third of the query embedding and more, and IVF keeps recall@10 ≥ 0.95 of it.
AUTO_ANN_MIN_ROWS = 50_000
AUTO_ANN_KIND = "ivf"  # on the benchmark corpora IVF beat HNSW on recall per ms and built 4× faster at 1M

IVF_LISTS_PER_SQRT_N = 4  # nlist ≈ 4·√n, a power of two: 1024 lists at 100k, 4096 at 1M
IVF_TRAIN_PER_LIST = 40  # k-means training sample: this many vectors per list (FAISS wants ≥ 39)
IVF_NPROBE = 128  # lists scanned per query: 1/8 of the data at 100k, 1/32 at 1M
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64  # the floor; a search for k results uses max(HNSW_EF_SEARCH, HNSW_EF_PER_K · k)
HNSW_EF_PER_K = 2


def resolve_kind(kind: str, rows: int) -> str:
    """The kind `DenseIndex.build(kind=kind)` builds for `rows` vectors."""
    if kind not in BUILD_KINDS:
        raise ValueError(f"dense index kind must be one of {BUILD_KINDS}, got {kind!r}")
    if kind == "auto":
        return AUTO_ANN_KIND if rows >= AUTO_ANN_MIN_ROWS else "flat"
    return kind


def ivf_lists(rows: int) -> int:
    """A power of two near IVF_LISTS_PER_SQRT_N·√rows, with at least IVF_TRAIN_PER_LIST vectors per list."""
    if rows < IVF_TRAIN_PER_LIST:
        return 1
    target = 2 ** round(math.log2(IVF_LISTS_PER_SQRT_N * math.sqrt(rows)))
    return max(1, min(target, rows // IVF_TRAIN_PER_LIST))
