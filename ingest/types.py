"""Small typed values that cross module boundaries: articles, sections and passages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A titled span of the cleaned article text; `kind` is "intro", "body", "summary" or "faq"."""

    title: str
    start: int
    end: int
    kind: str = "body"


@dataclass(frozen=True)
class Article:
    """A cleaned article: `text` is what passages point into with their offsets."""

    doc_id: str
    title: str
    text: str
    sections: tuple[Section, ...]
    url: str = ""
    publisher: str = ""
    published_at: str = ""
    source: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of what gets indexed: the same hash means nothing to re-embed."""
        h = hashlib.sha256()
        for part in (self.title, self.url, self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        for s in self.sections:
            h.update(f"{s.title}|{s.start}|{s.end}|{s.kind}".encode())
        return h.hexdigest()


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: `text == article.text[char_start:char_end]`, inside one section."""

    passage_id: str
    doc_id: str
    ordinal: int
    section: str
    paragraph: int
    char_start: int
    char_end: int
    text: str

    @property
    def context(self) -> str:
        """The text that is embedded and keyword-indexed: the heading gives the passage its topic."""
        return passage_context(self.section, self.text)


def passage_context(section: str, text: str) -> str:
    """Heading + passage text; FAQ passages already open with their question, so it is not repeated."""
    if section and section not in text[: len(section) + 8]:
        return f"{section}\n{text}"
    return text
