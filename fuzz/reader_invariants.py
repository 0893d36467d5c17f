"""What must hold for any bytes given to the article readers (shared by the fuzz target and its regression tests)."""

from __future__ import annotations

import itertools

from ingest.chunking import chunk_article
from ingest.decoding import DecodeError
from ingest.readers import ArticleError, read_article_bytes
from ingest.types import Article

# The suffix picks the reader; "" and ".txt" go through HTML sniffing, then the web page reader.
SUFFIXES = ("", ".txt", ".md", ".markdown", ".html", ".htm")

# The documented refusals: a file that is not text we accept, or has nothing left to index.
REFUSALS = (ArticleError, DecodeError)


def check_fuzz_input(data: bytes) -> Article | None:
    """One fuzz input: the first byte picks the file type and whether title/url are overridden; the rest is the file."""
    if not data:
        return None
    head, body = data[0], data[1:]
    name = "article" + SUFFIXES[head % len(SUFFIXES)]
    title = "覆盖标题" if head & 0x40 else ""
    url = "https://example.com/a" if head & 0x80 else ""
    return check_article_bytes(body, name=name, title=title, url=url)


def check_article_bytes(data: bytes, name: str = "article.txt", title: str = "", url: str = "") -> Article | None:
    """Read `data` as the file `name`; return the article (None when refused) or fail an assertion.

    Any exception other than ArticleError/DecodeError escapes, so the fuzzer reports it as a crash."""
    try:
        article = read_article_bytes(data, name=name, doc_id="doc", source="fuzz", title=title, url=url)
    except REFUSALS:
        return None
    check_article(article)
    if title:
        assert article.title == title, (article.title, title)
    if url:
        assert article.url == url, (article.url, url)
    return article


def check_article(article: Article) -> None:
    """Sections and passages point into article.text exactly, in order, without overlap."""
    text = article.text
    assert text.strip(), "an accepted article has text"
    assert "\r" not in text, "line ends are normalised"
    article.content_hash  # noqa: B018  (must not raise, e.g. on lone surrogates)
    for s in article.sections:
        assert 0 <= s.start < s.end <= len(text), (s, len(text))
        assert s.kind in ("intro", "body", "summary", "faq"), s.kind
    for left, right in itertools.pairwise(article.sections):
        assert left.end <= right.start, (left, right)
    passages = chunk_article(article)
    assert passages or not any(text[s.start : s.end].strip() for s in article.sections)
    for p in passages:
        assert p.text and p.text == text[p.char_start : p.char_end], p
        assert p.text.strip() == p.text, p
        owner = [s for s in article.sections if s.start <= p.char_start and p.char_end <= s.end]
        assert len(owner) == 1 and owner[0].title == p.section, (p, owner)
    for a, b in itertools.pairwise(passages):
        assert a.char_end <= b.char_start, (a, b)
