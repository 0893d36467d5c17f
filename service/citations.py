"""Answers as chat text with `[n]` markers, and the numbered references those markers point at."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from index.types import Answer, Hit
from service.grounded import cited


def marked_pieces(answer: Answer) -> list[str]:
    """The extractive answer in pieces, each quote followed by its `[n]`; the fixed sentence when not covered."""
    if not answer.answerable or not answer.quotes:
        return [answer.answer]
    return [f"{q.text}[{n}]" for n, q in enumerate(answer.quotes, 1)]


def quote_references(answer: Answer) -> list[dict[str, Any]]:
    """What the `[n]` of `marked_pieces` refer to: n, the quote's citation, the exact quote and its passage."""
    if not answer.answerable:
        return []
    return [{"n": n, **asdict(q.citation), "quote": q.text, "passage_id": q.passage_id}
            for n, q in enumerate(answer.quotes, 1)]


def generated_references(text: str, hits: list[Hit]) -> list[dict[str, Any]]:
    """For generated text: the numbered passages it cites, each passage's text as the quote."""
    by_id = {h.passage_id: h for h in hits}
    return [{**source, "quote": by_id[source["passage_id"]].text} for source in cited(text, hits)]
