"""Reader for Word (.docx) articles: heading styles open sections, lists keep their order, tables become rows."""

from __future__ import annotations

import io
import zipfile

from ingest.readers import ArticleError
from ingest.types import Article
from ingest.webpage import Line, parse_lines

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or a password-protected .docx
_HEADING_STYLES = ("heading", "标题", "title", "subtitle")


def read_docx(data: bytes, name: str, doc_id: str, source: str = "") -> Article:
    """Parse .docx bytes; refuse (ArticleError naming `name`) anything that is not a readable Word file."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if data.startswith(_OLE_MAGIC):
        raise ArticleError(f"{name}: an encrypted .docx or a legacy .doc (OLE) file, not a Word 2007+ document; "
                           "remove the password or save it as .docx")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ArticleError(f"{name}: not a zip archive, so not a .docx (renamed from another format, or truncated?)")
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors… for a damaged package
        raise ArticleError(f"{name}: not a readable Word document ({type(exc).__name__}: {exc})") from None
    title = (document.core_properties.title or "").strip()
    lines: list[Line] = []
    try:
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                line = _paragraph_line(item)
                if line is not None and not (title and line.heading and line.text.strip() == title and not lines):
                    lines.append(line)
            elif isinstance(item, Table):
                lines.extend(Line(row, heading=False) for row in _table_rows(item))
    except Exception as exc:  # damaged XML inside a valid zip
        raise ArticleError(
            f"{name}: the Word document's content cannot be read ({type(exc).__name__}: {exc})") from None
    return parse_lines(lines, doc_id, source=source, title=title)


def _paragraph_line(paragraph: object) -> Line | None:
    from docx.text.paragraph import Paragraph

    assert isinstance(paragraph, Paragraph)
    text = paragraph.text.replace("\v", " ").strip()
    if not text:
        return None
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    lowered = style.lower()
    if lowered.startswith(_HEADING_STYLES):
        return Line(text, heading=True)
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if lowered.startswith("list") or numbered:
        return Line(text, heading=False)  # a list item is content, even when it starts like 一、
    return Line(text)  # body text: numbered headings (一、, 第X章) are recognised as in plain text


def _table_rows(table: object) -> list[str]:
    """One line per row, cells joined by ' | ' (a merged cell, repeated by python-docx, counted once)."""
    from docx.table import Table

    assert isinstance(table, Table)
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
