"""Follow-up evaluation: conversations replayed with and without their history (answer-hit, hit@5)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.conversation import Rewrite, Turn
from index.engine import Engine
from index.evaluation import ANSWER_HIT_RECALL, squash
from index.text_match import bigram_recall
from index.types import Answer

KINDS = ("followup", "switch", "offtopic")


@dataclass(frozen=True)
class ConversationTurn:
    q: str
    kind: str  # "" for the opening question, else one of KINDS
    answers: tuple[str, ...]


@dataclass(frozen=True)
class ConversationCase:
    id: str
    split: str  # "dev" (rules were developed on it) or "held" (held back)
    turns: tuple[ConversationTurn, ...]


def load_conversations(path: Path) -> list[ConversationCase]:
    """Read a conversation file (JSON lines: id, split, turns: [{q, kind, answers}]); fail naming the bad line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            turns = tuple(ConversationTurn(str(t["q"]), str(t.get("kind", "")), tuple(t.get("answers", ())))
                          for t in d["turns"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: expected a JSON object with 'turns': [{{'q', 'kind', 'answers'}}] "
                             f"({exc})") from None
        if len(turns) < 2:
            raise ValueError(f"{path}:{n}: a conversation needs at least two turns")
        for i, t in enumerate(turns[1:], 1):
            if t.kind not in KINDS:
                raise ValueError(f"{path}:{n}: turn {i} has kind {t.kind!r}; use one of {', '.join(KINDS)}")
            if t.kind != "offtopic" and not t.answers:
                raise ValueError(f"{path}:{n}: turn {i} ({t.kind}) has no expected answers")
        out.append(ConversationCase(str(d.get("id", n)), str(d.get("split", "dev")), turns))
    return out


def answer_hit(answer: str, spans: Sequence[str], recall: float = ANSWER_HIT_RECALL) -> bool:
    """True when some expected span's character-bigram recall in the answer is at least `recall`
    (punctuation and spaces removed first, as `squash` does): the same measure as `articleqa eval`."""
    return any(bigram_recall(span, answer) >= recall for span in spans)


def hit_at(answer: Answer, spans: Sequence[str], k: int = 5) -> bool:
    wanted = [squash(a) for a in spans]
    return any(any(w in squash(h.text) for w in wanted) for h in answer.hits[:k])


def evaluate_conversations(engine: Engine, cases: Sequence[ConversationCase], rewrite: Rewrite | None = None,
                           top_k: int = 5) -> dict[str, Any]:
    """Replay each conversation (the system's own answers become the assistant turns) and score every later
    turn with its history and the same question without: follow-up answer-hit and hit@5, whether a topic
    switch keeps its stand-alone answer, and whether an off-topic follow-up is unanswerable; first turns with
    expected answers score as stand-alone questions. Summaries for all turns and for each split."""
    rows: list[dict[str, Any]] = []
    for case in cases:
        history: list[Turn] = []
        for i, turn in enumerate(case.turns):
            if i == 0:
                ans = engine.ask(turn.q, top_k=top_k)
                if turn.answers:
                    rows.append({"id": case.id, "turn": 0, "split": case.split, "kind": "first", "q": turn.q,
                                 "answerable": ans.answerable, "answer": ans.answer,
                                 "answer_hit": answer_hit(ans.answer, turn.answers), "hit5": hit_at(ans, turn.answers)})
                history += [Turn("user", turn.q), Turn("assistant", ans.answer)]
                continue
            with_h = engine.ask(turn.q, top_k=top_k, history=history, rewrite=rewrite)
            without = engine.ask(turn.q, top_k=top_k)
            row: dict[str, Any] = {
                "id": case.id, "turn": i, "split": case.split, "kind": turn.kind, "q": turn.q,
                "followup": with_h.followup, "searched_query": with_h.searched_query,
                "answerable": with_h.answerable, "answer": with_h.answer,
                "answerable_without": without.answerable, "answer_without": without.answer,
            }
            if turn.kind != "offtopic":
                row.update(answer_hit=answer_hit(with_h.answer, turn.answers),
                           answer_hit_without=answer_hit(without.answer, turn.answers),
                           hit5=hit_at(with_h, turn.answers), hit5_without=hit_at(without, turn.answers))
            if turn.kind == "switch":
                row["kept"] = (not with_h.followup and with_h.answer == without.answer
                               and [h.passage_id for h in with_h.hits] == [h.passage_id for h in without.hits])
            rows.append(row)
            history += [Turn("user", turn.q), Turn("assistant", with_h.answer)]
    splits = dict.fromkeys(c.split for c in cases)
    return {"all": _summary(rows), **{split: _summary([r for r in rows if r["split"] == split]) for split in splits},
            "per_turn": rows}


def _share(rows: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(bool(r[key]) for r in rows) / len(rows), 4) if rows else None


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    fu = [r for r in rows if r["kind"] == "followup"]
    sw = [r for r in rows if r["kind"] == "switch"]
    off = [r for r in rows if r["kind"] == "offtopic"]
    first = [r for r in rows if r["kind"] == "first"]
    return {
        "first_turns": len(first), "first_answer_hit": _share(first, "answer_hit"),
        "followups": len(fu),
        "answer_hit": _share(fu, "answer_hit"), "answer_hit_without_history": _share(fu, "answer_hit_without"),
        "hit@5": _share(fu, "hit5"), "hit@5_without_history": _share(fu, "hit5_without"),
        "recognised_as_followup": _share(fu, "followup"),
        "switches": len(sw), "switches_kept": sum(bool(r["kept"]) for r in sw),
        "switch_answer_hit": _share(sw, "answer_hit"),
        "offtopic": len(off), "offtopic_unanswerable": sum(not r["answerable"] for r in off),
    }
