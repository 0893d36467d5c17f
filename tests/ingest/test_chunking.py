"""Chunking: passages stay inside a section and their offsets reproduce their text exactly."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.blocks import Block, build_article
from ingest.chunking import ChunkParams, chunk_article, sentence_spans
from ingest.readers import read_article_file
from ingest.webpage import read_webpage_text
from tests.conftest import CORPUS

_CHARS = st.sampled_from(list("银行信用卡产品经理风险管理用户体验数据分析市场的了是在和。！？；,，:  \nabcXYZ12"))
_PARAGRAPH = st.text(_CHARS, min_size=0, max_size=400)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(st.tuples(st.booleans(), _PARAGRAPH), min_size=1, max_size=12),
    max_chars=st.integers(20, 300),
    min_chars=st.integers(0, 19),
)
def test_offsets_reproduce_text_and_stay_in_one_section(blocks: list[tuple[bool, str]], max_chars: int,
                                                        min_chars: int) -> None:
    article = build_article("doc", "标题", [Block(t, heading=h and len(t) < 40) for h, t in blocks])
    passages = chunk_article(article, ChunkParams(max_chars=max_chars, min_chars=min_chars))
    for p in passages:
        assert article.text[p.char_start : p.char_end] == p.text
        assert p.text.strip() == p.text and p.text
        owner = [s for s in article.sections if s.start <= p.char_start and p.char_end <= s.end]
        assert len(owner) == 1 and owner[0].title == p.section
    starts = [p.char_start for p in passages]
    assert starts == sorted(starts)
    assert all(a.char_end <= b.char_start for a, b in itertools.pairwise(passages))


@settings(max_examples=100, deadline=None)
@given(text=st.text(_CHARS, min_size=0, max_size=2000))
def test_raw_page_text_never_breaks_offsets(text: str) -> None:
    try:
        article = read_webpage_text(text, "doc")
    except ValueError:
        return
    for p in chunk_article(article):
        assert article.text[p.char_start : p.char_end] == p.text


def test_long_paragraphs_split_at_sentence_ends() -> None:
    sentence = "信用卡产品经理需要了解市场。"
    article = build_article("d", "t", [Block("一、市场", heading=True), Block(sentence * 40)])
    passages = chunk_article(article, ChunkParams(max_chars=100, min_chars=10))
    assert len(passages) > 1
    assert all(len(p.text) <= 100 for p in passages)
    assert all(p.text.endswith("。") for p in passages)
    assert {p.section for p in passages} == {"一、市场"}


def test_short_paragraphs_merge_within_a_section_only() -> None:
    article = build_article("d", "t", [
        Block("一、甲", heading=True), Block("短句一。"), Block("短句二。"),
        Block("二、乙", heading=True), Block("短句三。"),
    ])
    passages = chunk_article(article, ChunkParams(max_chars=100, min_chars=20))
    assert [p.section for p in passages] == ["一、甲", "二、乙"]
    assert passages[0].text == "短句一。\n\n短句二。"


def test_seed_passages_are_paragraph_sized_with_headings_as_context() -> None:
    article = read_article_file(CORPUS / "credit-card-product-manager.txt")
    passages = chunk_article(article)
    target = next(p for p in passages if "消费卡、商务卡、联名卡" in p.text)
    assert target.section == "一、熟悉信用卡产品及其市场"
    assert target.context.startswith("一、熟悉信用卡产品及其市场\n")
    assert all(len(p.text) <= ChunkParams().max_chars for p in passages)


def test_sentence_spans_cover_sentences() -> None:
    text = "第一句。第二句！第三句"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["第一句。", "第二句！", "第三句"]


def test_bad_chunk_params_are_named() -> None:
    with pytest.raises(ValueError, match="min_chars"):
        ChunkParams(max_chars=50, min_chars=60)
