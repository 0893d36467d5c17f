"""bm25s keyword index over the Segmenter's terms."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.bm25 import lucene_idf


class KeywordIndex:
    """BM25 (Lucene variant) over pre-tokenised passages; row i is passage row i of the snapshot."""

    def __init__(self, bm25: bm25s.BM25 | None, size: int, k1: float, b: float) -> None:
        self._bm25 = bm25
        self._size = size
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = dict(bm25.vocab_dict) if bm25 is not None else {}
        self._df: np.ndarray | None = None

    @classmethod
    def build(cls, tokens: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> KeywordIndex:
        if not tokens:
            return cls(None, 0, k1, b)
        if not any(tokens):  # rows without a single term (an article of punctuation): bm25s has no vocabulary
            return cls(None, len(tokens), k1, b)
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        bm25.index([list(t) for t in tokens], show_progress=False)
        return cls(bm25, len(tokens), k1, b)

    def __len__(self) -> int:
        return self._size

    def known(self, terms: Sequence[str]) -> list[str]:
        return [t for t in terms if t in self._vocab]

    def scores(self, terms: Sequence[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
        """BM25 score of every row for the query terms (zeros when no term is in the vocabulary).

        With `weights`, each distinct term counts with its weight instead of once per occurrence."""
        known = self.known(terms)
        if self._bm25 is None or not known:
            return np.zeros(self._size, dtype=np.float32)
        if weights is None:
            return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
        total = np.zeros(self._size, dtype=np.float32)
        for term in known:  # a term the query repeats counts again, as in get_scores
            total += np.float32(weights.get(term, 1.0)) * np.asarray(self._bm25.get_scores([term]), np.float32)
        return total

    def postings(self, term: str) -> np.ndarray:
        """Rows that contain `term`."""
        if self._bm25 is None or term not in self._vocab:
            return np.zeros(0, dtype=np.int64)
        indptr = np.asarray(self._bm25.scores["indptr"])
        col = self._vocab[term]
        if col + 1 >= len(indptr):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._bm25.scores["indices"][indptr[col] : indptr[col + 1]], dtype=np.int64)

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages contain each term."""
        df = self._document_frequencies()
        return {t: int(df[self._vocab[t]]) if df is not None and t in self._vocab else 0 for t in terms}

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Lucene IDF of each term (0 for terms no passage contains)."""
        return {t: lucene_idf(self._size, d) for t, d in self.document_frequency(terms).items()}

    def _document_frequencies(self) -> np.ndarray | None:
        if self._bm25 is None:
            return None
        if self._df is None:
            indptr = np.asarray(self._bm25.scores["indptr"])
            self._df = np.diff(indptr)  # CSC: one column per vocabulary term
        return self._df

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "keyword.json").write_text(
            json.dumps({"size": self._size, "k1": self.k1, "b": self.b, "terms": self._bm25 is not None},
                       ensure_ascii=False), encoding="utf-8"
        )
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        info = json.loads((folder / "keyword.json").read_text(encoding="utf-8"))
        bm25 = None
        if info["size"] and info.get("terms", True):
            bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(bm25, int(info["size"]), float(info["k1"]), float(info["b"]))
