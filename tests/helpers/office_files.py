"""Build small .docx and .pdf articles in code for the tests (no binary fixtures in the repository)."""

from __future__ import annotations

import io
from collections.abc import Sequence

HEADER = "某银行产品部内部资料"


def make_docx(title: str, body: Sequence[tuple[str, str | list[str] | list[list[str]]]]) -> bytes:
    """A Word file: `body` items are ("heading", text), ("para", text), ("bullets", [items]),
    ("numbers", [items]) or ("table", [[cells], …])."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = title
    doc.add_heading(title, level=0)
    for kind, value in body:
        if kind == "heading":
            assert isinstance(value, str)
            doc.add_heading(value, level=1)
        elif kind == "para":
            assert isinstance(value, str)
            doc.add_paragraph(value)
        elif kind in ("bullets", "numbers"):
            style = "List Bullet" if kind == "bullets" else "List Number"
            for item in value:
                assert isinstance(item, str)
                doc.add_paragraph(item, style=style)
        elif kind == "table":
            rows = [list(r) for r in value]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            raise ValueError(f"unknown docx body item kind {kind!r}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def make_pdf(pages: Sequence[Sequence[str]], *, header: str = HEADER, footer_numbers: bool = True,
             title: str = "", password: str = "") -> bytes:
    """A text PDF in the STSong-Light CID font: each page gets `header` on top, its lines, and a page number
    at the bottom; with `password` the file is encrypted."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    if title:
        c.setTitle(title)
    for number, lines in enumerate(pages, 1):
        c.setFont("STSong-Light", 11)
        if header:
            c.drawString(72, 800, header)
        y = 770
        for line in lines:
            c.drawString(72, y, line)
            y -= 18
        if footer_numbers:
            c.drawString(290, 40, f"- {number} -")
        c.showPage()
    c.save()
    data = buf.getvalue()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def make_image_pdf(pages: int = 2) -> bytes:
    """A PDF whose pages hold only drawings (what a scan looks like to a text extractor)."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(pages):
        c.rect(72, 500, 300, 200, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


CARD_PDF_PAGES = [
    ["信用卡业务手册",
     "一、信用卡的分类",
     "信用卡按用途可以分为消费卡、商务卡和联名卡,联名卡通",
     "常由银行与航空公司或商场合作发行。"],
    ["二、信用卡的额度",
     "白金卡的信用额度更高,年费也更贵。银行根据持卡人的收入",
     "和信用记录核定额度。"],
    ["第三章 风险控制",
     "发卡银行通过信用评分和授信审批控制逾期风险。"],
]

LOAN_DOCX_BODY: list[tuple[str, str | list[str] | list[list[str]]]] = [
    ("para", "本文介绍个人住房贷款的办理流程。"),
    ("heading", "一、申请条件"),
    ("para", "申请人需要有稳定的收入和良好的信用记录。"),
    ("bullets", ["年满十八周岁", "有当地户口或居住证明", "首付款不低于三成"]),
    ("heading", "二、利率对比"),
    ("table", [["贷款类型", "期限", "年利率"], ["商业贷款", "30年", "3.95%"], ["公积金贷款", "30年", "3.1%"]]),
    ("heading", "三、办理步骤"),
    ("numbers", ["提交申请材料", "银行审批", "签订合同并放款"]),
]
