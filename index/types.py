"""Values that cross index/'s files and its edges: stored passage rows, hits with citations, results, answers.

Their JSON form is written once, in service/models.py (built from these with `from_attributes`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PassageRow:
    """A passage as a backend stores it, with its article's title and URL for the citation."""

    row: int
    passage_id: str
    doc_id: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    text: str
    tokens: str
    title: str
    url: str


@dataclass(frozen=True)
class Citation:
    """Where a passage or quote comes from: `article_text[char_start:char_end]` is the cited text."""

    doc_id: str
    title: str
    url: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    page: int | None = None  # PDF articles: the page (1-based) the cited text starts on


@dataclass(frozen=True)
class Hit:
    """A retrieved passage; `highlights` are [start, end) offsets of query terms inside `text`."""

    passage_id: str
    doc_id: str
    score: float
    text: str
    citation: Citation
    highlights: list[tuple[int, int]] = field(default_factory=list)
    dense_score: float = 0.0
    keyword_score: float = 0.0
    latent_score: float | None = None  # None when the latent terms took no part in the ranking


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    low_confidence: bool
    took_ms: float
    index_version: str
    confidence: float = 0.0
    searched_query: str = ""  # what retrieval ran on ("" = the query as typed)
    followup: bool = False  # searched as a follow-up of the conversation


@dataclass(frozen=True)
class Quote:
    """An exact sentence from an article, with its citation offsets into the article text."""

    text: str
    citation: Citation
    passage_id: str


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answerable: bool
    quotes: list[Quote]
    hits: list[Hit]
    took_ms: float
    index_version: str
    searched_query: str = ""  # what retrieval ran on ("" = the question as typed)
    followup: bool = False  # searched as a follow-up of the conversation


@dataclass(frozen=True)
class DocumentPassage:
    """One passage of an article: `Document.text[char_start:char_end] == text`."""

    passage_id: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    text: str


@dataclass(frozen=True)
class DocumentSection:
    """A titled span `[start, end)` of the article text."""

    title: str
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Document:
    """An article as stored: metadata, the cleaned text every citation points into, sections and passages."""

    doc_id: str
    title: str
    url: str
    publisher: str
    published_at: str
    updated_at: str
    text: str
    sections: tuple[DocumentSection, ...]
    passages: tuple[DocumentPassage, ...]
    metadata: dict[str, str] = field(default_factory=dict)
