"""Blocks (headings and paragraphs) that every reader produces, and the article built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.types import Article, Section

PARAGRAPH_SEP = "\n\n"


@dataclass(frozen=True)
class Block:
    """One paragraph of cleaned text; headings open a section of their `kind`."""

    text: str
    heading: bool = False
    kind: str = "body"
    title: str = ""  # for headings: the section title when it differs from the text (FAQ "Q1: …")


_SPACES = re.compile(r"[ \t\u3000\u00a0]+")


def tidy(line: str) -> str:
    """Collapse runs of spaces inside a line; article text keeps everything else as written."""
    return _SPACES.sub(" ", line).strip()


def build_article(
    doc_id: str,
    title: str,
    blocks: list[Block],
    *,
    url: str = "",
    publisher: str = "",
    published_at: str = "",
    source: str = "",
    metadata: dict[str, str] | None = None,
) -> Article:
    """Join blocks with blank lines and record each section's span in the joined text."""
    if not doc_id:
        raise ValueError("doc_id must be a non-empty string")
    parts: list[str] = []
    sections: list[Section] = []
    pos = 0
    # The opening section is headed by the title only: an id is no heading, and would be embedded and
    # keyword-indexed as context of every passage before the first heading (BEIR rows have no title).
    open_title, open_kind, open_start = title, "intro", 0
    has_open_content = False

    def close(end: int) -> None:
        if has_open_content or end > open_start:
            sections.append(Section(open_title, open_start, end, open_kind))

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if parts:
            pos += len(PARAGRAPH_SEP)
        if block.heading:
            if parts:
                close(pos - len(PARAGRAPH_SEP))
            open_title, open_kind, open_start = block.title or text, block.kind, pos
            has_open_content = False
        else:
            has_open_content = True
        parts.append(text)
        pos += len(text)
    if parts:
        close(pos)
    body = PARAGRAPH_SEP.join(parts)
    return Article(
        doc_id=doc_id,
        title=title or doc_id,
        text=body,
        sections=tuple(s for s in sections if s.end > s.start),
        url=url,
        publisher=publisher,
        published_at=published_at,
        source=source,
        metadata=dict(metadata or {}),
    )
