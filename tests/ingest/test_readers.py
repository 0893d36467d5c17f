"""Readers: the seed page format with its chrome, .txt, .md, .html, encodings and broken input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.decoding import DecodeError, decode_bytes
from ingest.readers import ArticleError, doc_id_for, read_article_bytes, read_article_file
from tests.conftest import CORPUS, TINY_ARTICLES

SEED_BANK = CORPUS / "bank-product-manager-skills.txt"
SEED_CARD = CORPUS / "credit-card-product-manager.txt"


def test_seed_page_keeps_title_sections_faq_and_metadata() -> None:
    a = read_article_file(SEED_BANK)
    assert a.doc_id == "bank-product-manager-skills"
    assert a.title == "银行产品经理必备技能有哪些"
    assert a.url == "https://www.chuangxiangniao.com/p/659474.html"
    assert a.publisher == "百晓生"
    titles = [s.title for s in a.sections]
    assert titles[1] == "一、金融知识" and "二十、学习能力" in titles
    faq = [s for s in a.sections if s.kind == "faq"]
    assert faq[0].title == "作为一名银行产品经理,我需要具备哪些必备技能?"
    assert len(faq) == 3
    # Sections tile the text in order and never overlap.
    for prev, nxt in zip(a.sections, a.sections[1:], strict=False):
        assert prev.end <= nxt.start


def test_seed_page_chrome_is_dropped() -> None:
    for path in (SEED_BANK, SEED_CARD):
        a = read_article_file(path)
        for chrome in ("版权声明", "举报", "转转请注明出处", "相关推荐", "客户管理系统怎么搭建", "发表回复",
                       "微信扫一扫", "上一篇", "登录后才能评论", "%ign"):
            assert chrome not in a.text, (path.name, chrome)
        # The title line and its doubled repeat are not body text.
        assert not a.text.startswith(a.title)


def test_summary_and_numbered_faq_of_second_seed() -> None:
    a = read_article_file(SEED_CARD)
    kinds = {s.title: s.kind for s in a.sections}
    assert kinds["总结"] == "summary"
    assert kinds["信用卡产品经理的主要职责是什么?"] == "faq"
    assert "消费卡、商务卡、联名卡" in a.text


def test_markdown_headings_and_title() -> None:
    a = read_article_bytes(TINY_ARTICLES["risk.md"].encode(), name="risk.md", doc_id="risk")
    assert a.title == "银行风险管理"
    assert [s.title for s in a.sections] == ["一、信用风险", "二、操作风险"]
    assert "#" not in a.text


def test_html_drops_scripts_styles_and_navigation() -> None:
    a = read_article_bytes(TINY_ARTICLES["ux.html"].encode(), name="ux.html", doc_id="ux")
    assert a.title == "手机银行的用户体验"
    assert "tracking" not in a.text and "不应被索引" not in a.text
    assert "color" not in a.text and "首页" not in a.text and "版权所有" not in a.text
    assert [s.title for s in a.sections] == ["一、简洁的流程", "二、清晰的提示"]


def test_gb18030_is_decoded_and_binary_refused() -> None:
    text = "信用卡的年费\n\n白金卡的年费更高。"
    assert decode_bytes(text.encode("gb18030")) == text
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode()) == text
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DecodeError, match="UTF-8"):
        decode_bytes(b"abc\x80\xff\x80 text")


CHROME_ONLY = "版权声明:本文内容由互联网用户自发贡献。\n相关推荐\n  • 别的文章"


@pytest.mark.parametrize("content", ["", "   \n\n \t", CHROME_ONLY])
def test_empty_or_chrome_only_articles_are_refused(content: str) -> None:
    with pytest.raises(ArticleError, match="no article text"):
        read_article_bytes(content.encode(), name="x.txt", doc_id="x")


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.readers as readers

    monkeypatch.setattr(readers, "MAX_ARTICLE_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("信用卡" * 100, encoding="utf-8")
    with pytest.raises(ArticleError, match="limit"):
        read_article_file(big)


def test_doc_ids_from_file_names() -> None:
    assert doc_id_for("Credit Card 101.TXT") == "credit-card-101"
    assert doc_id_for("信用卡 指南.md") == "信用卡-指南"
    with pytest.raises(ArticleError):
        doc_id_for("....txt")
