"""Passage marking, source selection and escaping: no article markup reaches the page."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from ui.client import AskResult, Citation, Hit, Quote
from ui.highlight import (
    inline_code,
    locate_quote,
    merge_spans,
    passage_html,
    plain_markdown,
    safe_url,
)
from ui.sources import answer_html, card_html, location, sources_of


def _hit(pid: str, text: str, start: int = 100, url: str = "https://example.com/a", **kw: object) -> Hit:
    citation = Citation(
        doc_id="d", title="文章<b>标题</b>", url=url, section="一、概述", paragraph=2,
        char_start=start, char_end=start + len(text),
    )  # fmt: skip
    return Hit(passage_id=pid, doc_id="d", score=0.5, text=text, citation=citation, **kw)


def test_merge_spans_clamps_sorts_and_joins() -> None:
    assert merge_spans([[5, 9], [0, 2], [1, 3], [8, 20], [7, 7], [-3, 1]], 12) == [(0, 3), (5, 12)]


def test_terms_and_quote_are_marked_and_text_escaped() -> None:
    text = "信用卡<script>x</script>包括消费卡。其他"
    quote = (text.index("包括"), text.index("。") + 1)
    out = passage_html(text, [[0, 3], [text.index("消费卡"), text.index("消费卡") + 3]], [quote])
    assert out.startswith('<mark class="aq-term">信用卡</mark>&lt;script&gt;')
    assert "<script>" not in out
    assert '<span class="aq-quote">包括<mark class="aq-term">消费卡</mark>。</span>其他' in out


def test_quote_over_terms_keeps_tags_balanced() -> None:
    out = passage_html("abcdef", [[1, 4]], [[2, 6]])
    assert (
        out
        == 'a<mark class="aq-term">b</mark><span class="aq-quote"><mark class="aq-term">cd</mark>ef</span>'
    )


@given(st.text(max_size=40), st.lists(st.tuples(st.integers(-5, 45), st.integers(-5, 45)), max_size=5))
def test_marking_never_loses_text_or_lets_markup_through(text: str, spans: list[tuple[int, int]]) -> None:
    out = passage_html(text, spans, spans[:2])
    plain = out.replace('<mark class="aq-term">', "").replace("</mark>", "")
    plain = plain.replace('<span class="aq-quote">', "").replace("</span>", "").replace("<br>", "\n")
    assert html.unescape(plain) == text
    assert out.count("<span") == out.count("</span>") and out.count("<mark") == out.count("</mark>")


def test_locate_quote_prefers_the_offset_hint() -> None:
    text = "甲。乙。甲。"
    assert locate_quote(text, "甲。", 4) == (4, 6)
    assert locate_quote(text, "甲。", 1) == (0, 2)
    assert locate_quote(text, "丙", None) is None


def test_only_http_links_are_kept() -> None:
    assert safe_url("https://a.example/p?q=1") == "https://a.example/p?q=1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("/relative") is None
    assert safe_url("") is None


def test_inline_code_drops_backticks() -> None:
    assert inline_code("http://a`b\nc") == "`http://ab c`"


def test_plain_markdown_escapes_syntax() -> None:
    assert plain_markdown("**x** [a](b) <i>") == "\\*\\*x\\*\\* \\[a\\]\\(b\\) \\<i\\>"


def test_sources_put_cited_passages_first_with_their_quote() -> None:
    a = _hit("p1", "无关段落。")
    b = _hit("p2", "前文。信用卡包括消费卡。后文。", start=200, highlights=[(3, 6)])
    where = {**b.citation.model_dump(), "char_start": 203, "char_end": 212}
    quote = Quote(**where, quote="信用卡包括消费卡。", passage_id="p2")
    result = AskResult(
        question="q", answer="信用卡包括消费卡。", answerable=True, citations=[quote], passages=[a, b]
    )
    cited, others = sources_of(result)
    assert [s.hit.passage_id for s in cited] == ["p2"] and cited[0].quotes == [(3, 12)]
    assert [s.hit.passage_id for s in others] == ["p1"]
    card = card_html(cited[0], 1)
    assert 'href="https://example.com/a"' in card and 'rel="noopener noreferrer"' in card
    assert "文章&lt;b&gt;标题&lt;/b&gt;" in card and "一、概述 · 第 2 段" in card
    assert '<span class="aq-quote"><mark class="aq-term">信用卡</mark>包括消费卡。</span>' in card


def test_card_without_safe_url_has_no_link() -> None:
    card = card_html(sources_of(AskResult(question="q", answerable=False, passages=[
        _hit("p", "文字", url="javascript:alert(1)")]))[1][0], 3)  # fmt: skip
    assert "<a " not in card and "javascript" not in card and '<span class="aq-num">3</span>' in card


def test_location_and_answer_html() -> None:
    assert location(_hit("p", "x")) == "一、概述 · 第 2 段"
    assert answer_html(" a<b>\nc ") == '<div class="aq-answer">a&lt;b&gt;<br>c</div>'
