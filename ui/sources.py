"""Which passages back an answer, and the safe HTML card that shows one of them."""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass, field

from ui.client import AskResult, Document, Hit
from ui.highlight import Span, locate_quote, merge_spans, passage_html, safe_url


@dataclass(frozen=True)
class Source:
    """A passage shown under an answer, with the spans of the sentences the answer quotes from it."""

    hit: Hit
    quotes: list[Span] = field(default_factory=list)
    cited: bool = False


def sources_of(result: AskResult) -> tuple[list[Source], list[Source]]:
    """(cited, others): passages the answer quotes, in citation order, then the remaining hits."""
    by_id = {h.passage_id: h for h in result.passages}
    quotes: dict[str, list[Span]] = {}
    order: list[str] = []
    for c in result.citations:
        hit = by_id.get(c.passage_id)
        if hit is None:
            continue
        span = locate_quote(hit.text, c.quote, c.char_start - hit.citation.char_start)
        if c.passage_id not in quotes:
            quotes[c.passage_id] = []
            order.append(c.passage_id)
        if span is not None:
            quotes[c.passage_id].append(span)
    cited = [Source(by_id[pid], quotes[pid], cited=True) for pid in order]
    others = [Source(h) for h in result.passages if h.passage_id not in quotes]
    return cited, others


def location(hit: Hit) -> str:
    """`一、熟悉信用卡产品及其市场 · 第 2 段`, or what part of it is known."""
    parts = []
    if hit.citation.section:
        parts.append(hit.citation.section)
    if hit.citation.paragraph:
        parts.append(f"第 {hit.citation.paragraph} 段")
    return " · ".join(parts)


def card_html(source: Source, number: int) -> str:
    """One source card: numbered title linked to the article URL, its section, the marked passage."""
    hit = source.hit
    title = html.escape(hit.citation.title or hit.doc_id)
    url = safe_url(hit.citation.url)
    if url:
        href = html.escape(url, quote=True)
        link = f'<a class="aq-title" href="{href}" target="_blank" rel="noopener noreferrer">{title}</a>'
    else:
        link = f'<span class="aq-title">{title}</span>'
    where = location(hit)
    meta = f'<div class="aq-meta">{html.escape(where)}</div>' if where else ""
    passage = passage_html(hit.text, hit.highlights, source.quotes)
    return (
        f'<div class="aq-source"><div class="aq-head"><span class="aq-num">{number}</span>{link}</div>'
        f'{meta}<div class="aq-passage">{passage}</div></div>'
    )


def answer_html(answer: str) -> str:
    """The extractive answer as an escaped paragraph."""
    body = html.escape(answer.strip(), quote=True).replace("\n", "<br>")
    return f'<div class="aq-answer">{body}</div>'


def cited_spans(source: Source) -> list[Span]:
    """The source's quoted sentences (or, when none is quoted, the whole passage) as offsets into the article."""
    start = source.hit.citation.char_start
    if source.quotes:
        return [(start + s, start + e) for s, e in source.quotes]
    return [(start, source.hit.citation.char_end)]


def article_html(document: Document, cited: list[Span]) -> str:
    """The whole article, escaped, with section headings set apart and the `cited` spans marked
    `<mark class="aq-cited">` (the first one with id aq-cited, for scrolling to it)."""
    text = document.text
    marks = merge_spans(cited, len(text))
    headings = merge_spans(
        [(s.start, s.start + len(s.title)) for s in document.sections
         if s.title and text[s.start : s.start + len(s.title)] == s.title], len(text))
    cuts = sorted({0, len(text), *(p for span in marks + headings for p in span)})
    parts: list[str] = []
    first = True
    for start, end in itertools.pairwise(cuts):
        if start >= end:
            continue
        chunk = html.escape(text[start:end], quote=True).replace("\n", "<br>")
        if any(s <= start < e for s, e in headings):
            chunk = f'<strong class="aq-heading">{chunk}</strong>'
        if any(s <= start < e for s, e in marks):
            anchor = ' id="aq-cited"' if first else ""
            first = False
            chunk = f'<mark class="aq-cited"{anchor}>{chunk}</mark>'
        parts.append(chunk)
    return f'<div class="aq-article">{"".join(parts)}</div>'


SCROLL_TO_CITED = """<script>
(function () {
  const go = () => {
    const el = document.getElementById("aq-cited");
    if (el) { el.scrollIntoView({block: "center"}); } else { setTimeout(go, 50); }
  };
  go();
})();
</script>"""
