"""The calibrated "the articles don't cover this" signal."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from math import fsum

from index.text_match import bigrams

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class ConfidenceParams:
    """Thresholds chosen on the dev sets (docs/quality.md shows the numbers behind them).

    - `coverage_threshold`: share of the query's informative terms (weighted by general-language
      IDF) that the best passage contains. Covered questions sit at 0.86–1.0 on the seed set,
      uncovered ones at 0.09–0.27.
    - `dense_threshold`: a cosine this high vouches for a query on its own (e5 cosines are
      compressed into 0.7–0.95, so only near-paraphrases get there).
    - `crosslingual_threshold`: for queries none of whose terms the corpus knows and that contain
      no Chinese (an English question over Chinese articles), the cosine decides alone.
    - `support_coverage` / `support_margin`: a question worded unlike the text (a reader's paraphrase
      shares fewer words) is covered when it shares at least some of its terms and its best cosine
      stands `support_margin` above the index's background: the median best cosine of everyday
      questions about nothing the articles cover (index/background.py), so the margin means the
      same for another model or corpus.
    """

    coverage_threshold: float = 0.5
    dense_threshold: float = 0.93
    crosslingual_threshold: float = 0.78
    support_coverage: float = 0.15
    support_margin: float = 0.065


def term_coverage(query_terms: Collection[str], passage_terms: Collection[str],
                  weight: Callable[[str], float], passage_text: str = "") -> float:
    """Weighted share of the query's distinct terms that occur in the passage.

    With the passage's text, a term the passage lacks as a term earns the share of its character bigrams
    the text has: jieba cuts a name it does not know differently in a question and in the text ("王沈是"
    against "王沈，字处道"), which is no sign that the passage is about something else."""
    terms = set(query_terms)
    # fsum: the sum must not depend on the set's order, which changes with the process' hash seed.
    total = fsum(weight(t) for t in terms)
    if total <= 0:
        return 0.0
    text = bigrams(passage_text) if passage_text else set()
    found = []
    for t in terms:
        if t in passage_terms:
            found.append(weight(t))
        elif text and len(t) > 1:
            grams = bigrams(t)
            found.append(weight(t) * len(grams & text) / len(grams))
    return fsum(found) / total


def _ramp(value: float, threshold: float, low: float, high: float) -> float:
    """0 at `low`, 0.5 at `threshold`, 1 at `high`, linear in between."""
    if value >= threshold:
        return min(1.0, 0.5 + 0.5 * (value - threshold) / max(high - threshold, 1e-9))
    return max(0.0, 0.5 * (value - low) / max(threshold - low, 1e-9))


def confidence(query: str, coverage: float, dense_top: float, known_terms: int,
               params: ConfidenceParams, background: float | None = None) -> float:
    """A score in [0, 1]; below 0.5 means the articles probably don't cover the query.

    `background` is the index's background cosine; without it the paraphrase rule is off."""
    d = _ramp(dense_top, params.dense_threshold, params.dense_threshold - 0.1, 1.0)
    if known_terms == 0 and not _CJK.search(query):
        return _ramp(dense_top, params.crosslingual_threshold, params.crosslingual_threshold - 0.1, 1.0)
    score = max(_ramp(coverage, params.coverage_threshold, 0.0, 1.0), d)
    if background is not None:
        margin = dense_top - background
        support = min(_ramp(coverage, params.support_coverage, 0.0, params.coverage_threshold),
                      _ramp(margin, params.support_margin, params.support_margin - 0.05, params.support_margin + 0.1))
        score = max(score, support)
    return score
