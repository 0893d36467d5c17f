"""The search-backend interface: what the Searcher reads and what the Indexer publishes to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from index.store import Store
from index.types import PassageRow
from ingest.latent_terms import LatentTerms

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Candidates:
    """Rows found by the dense and/or keyword retriever, each with both exact scores.

    `dense` is the cosine of the row's vector with the query vector (0 without one); `keyword` is
    the row's BM25 score for the query terms (0 when it has none of them). Both are scores of the
    same kind on every backend, so fusion and calibration need not know which backend found them."""

    rows: np.ndarray
    dense: np.ndarray
    keyword: np.ndarray

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.rows)


class SearchIndex(Protocol):
    """One published, read-only view of the passages: a FAISS + bm25s snapshot or a Milvus collection."""

    @property
    def version(self) -> str: ...

    @property
    def manifest(self) -> dict[str, Any]: ...

    @property
    def size(self) -> int: ...

    def known(self, terms: Sequence[str]) -> list[str]:
        """The query terms some passage contains."""
        ...

    def passage_texts(self) -> list[str]:
        """The text of every live passage, in no particular order (corpus statistics are counted from it)."""
        ...

    def search_dense(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        """The k nearest passages (of `doc_ids` only, when given), best first."""
        ...

    def search_keyword(self, terms: Sequence[str], k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        """The k best BM25 passages with a positive score, best first."""
        ...

    def search_hybrid(self, query: np.ndarray | None, terms: Sequence[str] | None, k: int,
                          doc_ids: Sequence[str] | None = None) -> Candidates:
        """The union of the dense top k (without a query vector: none) and the keyword top k
        (with `terms` None: none), in no particular order, each with both exact scores."""
        ...

    def latent_scores(self, query: LatentTerms, rows: np.ndarray) -> np.ndarray | None:
        """The latent-terms dot product of the query with each of `rows` (0 for a row without them), or
        None when the index was built without latent terms."""
        ...

    def rows(self, rows: list[int]) -> list[PassageRow]:
        """Passage rows in the order asked (unknown rows are left out)."""
        ...

    def documents(self) -> list[dict[str, Any]]:
        """`[{doc_id, title, url, updated_at, passages}]` of every article, by doc_id."""
        ...

    def docs_of_rows(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """The article of each row, in order."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class GateVerdict:
    accepted: bool
    message: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """The index that serves now: its manifest, and a way to load it (None when it cannot be loaded
    with this embedder, e.g. it was built with another one; its recorded figures still count)."""

    manifest: dict[str, Any]
    load: Callable[[], SearchIndex | None]


# (the built but unpublished index, the published one or None) → verdict. The gate's type lives here,
# with the contracts, so a backend can take a gate without importing the evaluator behind it.
Gate = Callable[[SearchIndex, Published | None], GateVerdict]


@dataclass
class VerifyReport:
    """`articleqa verify`'s findings: `problems` make the index unfit to serve; `warnings` don't."""

    version: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class IndexBackend(Protocol):
    """Where passages are indexed: publishes the store's state and opens what it published."""

    @property
    def name(self) -> str: ...

    def current_version(self) -> str | None:
        """The published version, or None before the first publish."""
        ...

    def open(self, version: str, store: Store | None) -> SearchIndex:
        """Load a published version; IndexUnusable when it is missing, damaged or built differently.
        `store` is None on a read-only replica, which has none (Milvus reads everything from the server)."""
        ...

    def publish(self, store: Store, force: bool, progress: Progress | None = None,
                gate: Gate | None = None, full: bool = False) -> dict[str, Any]:
        """Bring the index in line with the store (only what changed, where the backend can) and
        return the published manifest; `full` rebuilds everything from the store (no delta, nothing
        updated in place). Called with the data folder's write lock held."""
        ...

    def close(self) -> None: ...

    def verify(self, store: Store, version: str | None = None) -> VerifyReport:
        """Check the published index (or `version`) against its manifest and the store."""
        ...
