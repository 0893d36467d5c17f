"""Hybrid search and extractive answers on the shipped seed corpus."""

from __future__ import annotations

import numpy as np
import pytest

from index.answer import NOT_COVERED
from index.evaluation import evaluate_questions, load_questions
from index.searcher import QueryError, SearchParams
from tests.conftest import EVAL


def test_card_types_question_finds_the_listing_first(seed_engine) -> None:  # type: ignore[no-untyped-def]
    result = seed_engine.search("信用卡一般分为哪几类?", top_k=5)
    top = result.hits[0]
    assert "消费卡、商务卡、联名卡" in top.text
    c = top.citation
    article = seed_engine.store.get_article(c.doc_id)
    assert article.text[c.char_start : c.char_end] == top.text
    assert c.url == article.url == "https://www.chuangxiangniao.com/p/669469.html"
    assert c.section == "一、熟悉信用卡产品及其市场"
    assert not result.low_confidence
    assert any(top.text[s:e] == "信用卡" for s, e in top.highlights)


def test_every_hit_cites_exact_offsets(seed_engine) -> None:  # type: ignore[no-untyped-def]
    for q in ("风险管理", "如何提升客户满意度", "产品经理的学习能力"):
        for h in seed_engine.search(q, top_k=10).hits:
            article = seed_engine.store.get_article(h.doc_id)
            assert article.text[h.citation.char_start : h.citation.char_end] == h.text
            assert all(0 <= s < e <= len(h.text) for s, e in h.highlights)


def test_doc_filter_limits_results(seed_engine) -> None:  # type: ignore[no-untyped-def]
    hits = seed_engine.search("风险管理能力", top_k=10, doc_ids=["bank-product-manager-skills"]).hits
    assert hits and {h.doc_id for h in hits} == {"bank-product-manager-skills"}
    assert seed_engine.search("风险管理能力", doc_ids=["no-such-doc"]).hits == []


def test_results_have_no_repeated_passages(seed_engine) -> None:  # type: ignore[no-untyped-def]
    texts = [h.text for h in seed_engine.search("产品经理", top_k=20).hits]
    assert len(texts) == len(set(texts)) == 20


@pytest.mark.parametrize("query", ["上海到杭州的高铁要多久?", "谁可以举报侵权内容?", "今天天气怎么样"])
def test_uncovered_questions_are_flagged(seed_engine, query: str) -> None:  # type: ignore[no-untyped-def]
    assert seed_engine.search(query).low_confidence
    answer = seed_engine.ask(query)
    assert not answer.answerable and answer.answer == NOT_COVERED and answer.quotes == []


def test_english_question_is_answered_across_languages(seed_engine) -> None:  # type: ignore[no-untyped-def]
    result = seed_engine.search("How can a credit card product manager keep learning?")
    assert not result.low_confidence


def test_answer_quotes_are_exact_substrings(seed_engine) -> None:  # type: ignore[no-untyped-def]
    answer = seed_engine.ask("领导力包括哪些方面?")
    assert answer.answerable and "团队管理能力" in answer.answer
    for q in answer.quotes:
        article = seed_engine.store.get_article(q.citation.doc_id)
        assert article.text[q.citation.char_start : q.citation.char_end] == q.text
        assert q.text in answer.answer


@pytest.mark.parametrize("query,top_k,match", [("", 5, "empty"), ("   ", 5, "empty"), ("问" * 501, 5, "501"),
                                                ("信用卡", 0, "top_k"), ("信用卡", 51, "top_k")])
def test_bad_queries_are_named(seed_engine, query: str, top_k: int, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError, match=match):
        seed_engine.search(query, top_k=top_k)


def test_odd_but_valid_queries_answer(seed_engine) -> None:  # type: ignore[no-untyped-def]
    for q in ("的了吗", "？？？", "💳信用卡😀", "CRM系统 and 信用卡", "\x07信用卡\x1b"):
        result = seed_engine.search(q)
        assert isinstance(result.low_confidence, bool)


def test_dev_questions_meet_the_bar(seed_engine) -> None:  # type: ignore[no-untyped-def]
    questions = load_questions(EVAL / "dev_questions.jsonl")
    report = evaluate_questions(seed_engine.searcher(), questions)
    assert report["hit@1"] >= 0.9
    assert report["hit@5"] == 1.0
    assert report["ood_recall"] == 1.0
    assert report["answerable_flagged"] <= 1
    # The fusion beats each retriever alone.
    searcher = seed_engine.searcher()
    for mode in ("keyword", "dense"):
        single = evaluate_questions(searcher, questions, params=SearchParams(mode=mode))
        assert report["mrr@10"] > single["mrr@10"]


def test_rrf_ranks_ties_the_same_whatever_the_candidate_order() -> None:
    from index.fusion import FusionParams, fuse

    dense = np.array([0.9, 0.5, 0.5, 0.1], dtype=np.float32)
    keyword = np.array([0.0, 2.0, 2.0, 2.0], dtype=np.float32)
    params = FusionParams(method="rrf", keyword_weight=0.5)
    fused = fuse(dense, keyword, params)
    order = np.array([3, 2, 1, 0])
    assert np.allclose(fuse(dense[order], keyword[order], params), fused[order])
    assert fused[1] == fused[2]  # tied on both sides: the same fused score
    assert fused[0] > 0 and fused[3] < fused[1]


def test_adaptive_weight_leans_toward_the_side_whose_best_stands_out() -> None:
    from index.fusion import FusionParams

    fixed = FusionParams()
    assert fixed.weight_for(np.array([0.9, 0.8, 0.7]), np.array([9.0, 1.0, 1.0])) == fixed.keyword_weight
    adaptive = FusionParams(keyword_weight=0.3, adapt=0.2)
    flat_dense = np.array([0.80, 0.79, 0.79, 0.78])
    # One passage has the query's rare terms: the keyword side stands out, its weight rises.
    assert adaptive.weight_for(flat_dense, np.array([12.0, 1.0, 1.0, 0.5])) > 0.3
    # Every candidate shares the terms while one passage means it: the weight falls toward the dense side.
    assert adaptive.weight_for(np.array([0.95, 0.70, 0.70, 0.69]), np.array([3.0, 3.0, 2.9, 2.9])) < 0.3
    # Bounded either way.
    assert 0.1 <= adaptive.weight_for(np.array([0.9, 0.1]), np.array([0.0, 0.0])) <= 0.85
    with pytest.raises(ValueError, match="adapt"):
        FusionParams(adapt=2.0)
