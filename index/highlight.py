"""Offsets of query terms inside a passage, for highlighting."""

from __future__ import annotations

from collections.abc import Collection

from ingest.segmenter import Segmenter


def highlight_spans(text: str, query_terms: Collection[str], segmenter: Segmenter) -> list[tuple[int, int]]:
    """Merged [start, end) spans of `text` whose index terms are query terms."""
    if not query_terms:
        return []
    spans = sorted((s, e) for term, s, e in segmenter.spans(text) if term in query_terms)
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
