"""Reader for text-based PDF articles: page numbers kept, running headers and footers dropped, 一、/第X章 headings."""

from __future__ import annotations

import io
import json
import math
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import replace

from ingest.blocks import tidy
from ingest.readers import ArticleError
from ingest.types import Article
from ingest.webpage import Line, _is_heading, parse_lines

PAGE_STARTS_KEY = "page_starts"  # Article.metadata: JSON [[char offset, page number], …], ascending
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|第\s*\d{1,4}\s*页(?:\s*[/／,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*[/／]\s*\d{1,4}"
    r"|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_PARAGRAPH_END = tuple("。！？!?；;：:”」』)）")
_PLACEHOLDER_TITLES = {"untitled", "无标题", "microsoft word", "document"}  # what PDF writers put in /Title
_EDGE_LINES = 2  # how many lines at the top and bottom of a page may be a running header or footer


def read_pdf(data: bytes, name: str, doc_id: str, source: str = "") -> Article:
    """Parse PDF bytes; refuse (ArticleError naming `name`) encrypted, damaged or image-only PDFs."""
    from pypdf import PdfReader

    if not data.lstrip()[:1024].startswith(b"%PDF-"):
        raise ArticleError(f"{name}: not a PDF file (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise ArticleError(f"{name}: the PDF is truncated (no %%EOF marker at its end)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError(f"{name}: the PDF is encrypted with a password; remove the password and add it again")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        info_title = str(info.get("/Title") or "").strip() if info is not None else ""
        if info_title.lower() in _PLACEHOLDER_TITLES:
            info_title = ""
    except ArticleError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError… for a damaged file
        raise ArticleError(f"{name}: the PDF cannot be read ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise ArticleError(f"{name}: the PDF has no pages")
    page_lines = [[tidy(x) for x in text.split("\n") if tidy(x)] for text in pages]
    if not any(page_lines):
        raise ArticleError(f"{name}: the PDF has no text layer ({len(pages)} pages of images, a scan?); "
                           "run OCR on it first")
    page_paragraphs = [_paragraphs(lines) for lines in _drop_running_lines(page_lines)]
    lines = [Line(text, heading=heading) for paragraphs in page_paragraphs for text, heading in paragraphs]
    article = parse_lines(lines, doc_id, source=source, title=info_title)
    starts = _page_starts(article.text, page_paragraphs)
    return replace(article, metadata={**article.metadata, PAGE_STARTS_KEY: json.dumps(starts)})


def page_at(page_starts: list[list[int]], char_start: int) -> int | None:
    """The page (1-based) a character offset of the article text lies on, from its PAGE_STARTS_KEY list."""
    if not page_starts:
        return None
    i = bisect_right([s for s, _ in page_starts], char_start) - 1
    return int(page_starts[max(i, 0)][1])


def _edge_key(line: str) -> str:
    """A header/footer line with its page number masked, so 第 1 页 and 第 2 页 count as one line."""
    return re.sub(r"\d+", "#", line)


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop lines at the top or bottom of pages that repeat on most pages, and bare page numbers there."""
    n = len(pages)
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_edge_key(x) for x in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    need = max(2, math.ceil(0.6 * n))
    running = {k for k, c in counts.items() if n >= 2 and c >= need}
    out: list[list[str]] = []
    for lines in pages:
        kept = list(lines)
        for _ in range(_EDGE_LINES):
            if kept and (_edge_key(kept[0]) in running or _PAGE_NUMBER.match(kept[0])):
                kept.pop(0)
            if kept and (_edge_key(kept[-1]) in running or _PAGE_NUMBER.match(kept[-1])):
                kept.pop()
        out.append(kept)
    return out


def _paragraphs(lines: list[str]) -> list[tuple[str, bool | None]]:
    """Join wrapped lines into paragraphs: a paragraph ends at closing punctuation, a heading stands alone."""
    out: list[tuple[str, bool | None]] = []
    current = ""
    for line in lines:
        if _is_heading(line):
            if current:
                out.append((current, None))
                current = ""
            out.append((line, True))
            continue
        current = _join(current, line) if current else line
        if line.endswith(_PARAGRAPH_END):
            out.append((current, None))
            current = ""
    if current:
        out.append((current, None))
    return out


def _join(left: str, right: str) -> str:
    """CJK lines wrap without a space; Latin words across a line break get one."""
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def _page_starts(text: str, page_paragraphs: list[list[tuple[str, bool | None]]]) -> list[list[int]]:
    """Where each page's first surviving paragraph begins in the article text (pages with none are skipped)."""
    starts: list[list[int]] = []
    pos = 0
    for page, paragraphs in enumerate(page_paragraphs, 1):
        for para, _ in paragraphs:
            at = text.find(para, pos)
            if at >= 0:
                starts.append([at, page])
                pos = at + len(para)
                break
    return starts
