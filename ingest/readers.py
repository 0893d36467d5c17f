"""Read an article from a file or from uploaded bytes, choosing the reader by file type."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest.decoding import decode_bytes
from ingest.errors import ArticleqaError
from ingest.html import read_html
from ingest.markdown import read_markdown
from ingest.types import Article
from ingest.webpage import read_webpage_text

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
BINARY_SUFFIXES = (".docx", ".pdf")  # read from bytes by ingest.docx / ingest.pdf, never decoded as text
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + BINARY_SUFFIXES
MAX_ARTICLE_BYTES = 5 * 1024 * 1024  # one article; bigger files are dumps, not articles (same as the API cap)


class ArticleError(ArticleqaError, ValueError):
    """An article that cannot be indexed; the message names the file and the reason."""


def read_article_file(path: Path, doc_id: str | None = None) -> Article:
    """Read one article file; `doc_id` defaults to a slug of the file name."""
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{path.name}: {size} bytes is over the {MAX_ARTICLE_BYTES}-byte article limit")
    return read_article_bytes(path.read_bytes(), name=path.name, doc_id=doc_id or doc_id_for(path.name),
                              source=str(path))


def read_article_bytes(data: bytes, name: str, doc_id: str, source: str = "", title: str = "",
                       url: str = "") -> Article:
    """Decode and parse article bytes; `name`'s suffix picks the format (plain text by default)."""
    suffix = Path(name).suffix.lower()
    if suffix in BINARY_SUFFIXES:
        if suffix == ".docx":
            from ingest.docx import read_docx as read_binary
        else:
            from ingest.pdf import read_pdf as read_binary
        return _checked(read_binary(data, name=name, doc_id=doc_id, source=source), name, title=title, url=url)
    return read_article_text(decode_bytes(data, name), name=name, doc_id=doc_id, source=source,
                             title=title, url=url)


def read_article_text(text: str, name: str, doc_id: str, source: str = "", title: str = "",
                      url: str = "") -> Article:
    """Parse article text by format; refuse an article with no indexable content."""
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm") or (suffix not in (".md", ".markdown") and _looks_like_html(text)):
        article = read_html(text, doc_id, source=source)
    elif suffix in (".md", ".markdown"):
        article = read_markdown(text, doc_id, source=source)
    else:
        article = read_webpage_text(text, doc_id, source=source, title=title)
    return _checked(article, name, title=title, url=url)


def _checked(article: Article, name: str, title: str, url: str) -> Article:
    if title or url:
        article = _override(article, title=title, url=url)
    if not article.text.strip():
        raise ArticleError(f"{name}: no article text left after removing page chrome and blank lines")
    return article


def _override(article: Article, title: str, url: str) -> Article:
    from dataclasses import replace

    return replace(article, title=title or article.title, url=url or article.url)


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text)


_SLUG_DROP = re.compile(r"[^\w\-.]+", re.UNICODE)


def doc_id_for(name: str) -> str:
    """A stable, URL-safe document id from a file name (CJK letters kept)."""
    stem = Path(unicodedata.normalize("NFKC", name)).stem.strip().lower()
    slug = _SLUG_DROP.sub("-", stem).strip("-.")
    if not slug:
        raise ArticleError(f"{name!r}: cannot derive a document id from this file name")
    return slug[:120]
