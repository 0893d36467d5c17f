"""BM25 as a sparse dot product, so an engine that only knows sparse inner products ranks like bm25s.

A passage's vector holds each term's length-normalised frequency, `tf / (tf + k1·(1 - b + b·dl/avgdl))`;
a query's vector holds each term's Lucene IDF (once per occurrence, as bm25s counts a repeated
query term). Their inner product is bm25s' "lucene" score. The IDFs come from the store's document
frequencies at query time, so they are never stale; only `avgdl` is frozen into the passage vectors
(recorded in the manifest; a full rebuild refreshes it once it drifts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from index.bm25 import lucene_idf


def passage_weights(tokens: Sequence[str], term_ids: Mapping[str, int], avgdl: float,
                    k1: float = 1.2, b: float = 0.75) -> dict[int, float]:
    """Sparse vector of one passage: term id → normalised term frequency (terms without an id are left out)."""
    if avgdl <= 0:
        raise ValueError(f"avgdl must be positive, got {avgdl}")
    norm = k1 * ((1 - b) + b * len(tokens) / avgdl)
    return {term_ids[t]: n / (n + norm) for t, n in Counter(tokens).items() if t in term_ids}


def query_weights(terms: Sequence[str], stats: Mapping[str, tuple[int, int]], passages: int) -> dict[int, float]:
    """Sparse vector of a query: term id → IDF × occurrences, for terms some passage contains.

    `stats` maps a term to (term id, document frequency), as `Store.term_stats` returns it."""
    counts = Counter(t for t in terms if t in stats and stats[t][1] > 0)
    return {stats[t][0]: n * lucene_idf(passages, stats[t][1]) for t, n in counts.items()}


def sparse_dot(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return float(sum(v * b.get(k, 0.0) for k, v in a.items()))
