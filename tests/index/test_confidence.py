"""The "not covered" signal: coverage, the cosine and the index's background (fixtures of both kinds)."""

from __future__ import annotations

import numpy as np
import pytest

from index.backend import Candidates
from index.background import PROBES, background_similarity, probe_vectors
from index.confidence import ConfidenceParams, confidence, term_coverage
from index.evaluation import load_questions
from tests.conftest import REPO

P = ConfidenceParams()
BACKGROUND = 0.80


@pytest.mark.parametrize(("coverage", "dense", "covered"), [
    (0.9, 0.80, True),     # the question's words are in the passage
    (0.3, 0.88, True),     # a paraphrase: some words shared, cosine well above the background
    (0.3, 0.84, False),    # some words shared, cosine near the background: an off-topic question near the domain
    (0.05, 0.90, False),   # no word shared: the cosine alone does not vouch unless it is very high
    (0.05, 0.95, True),    # a near-verbatim paraphrase in other words
    (0.0, 0.80, False),
])
def test_covered_by_coverage_or_by_a_supported_margin(coverage: float, dense: float, covered: bool) -> None:
    score = confidence("问题", coverage, dense, known_terms=2, params=P, background=BACKGROUND)
    assert (score >= 0.5) is covered
    assert 0.0 <= score <= 1.0


def test_without_a_background_the_margin_rule_is_off() -> None:
    assert confidence("问题", 0.3, 0.88, 2, P, background=None) < 0.5


def test_english_questions_are_judged_by_the_cosine() -> None:
    assert confidence("What are the card types?", 0.0, 0.80, 0, P, background=BACKGROUND) >= 0.5
    assert confidence("Is it snowing?", 0.0, 0.72, 0, P, background=BACKGROUND) < 0.5


class _Index:
    """The dense side of an index whose best cosine for every probe is known."""

    size = 3

    def __init__(self, tops: list[float]) -> None:
        self.tops = iter(tops)

    def search_dense(self, query: np.ndarray, k: int) -> Candidates:
        return Candidates(np.array([0]), np.array([next(self.tops)], np.float32), np.zeros(1, np.float32))


class _Embedder:
    id = "fake-probes"
    dim = 4

    def embed_query(self, text: str) -> np.ndarray:
        return np.ones(4, np.float32) / 2


def test_background_is_the_median_best_probe_cosine() -> None:
    tops = [0.70 + 0.01 * i for i in range(len(PROBES))]
    got = background_similarity(_Index(tops), _Embedder())  # type: ignore[arg-type]
    assert got == pytest.approx(float(np.median(tops)))
    assert probe_vectors(_Embedder()).shape == (len(PROBES), 4)  # type: ignore[arg-type]


def test_probes_are_not_the_off_topic_evaluation_set() -> None:
    off = {q.q for q in load_questions(REPO / "eval" / "offtopic.jsonl")}
    assert not off & set(PROBES)


def test_own_sets_on_the_seed_corpus(seed_engine) -> None:  # type: ignore[no-untyped-def]
    """Paraphrases a reader would type are answered; off-topic questions are not (figures: docs/quality.md)."""
    searcher = seed_engine.searcher()
    assert 0.75 < searcher.background() < 0.86
    para = load_questions(REPO / "eval" / "paraphrases.jsonl")
    off = load_questions(REPO / "eval" / "offtopic.jsonl")
    false_refusals = sum(searcher.search(q.q).low_confidence for q in para)
    caught = sum(searcher.search(q.q).low_confidence for q in off)
    assert false_refusals <= 4  # of 70 (3 today)
    assert caught >= 37  # of 40 (38 today)


def test_a_term_cut_differently_in_the_text_earns_its_bigrams() -> None:
    # jieba keeps "王沈是" as one term in the question; the passage has the name but not that term.
    weight = {"王沈是": 10.0, "哪里": 2.0, "籍贯": 4.0}.__getitem__
    text = "王沈，字处道，太原晋阳人。"
    terms = {"王沈", "字处道", "太原", "晋阳", "人"}
    assert term_coverage(["王沈是"], terms, weight) == 0.0
    assert term_coverage(["王沈是"], terms, weight, text) == pytest.approx(0.5)  # 王沈 of 王沈/沈是
    assert term_coverage(["王沈是", "籍贯"], terms, weight, text) == pytest.approx(5.0 / 14.0)
    assert term_coverage(["籍贯"], terms, weight, text) == 0.0  # a term of the question the text lacks
