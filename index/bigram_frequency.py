"""How many passages of an index hold each character bigram: the corpus' own weight for a question's words."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from index.text_match import squash

_SHIFT = np.uint64(21)  # a code point fits in 21 bits: one bigram is one uint64


@dataclass(frozen=True)
class BigramFrequency:
    """Passage counts of the character bigrams of an index's passages (texts squashed as `bigrams` does).

    Exact, not hashed: the sorted codes of the distinct bigrams and how many passages hold each, 12 bytes a
    bigram (about 2 million at 100k passages)."""

    passages: int
    codes: np.ndarray  # uint64, sorted
    counts: np.ndarray  # int64, passages holding codes[i]

    @classmethod
    def count(cls, texts: Iterable[str]) -> BigramFrequency:
        """Count the bigrams of every text once per text: vectorised, a few thousand texts at a time (a few
        seconds and tens of MB at 100k passages)."""
        squashed = [squash(t) for t in texts]
        parts = [_chunk_counts(squashed[i : i + _CHUNK]) for i in range(0, len(squashed), _CHUNK)]
        if not parts:
            return cls(0, np.zeros(0, np.uint64), np.zeros(0, np.int64))
        codes = np.concatenate([c for c, _ in parts])
        counts = np.concatenate([n for _, n in parts])
        order = np.argsort(codes, kind="stable")
        codes, counts = codes[order], counts[order]
        found, starts = _distinct(codes)
        return cls(len(squashed), found, np.add.reduceat(counts, starts) if len(starts) else counts)

    def frequency(self, bigram: str) -> int:
        """How many passages hold `bigram` (a squashed one- or two-character string)."""
        if not bigram or len(bigram) > 2:
            raise ValueError(f"a bigram is one or two characters, got {bigram!r}")
        code = np.uint64(ord(bigram[0])) << _SHIFT
        if len(bigram) == 2:
            code |= np.uint64(ord(bigram[1]))
        i = int(np.searchsorted(self.codes, code))
        return int(self.counts[i]) if i < len(self.codes) and self.codes[i] == code else 0

    def idf(self, bigram: str) -> float:
        """BM25's IDF of the bigram over the passages, divided by an unseen bigram's: 0–1, 1 for the rarest."""
        n = self.passages
        top = math.log(1 + (n + 0.5) / 0.5)
        d = self.frequency(bigram)
        return math.log(1 + (n - d + 0.5) / (d + 0.5)) / top


_CHUNK = 4096
_TEXT = np.uint64(42)  # (text, bigram) keys: the text's number above the 42 bits of a bigram
_BIGRAM = np.uint64((1 << 42) - 1)


def _chunk_counts(squashed: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct bigram codes of some squashed texts and how many of the texts hold each."""
    # One array of the texts' characters, each text closed by a NUL (squash leaves none in a text).
    chars = np.frombuffer("\0".join([*squashed, ""]).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    text_of = np.concatenate([[0], np.cumsum(chars[:-1] == 0)]).astype(np.uint64)
    pairs = (chars[:-1] != 0) & (chars[1:] != 0)
    keys = [(text_of[:-1][pairs] << _TEXT) | (chars[:-1][pairs] << _SHIFT) | chars[1:][pairs]]
    lengths = np.array([len(t) for t in squashed])
    singles = np.flatnonzero(lengths == 1)  # a one-character text is its own bigram, as in `bigrams`
    if len(singles):
        starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])[singles]
        keys.append((singles.astype(np.uint64) << _TEXT) | (chars[starts] << _SHIFT))
    ordered = np.sort(np.concatenate(keys))
    distinct = ordered[_distinct(ordered)[1]]  # each (text, bigram) once
    codes = np.sort(distinct & _BIGRAM)
    found, starts = _distinct(codes)
    return found, np.diff(np.append(starts, len(codes))).astype(np.int64)


def _distinct(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and where each starts (numpy's hashed `unique` is ten times
    slower on millions of codes than this)."""
    if len(ordered) == 0:
        return ordered, np.zeros(0, np.int64)
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return ordered[starts], starts
