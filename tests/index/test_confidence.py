"""The "not covered" signal: coverage, the cosine and the index's background (fixtures of both kinds)."""

from __future__ import annotations

import numpy as np
import pytest

from index.backend import Candidates
from index.background import PROBES, background_similarity, probe_vectors
from index.confidence import ConfidenceParams, confidence, term_coverage
from index.evaluation import load_questions
from index.searcher import Ranking, SearchParams
from index.types import PassageRow
from tests.conftest import REPO
from tests.helpers.hash_seeds import outputs_across_hash_seeds

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
    assert false_refusals <= 4  # of 70 (1 today)
    assert caught >= 37  # of 40 (38 today)
    # the held-out sets, never tuned on (docs/quality.md, third round)
    held = load_questions(REPO / "eval" / "paraphrases_held.jsonl")
    off_held = load_questions(REPO / "eval" / "offtopic_held.jsonl")
    assert sum(searcher.search(q.q).low_confidence for q in held) <= 8  # of 45 (6 today)
    assert sum(searcher.search(q.q).low_confidence for q in off_held) >= 17  # of 25 (19 today)
    # written later, run only to check (docs/quality.md, fifth round)
    held3 = load_questions(REPO / "eval" / "paraphrases_held3.jsonl")
    off_held2 = load_questions(REPO / "eval" / "offtopic_held2.jsonl")
    assert sum(searcher.search(q.q).low_confidence for q in held3) <= 4  # of 60 (2 today)
    assert sum(searcher.search(q.q).low_confidence for q in off_held2) >= 19  # of 30 (21 today)


def test_a_term_cut_differently_in_the_text_earns_its_bigrams() -> None:
    # jieba keeps "王沈是" as one term in the question; the passage has the name but not that term.
    weight = {"王沈是": 10.0, "哪里": 2.0, "籍贯": 4.0}.__getitem__
    text = "王沈，字处道，太原晋阳人。"
    terms = {"王沈", "字处道", "太原", "晋阳", "人"}
    assert term_coverage(["王沈是"], terms, weight) == 0.0
    assert term_coverage(["王沈是"], terms, weight, text) == pytest.approx(0.5)  # 王沈 of 王沈/沈是
    assert term_coverage(["王沈是", "籍贯"], terms, weight, text) == pytest.approx(5.0 / 14.0)
    assert term_coverage(["籍贯"], terms, weight, text) == 0.0  # a term of the question the text lacks


def test_covered_when_one_of_the_first_passages_covers_it(fake_engine_factory, segmenter,  # type: ignore[no-untyped-def]
                                                          tiny_corpus) -> None:
    """The fused ranking's first passage is not always the one with the question's words (docs/quality.md)."""
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    searcher = engine.searcher()
    question = "手机银行的转账流程要几步?"

    def row(i: int, text: str) -> PassageRow:
        return PassageRow(i, f"p{i}", "d", "", 1, 0, len(text), text, " ".join(segmenter.tokenize(text)), "", "")

    others = [row(i, t) for i, t in enumerate(["信用卡的年费可以通过消费次数抵扣。", "产品经理需要良好的沟通能力。",
                                               "理财产品的风险等级分为五级。"])]
    answer = row(3, "手机银行的转账流程应当简洁，三步以内完成。")
    # dense scores of 0: the coverage of the question's terms alone decides
    ranking = Ranking(np.arange(4), np.array([4.0, 3.0, 2.0, 1.0]), np.zeros(4), np.zeros(4), 0.0,
                      segmenter.tokenize(question))
    assert searcher.confidence(question, ranking, tops=[others[0], answer]) >= 0.5
    assert searcher.confidence(question, ranking, SearchParams(confidence_passages=1),
                               tops=[others[0], answer]) < 0.5
    assert searcher.confidence(question, ranking, tops=[*others, answer]) < 0.5  # the first three only
    assert searcher.confidence(question, ranking, tops=[answer]) >= 0.5


def test_coverage_does_not_change_with_the_process_hash_seed() -> None:
    # The query's terms are a set: summed in its order, the share's last bits moved from one restart to the next.
    code = """
from index.confidence import term_coverage
weights = {"甲": 0.9, "乙": 0.01, "丙": 0.13, "丁": 0.7, "戊": 0.2}
print(repr(term_coverage(list(weights), {"甲", "乙", "丙", "戊"}, weights.__getitem__)))
"""
    assert len(outputs_across_hash_seeds(code)) == 1
