"""Comparing Chinese text loosely: without punctuation or spaces, by character bigrams."""

from __future__ import annotations

import re
import unicodedata

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """Text without punctuation or spaces, half-width and lower-cased, for span containment."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text)).lower()


def bigrams(text: str) -> set[str]:
    """The character bigrams of the squashed text (a one-character text is its own bigram)."""
    s = squash(text)
    if len(s) < 2:
        return {s} if s else set()
    return {s[i : i + 2] for i in range(len(s) - 1)}


def bigram_recall(expected: str, answer: str) -> float:
    """Share of the expected text's character bigrams that the answer contains (0 when nothing is expected)."""
    want = bigrams(expected)
    return len(want & bigrams(answer)) / len(want) if want else 0.0
