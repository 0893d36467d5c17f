"""Safe HTML for passages: article text is escaped first, then query terms and quotes are marked."""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

Span = tuple[int, int]

_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:=&^\"'")


def merge_spans(spans: Iterable[Sequence[int]], length: int) -> list[Span]:
    """Clamp [start, end) spans to `length`, drop empty ones, and merge overlapping or touching ones."""
    clean = sorted(
        (max(0, int(s[0])), min(length, int(s[1]))) for s in spans if len(s) >= 2 and int(s[1]) > int(s[0])
    )
    merged: list[Span] = []
    for start, end in clean:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def locate_quote(text: str, quote: str, hint: int | None = None) -> Span | None:
    """Where `quote` sits in `text`: at `hint` when that offset matches, else its first occurrence."""
    quote = quote.strip()
    if not quote:
        return None
    if hint is not None and hint >= 0 and text[hint : hint + len(quote)] == quote:
        return (hint, hint + len(quote))
    at = text.find(quote)
    return (at, at + len(quote)) if at >= 0 else None


def _inside(point: int, spans: list[Span]) -> bool:
    return any(start <= point < end for start, end in spans)


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def passage_html(text: str, terms: Iterable[Sequence[int]] = (), quotes: Iterable[Sequence[int]] = ()) -> str:
    """Escaped `text` with query terms in `<mark class="aq-term">` and quoted sentences in
    `<span class="aq-quote">`; no markup from the article survives."""
    term_spans = merge_spans(terms, len(text))
    quote_spans = merge_spans(quotes, len(text))
    cuts = sorted({0, len(text), *(p for s in term_spans + quote_spans for p in s)})
    parts: list[str] = []
    open_quote = False
    for start, end in itertools.pairwise(cuts):
        if start >= end:
            continue
        in_quote = _inside(start, quote_spans)
        if in_quote != open_quote:
            parts.append('<span class="aq-quote">' if in_quote else "</span>")
            open_quote = in_quote
        chunk = _escape(text[start:end])
        parts.append(f'<mark class="aq-term">{chunk}</mark>' if _inside(start, term_spans) else chunk)
    if open_quote:
        parts.append("</span>")
    return "".join(parts)


def safe_url(url: str) -> str | None:
    """The URL if it is an absolute http(s) link, else None (no javascript:, data:, relative links)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None


def inline_code(text: str) -> str:
    """`text` as a Markdown code span (no autolinking, no formatting); backticks are dropped."""
    return "`" + text.replace("`", "").replace("\n", " ") + "`"


def plain_markdown(text: str) -> str:
    """`text` with Markdown syntax characters backslash-escaped, so st.markdown shows it literally."""
    escaped = "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in text)
    return escaped.replace("\n", "  \n")
