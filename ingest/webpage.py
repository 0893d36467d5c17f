"""Reader for article text as copied from a web page (the seed format) and for plain .txt files."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.blocks import Block, build_article, tidy
from ingest.chrome import chrome_metadata, is_end_marker, is_noise_line
from ingest.types import Article

_CN_NUM = "一二三四五六七八九十百零〇两"
_NUMBERED_HEADING = re.compile(rf"^(?:第[{_CN_NUM}\d]+[章节部分]|[{_CN_NUM}]+[、.．]|[（(][{_CN_NUM}]+[)）])\s*\S")
_SUMMARY_HEADING = re.compile(r"^(总结|结语|结论|小结|总而言之|写在最后)[:：]?$")
_FAQ_START = re.compile(r"^(相关问答\s*FAQs?|常见问题(解答)?|FAQs?)\s*[:：]?$", re.IGNORECASE)
_FAQ_QUESTION = re.compile(r"^(?:Q\s*\d*\s*[:：.、]|问\s*\d*\s*[:：]|\d+\s*[.、．]\s*)(.+)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。；;！!]")
_MAX_HEADING_CHARS = 40


@dataclass(frozen=True)
class Line:
    """A line of page text; `heading` is True/False when the markup says so, None to infer it."""

    text: str
    heading: bool | None = None


def read_webpage_text(text: str, doc_id: str, source: str = "", title: str = "") -> Article:
    """Parse raw page text: title, body sections, FAQ items; drop the page chrome after the body."""
    return parse_lines([Line(x) for x in text.split("\n")], doc_id, source=source, title=title)


def parse_lines(lines: list[Line], doc_id: str, *, source: str = "", title: str = "") -> Article:
    """Turn page lines into an Article; shared by the text, Markdown and HTML readers."""
    content = [ln for ln in (Line(tidy(x.text), x.heading) for x in lines) if ln.text]
    if not title and content and _looks_like_title(content[0]):
        title = content[0].text
        content = content[1:]
    # The copied page repeats the title (sometimes doubled) right under it.
    while content and title and _is_title_repeat(content[0].text, title):
        content = content[1:]

    end = next((i for i, ln in enumerate(content) if ln.heading is not True and is_end_marker(ln.text)), None)
    chrome = [ln.text for ln in content[end:]] if end is not None else []
    body = content[:end] if end is not None else content
    meta = chrome_metadata(chrome)

    blocks: list[Block] = []
    in_faq = False
    for ln in body:
        text = ln.text
        if ln.heading is not True and is_noise_line(text):
            continue
        if _FAQ_START.match(text):
            in_faq = True
            continue
        if in_faq and ln.heading is not False and (q := _FAQ_QUESTION.match(text)) and _is_question(q.group(1)):
            blocks.append(Block(text, heading=True, kind="faq", title=q.group(1).strip()))
        elif ln.heading is True or (ln.heading is None and _is_heading(text)):
            kind = "summary" if _SUMMARY_HEADING.match(text) else "body"
            blocks.append(Block(text, heading=True, kind=kind))
        else:
            blocks.append(Block(text))
    return build_article(
        doc_id,
        title,
        blocks,
        url=meta.pop("url", ""),
        publisher=meta.pop("publisher", ""),
        published_at=meta.pop("published_at", ""),
        source=source,
        metadata=meta,
    )


def _looks_like_title(line: Line) -> bool:
    if line.heading is not None:
        return line.heading
    return len(line.text) <= 60 and not _SENTENCE_END.search(line.text)


def _is_title_repeat(line: str, title: str) -> bool:
    return len(line) % len(title) == 0 and line == title * (len(line) // len(title))


def _is_heading(text: str) -> bool:
    if len(text) > _MAX_HEADING_CHARS or _SENTENCE_END.search(text):
        return False
    return bool(_NUMBERED_HEADING.match(text) or _SUMMARY_HEADING.match(text))


def _is_question(text: str) -> bool:
    return len(text) <= 80 and text.rstrip().endswith(("?", "？", "吗", "呢"))
