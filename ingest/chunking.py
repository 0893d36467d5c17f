"""Cut an article into passages that stay inside one section and keep exact character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.blocks import PARAGRAPH_SEP
from ingest.types import Article, Passage, Section

# Sentence ends for Chinese text (full- and half-width); a closing quote stays with its sentence.
_SENTENCE_END = re.compile(r"[。！？；!?;…\n]+[”’」』)）]*")


@dataclass(frozen=True)
class ChunkParams:
    """How passages are cut; recorded in the snapshot manifest."""

    max_chars: int = 320
    min_chars: int = 80

    def __post_init__(self) -> None:
        if self.min_chars < 0 or self.max_chars < 20 or self.min_chars >= self.max_chars:
            raise ValueError(
                f"chunk params: need 0 <= min_chars < max_chars and max_chars >= 20, got "
                f"min_chars={self.min_chars}, max_chars={self.max_chars}"
            )


def chunk_article(article: Article, params: ChunkParams | None = None) -> list[Passage]:
    """Passages of at most ~max_chars; short paragraphs merge with a neighbour in the same section."""
    params = params or ChunkParams()
    passages: list[Passage] = []
    for section in article.sections:
        for paragraph, start, end in _section_pieces(article.text, section, params):
            ordinal = len(passages)
            passages.append(
                Passage(
                    passage_id=f"{article.doc_id}#{ordinal}",
                    doc_id=article.doc_id,
                    ordinal=ordinal,
                    section=section.title,
                    paragraph=paragraph,
                    char_start=start,
                    char_end=end,
                    text=article.text[start:end],
                )
            )
    return passages


def _paragraph_spans(text: str, section: Section) -> list[tuple[int, int]]:
    spans = []
    pos = section.start
    while pos < section.end:
        nxt = text.find(PARAGRAPH_SEP, pos, section.end)
        end = section.end if nxt < 0 else nxt
        if text[pos:end].strip():
            spans.append(_strip_span(text, pos, end))
        pos = end + len(PARAGRAPH_SEP) if nxt >= 0 else section.end
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _section_pieces(text: str, section: Section, params: ChunkParams) -> list[tuple[int, int, int]]:
    """(paragraph number, start, end) of each passage in a section; the heading is context, not a passage."""
    spans = _paragraph_spans(text, section)
    if section.kind not in ("intro", "faq") and len(spans) > 1:
        # A section opens with its heading paragraph: context for every passage, not a passage.
        # FAQ questions stay in their passage: they are what people ask.
        spans = spans[1:]
    pieces: list[tuple[int, int, int]] = []
    for number, (start, end) in enumerate(spans, 1):
        if end - start > params.max_chars:
            pieces.extend((number, s, e) for s, e in _split_long(text, start, end, params.max_chars))
        else:
            pieces.append((number, start, end))
    return _merge_short(pieces, params)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """[start, end) of each sentence of text[start:end], ends included, surrounding spaces excluded."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return [s for s in (_strip_span(text, a, b) for a, b in spans) if s[1] > s[0]]


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Pack whole sentences into windows of at most max_chars; a sentence longer than that is cut."""
    sentences = sentence_spans(text, start, end)
    windows: list[tuple[int, int]] = []
    cur_start, cur_end = -1, -1
    for s, e in sentences:
        while e - s > max_chars:  # a run-on sentence: hard cut
            if cur_start >= 0:
                windows.append((cur_start, cur_end))
                cur_start = -1
            windows.append((s, s + max_chars))
            s += max_chars
        if cur_start < 0:
            cur_start, cur_end = s, e
        elif e - cur_start <= max_chars:
            cur_end = e
        else:
            windows.append((cur_start, cur_end))
            cur_start, cur_end = s, e
    if cur_start >= 0:
        windows.append((cur_start, cur_end))
    return [_strip_span(text, s, e) for s, e in windows if text[s:e].strip()]


def _merge_short(pieces: list[tuple[int, int, int]], params: ChunkParams) -> list[tuple[int, int, int]]:
    """Merge a piece shorter than min_chars into the next one (or the previous one at the end)."""
    out: list[tuple[int, int, int]] = []
    carry: tuple[int, int, int] | None = None
    for number, start, end in pieces:
        if carry is not None:
            if end - carry[1] <= params.max_chars:
                number, start = carry[0], carry[1]
            else:
                out.append(carry)
            carry = None
        if end - start < params.min_chars:
            carry = (number, start, end)
        else:
            out.append((number, start, end))
    if carry is not None:
        if out and carry[2] - out[-1][1] <= params.max_chars:
            out[-1] = (out[-1][0], out[-1][1], carry[2])
        else:
            out.append(carry)
    return out
