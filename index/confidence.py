"""The calibrated "the articles don't cover this" signal."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ConfidenceParams:
    """A query is covered when the best passage is close in meaning or shares its rare terms.

    `dense_threshold`: cosine of query and best passage (multilingual-e5-small scores sit in
    0.7–0.95, so this is a high bar); `coverage_threshold`: IDF-weighted share of the query's
    terms that occur in the best passage. Thresholds come from the dev sets; see docs/quality.md.
    """

    dense_threshold: float = 0.86
    coverage_threshold: float = 0.6
    dense_floor: float = 0.80


def term_coverage(query_terms: Collection[str], passage_terms: Collection[str], idf: Mapping[str, float]) -> float:
    """IDF-weighted fraction of the query's distinct terms found in the passage (terms unknown to the
    corpus weigh as much as the rarest known term: a query about things no article names is not covered)."""
    terms = set(query_terms)
    if not terms:
        return 0.0
    known = [v for v in idf.values() if v > 0]
    unknown_weight = max(known) if known else 1.0
    weights = {t: (idf.get(t, 0.0) or unknown_weight) for t in terms}
    total = sum(weights.values())
    found = sum(w for t, w in weights.items() if t in passage_terms)
    return found / total if total else 0.0


def confidence(dense_top: float, coverage: float, params: ConfidenceParams) -> float:
    """A score in [0, 1]; >= 0.5 means covered. Either signal alone can carry a query."""
    d = (dense_top - params.dense_floor) / max(params.dense_threshold - params.dense_floor, 1e-6) * 0.5
    c = coverage / max(params.coverage_threshold, 1e-6) * 0.5
    return float(max(0.0, min(1.0, max(d, c) if dense_top >= params.dense_floor else c * 0.999)))
