"""Near-duplicate detection: SimHash of articles over jieba-term shingles, shingle overlap of passages."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

SIMHASH_BITS = 64
# Articles whose SimHashes differ in at most this many of 64 bits are reported as near-duplicates
# (reposts, lightly edited copies); unrelated texts differ in about 32.
NEAR_DUPLICATE_BITS = 6
# Passages sharing at least this share of character trigrams count as the same passage in a result list.
PASSAGE_OVERLAP = 0.8


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(terms: Sequence[str], shingle: int = 3) -> int:
    """64-bit SimHash of overlapping term shingles (word order matters, a few edits barely move it)."""
    grams = [" ".join(terms[i : i + shingle]) for i in range(max(1, len(terms) - shingle + 1))] if terms else []
    if not grams:
        return 0
    counts = [0] * SIMHASH_BITS
    for gram in grams:
        h = _h64(gram)
        for bit in range(SIMHASH_BITS):
            counts[bit] += 1 if (h >> bit) & 1 else -1
    return sum(1 << bit for bit in range(SIMHASH_BITS) if counts[bit] > 0)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def nearest(fingerprint: int, others: Iterable[tuple[str, int]],
            max_bits: int = NEAR_DUPLICATE_BITS) -> tuple[str, int] | None:
    """The closest (doc_id, differing bits) within max_bits, or None."""
    best: tuple[str, int] | None = None
    for doc_id, fp in others:
        d = hamming(fingerprint, fp)
        if d <= max_bits and (best is None or d < best[1]):
            best = (doc_id, d)
    return best


def trigrams(text: str) -> frozenset[str]:
    squashed = "".join(text.split())
    return frozenset(squashed[i : i + 3] for i in range(max(1, len(squashed) - 2)))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller passage's trigrams found in the other (a passage inside a longer one counts)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
