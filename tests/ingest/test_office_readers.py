"""Word and PDF articles: sections, lists, tables, pages, running headers, and the files that are refused."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from index.engine import Engine
from ingest.pdf import PAGE_STARTS_KEY, page_at
from ingest.readers import ArticleError, read_article_bytes, read_article_file
from tests.helpers.office_files import CARD_PDF_PAGES, HEADER, LOAN_DOCX_BODY, make_docx, make_image_pdf, make_pdf


def test_docx_headings_become_sections_lists_keep_order_tables_become_rows() -> None:
    article = read_article_bytes(make_docx("个人住房贷款指南", LOAN_DOCX_BODY), name="loan.docx", doc_id="loan")
    assert article.title == "个人住房贷款指南"
    titles = [s.title for s in article.sections]
    assert titles == ["个人住房贷款指南", "一、申请条件", "二、利率对比", "三、办理步骤"]
    text = article.text
    steps = [text.index(x) for x in ("提交申请材料", "银行审批", "签订合同并放款")]
    assert steps == sorted(steps)
    assert "商业贷款 | 30年 | 3.95%" in text.split("\n\n")
    assert "贷款类型 | 期限 | 年利率" in text.split("\n\n")
    rates = next(s for s in article.sections if s.title == "二、利率对比")
    assert "公积金贷款 | 30年 | 3.1%" in text[rates.start:rates.end]
    bullets = next(s for s in article.sections if s.title == "一、申请条件")
    assert "首付款不低于三成" in text[bullets.start:bullets.end]


def test_pdf_pages_headings_and_running_headers() -> None:
    article = read_article_bytes(make_pdf(CARD_PDF_PAGES), name="card.pdf", doc_id="card")
    assert article.title == "信用卡业务手册"
    assert [s.title for s in article.sections] == ["一、信用卡的分类", "二、信用卡的额度", "第三章 风险控制"]
    assert HEADER not in article.text  # the header repeated on every page is dropped
    assert "- 1 -" not in article.text and "- 3 -" not in article.text
    # a wrapped line is joined back into its paragraph
    assert "联名卡通常由银行与航空公司或商场合作发行。" in article.text
    starts = json.loads(article.metadata[PAGE_STARTS_KEY])
    assert page_at(starts, article.text.index("联名卡通常")) == 1
    assert page_at(starts, article.text.index("白金卡")) == 2
    assert page_at(starts, article.text.index("发卡银行")) == 3


def test_a_line_on_one_page_only_is_kept() -> None:
    pages = [["一、概述", "只有一页的文章内容在这里。"]]
    article = read_article_bytes(make_pdf(pages, header="页眉只出现一次"), name="one.pdf", doc_id="one")
    assert "页眉只出现一次" in article.text or article.title == "页眉只出现一次"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("scan.pdf", make_image_pdf(), "no text layer"),
        ("locked.pdf", make_pdf(CARD_PDF_PAGES, password="s3cret"), "encrypted"),
        ("cut.pdf", make_pdf(CARD_PDF_PAGES)[:-400], "truncated"),
        ("junk.pdf", b"%PDF-1.7\n garbage that is no PDF body \n%%EOF\n", "cannot be read"),
        ("notpdf.pdf", "这只是一段文字".encode(), "not a PDF"),
        ("plain.docx", "这不是 Word 文件".encode(), "not a zip"),
        ("legacy.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "legacy .doc"),
    ],
)
def test_broken_files_are_refused_naming_file_and_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ArticleError) as info:
        read_article_bytes(data, name=name, doc_id="x")
    assert name in str(info.value)
    assert reason in str(info.value)


def test_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not word")
    path = tmp_path / "fake.docx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(ArticleError, match=r"fake\.docx: not a readable Word document"):
        read_article_file(path)


def test_ingest_cites_pages_and_offsets_reproduce_text(tmp_path: Path, engine_factory: type[Engine]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "card.pdf").write_bytes(make_pdf(CARD_PDF_PAGES))
    (corpus / "loan.docx").write_bytes(make_docx("个人住房贷款指南", LOAN_DOCX_BODY))
    (corpus / "scan.pdf").write_bytes(make_image_pdf())
    engine = engine_factory()
    report = engine.ingest([corpus])
    assert sorted(report.added) == ["card", "loan"]
    assert [e["file"] for e in report.errors] == [str(corpus / "scan.pdf")]
    assert "no text layer" in report.errors[0]["error"]
    before = engine.stats()["index_version"]

    hit = engine.search("白金卡的信用额度", top_k=1).hits[0]
    assert hit.doc_id == "card"
    assert hit.citation.page == 2
    assert hit.citation.section == "二、信用卡的额度"
    risk = engine.search("授信审批控制逾期风险", top_k=1, doc_ids=["card"]).hits[0]
    assert risk.citation.page == 3
    loan = engine.search("公积金贷款利率", top_k=1).hits[0]
    assert loan.doc_id == "loan" and loan.citation.page is None
    for h in (hit, risk, loan):
        text = engine.store.get_article(h.doc_id).text  # type: ignore[union-attr]
        assert text[h.citation.char_start:h.citation.char_end] == h.text
    answer = engine.ask("白金卡的年费怎么样?")
    assert answer.quotes and all(q.citation.page == 2 for q in answer.quotes if q.citation.doc_id == "card")

    # a broken upload is refused and nothing already indexed is touched
    with pytest.raises(ArticleError, match=r"locked\.pdf: the PDF is encrypted"):
        engine.add_document(data=make_pdf(CARD_PDF_PAGES, password="pw"), name="locked.pdf", doc_id="card")
    assert engine.stats()["index_version"] == before
    assert engine.search("白金卡的信用额度", top_k=1).hits[0].citation.page == 2
