"""A timing wrapper around the Segmenter, and per-sentence token caching for derived passages."""

from __future__ import annotations

import time
from collections.abc import Iterable

from ingest.segmenter import Segmenter


class TimedSegmenter:
    """Delegates to a Segmenter and adds up the seconds spent in `tokenize`."""

    def __init__(self, inner: Segmenter) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    @property
    def id(self) -> str:
        return self.inner.id

    @property
    def dictionary_hash(self) -> str:
        return self.inner.dictionary_hash

    def tokenize(self, text: str) -> list[str]:
        start = time.perf_counter()
        out = self.inner.tokenize(text)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return out

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        return self.inner.spans(text)

    def weight(self, term: str) -> float:
        return self.inner.weight(term)

    def tags(self, text: str) -> list[tuple[str, str]]:
        return self.inner.tags(text)

    def warm(self) -> None:
        warm = getattr(self.inner, "warm", None)
        if callable(warm):
            warm()

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]


class SentenceTokens:
    """Tokens of a passage as the concatenation of its sentences' tokens (each sentence cut once).

    Sentences end with punctuation, so jieba cuts at the same places as over the whole passage;
    used for corpora too large to segment passage by passage (derived tokens)."""

    def __init__(self, segmenter: Segmenter, sentences: list[str]) -> None:
        self.segmenter = segmenter
        self.sentences = sentences
        self._cache: dict[int, list[str]] = {}
        self._headings: dict[str, list[str]] = {}

    def sentence(self, sid: int) -> list[str]:
        toks = self._cache.get(sid)
        if toks is None:
            toks = self._cache[sid] = self.segmenter.tokenize(self.sentences[sid])
        return toks

    def heading(self, text: str) -> list[str]:
        toks = self._headings.get(text)
        if toks is None:
            toks = self._headings[text] = self.segmenter.tokenize(text)
        return toks

    def passage(self, heading: str, ids: tuple[int, ...]) -> list[str]:
        out = list(self.heading(heading)) if heading else []
        for sid in ids:
            out.extend(self.sentence(sid))
        return out
