"""Grounded generation around the extractive core: numbered passages in, `[n]` markers mapped back out."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from index.answer import NOT_COVERED
from index.types import Hit

MAX_PASSAGES = 5
_MARKER = re.compile(r"\[(\d{1,2})\]")

SYSTEM_PROMPT = (
    "你是一个严谨的中文问答助手。只能根据用户提供的编号段落回答问题,不要使用段落以外的知识。"
    "每一句话后面用 [编号] 标注它依据的段落,例如 [1] 或 [2]。"
    f"如果段落中没有答案,只回答:{NOT_COVERED}"
)


def build_messages(question: str, hits: list[Hit]) -> list[dict[str, str]]:
    """The chat messages: the rules, then the numbered passages and the question."""
    blocks = []
    for n, hit in enumerate(hits[:MAX_PASSAGES], 1):
        c = hit.citation
        where = " › ".join(part for part in (c.title, c.section) if part)
        blocks.append(f"[{n}] ({where})\n{hit.text}")
    user = "段落:\n\n" + "\n\n".join(blocks) + f"\n\n问题:{question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def numbered_sources(hits: list[Hit]) -> list[dict[str, Any]]:
    """What each `[n]` refers to: n, passage_id and the passage's citation."""
    return [{"n": n, "passage_id": h.passage_id, **asdict(h.citation)}
            for n, h in enumerate(hits[:MAX_PASSAGES], 1)]


def cited(text: str, hits: list[Hit]) -> list[dict[str, Any]]:
    """The sources the generated text actually cites, in order of first mention; unknown numbers dropped."""
    sources = numbered_sources(hits)
    seen: list[int] = []
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= len(sources) and n not in seen:
            seen.append(n)
    return [sources[n - 1] for n in seen]


def says_not_covered(text: str) -> bool:
    return NOT_COVERED.rstrip("。") in text and not _MARKER.search(text)
