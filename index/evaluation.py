"""Retrieval evaluation on answer-span question files (BEIR-layout benchmarks: index/beir.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

from index.answer import AnswerParams, compose_answer
from index.searcher import Searcher, SearchParams
from index.text_match import bigram_recall, squash
from index.types import Answer


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    answers: tuple[str, ...]
    ood: bool


def load_questions(path: Path) -> list[Question]:
    """Read a question file (JSON lines: id, q, answers | ood); fail naming the bad line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(str(d.get("id", n)), str(d["q"]), tuple(d.get("answers", ())), bool(d.get("ood"))))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: expected a JSON object with 'q' and 'answers' or 'ood' ({exc})") from None
        if not out[-1].ood and not out[-1].answers:
            raise ValueError(f"{path}:{n}: question {out[-1].id} has neither answers nor ood=true")
    return out


ANSWER_HIT_RECALL = 0.6  # the expected span's character-bigram recall in the answer that counts as a hit

MissCause = Literal["not_covered", "outside_top5", "other_passage", "wrong_sentences"]
MISS_CAUSES: tuple[MissCause, ...] = get_args(MissCause)


def miss_cause(answer: Answer, expected: Sequence[str]) -> MissCause:
    """Why an answer missed, in the order a reader meets it: called "not covered"; no passage of the first five
    holds an `expected` answer (retrieval's miss; punctuation and spaces ignored, as `squash` does); the answer
    quotes none of the first passage that holds one; or it quotes that passage, but other sentences of it."""
    if not answer.answerable:
        return "not_covered"
    wanted = [w for w in (squash(e) for e in expected) if w]
    holding = next((h for h in answer.hits[:5] if any(w in squash(h.text) for w in wanted)), None)
    if holding is None:
        return "outside_top5"
    if all(q.passage_id != holding.passage_id for q in answer.quotes):
        return "other_passage"
    return "wrong_sentences"


def count_causes(causes: list[MissCause]) -> dict[str, int]:
    """How many misses each cause has, every cause listed (0 when none)."""
    return {c: causes.count(c) for c in MISS_CAUSES}


def evaluate_questions(searcher: Searcher, questions: list[Question], k: int = 10,
                       params: SearchParams | None = None, text_of: Callable[[str], str] | None = None,
                       answer_params: AnswerParams | None = None) -> dict[str, Any]:
    """hit@1, hit@5, MRR@k over answerable questions; precision/recall of low_confidence for ood ones;
    and the answer metrics of `/ask` on the same questions (see `answer_metrics`)."""
    hits1 = hits5 = 0
    rr = 0.0
    flagged_ood = flagged_answerable = 0
    per_question = []
    answerable = [q for q in questions if not q.ood]
    ood = [q for q in questions if q.ood]
    for q in questions:
        res = searcher.search(q.q, top_k=k, params=params)
        rank = 0
        if not q.ood:
            wanted = [squash(a) for a in q.answers]
            for i, h in enumerate(res.hits, 1):
                text = squash(h.text)
                if any(w in text for w in wanted):
                    rank = i
                    break
            hits1 += rank == 1
            hits5 += 0 < rank <= 5
            rr += 1.0 / rank if rank else 0.0
            flagged_answerable += res.low_confidence
        else:
            flagged_ood += res.low_confidence
        per_question.append({"id": q.id, "q": q.q, "ood": q.ood, "rank": rank,
                             "low_confidence": res.low_confidence, "confidence": round(res.confidence, 4)})
    n = max(len(answerable), 1)
    flagged = flagged_ood + flagged_answerable
    return {
        "questions": len(questions),
        "answerable": len(answerable),
        "ood": len(ood),
        "hit@1": round(hits1 / n, 4),
        "hit@5": round(hits5 / n, 4),
        f"mrr@{k}": round(rr / n, 4),
        "ood_recall": round(flagged_ood / len(ood), 4) if ood else None,
        "ood_precision": round(flagged_ood / flagged, 4) if flagged else None,
        "answerable_flagged": flagged_answerable,
        **answer_metrics(searcher, questions, params, text_of, answer_params),
        "per_question": per_question,
    }


def answer_metrics(searcher: Searcher, questions: list[Question], params: SearchParams | None = None,
                   text_of: Callable[[str], str] | None = None,
                   answer_params: AnswerParams | None = None) -> dict[str, Any]:
    """What `/ask` (top 5) answers: answer-hit (an expected span's character-bigram recall in the answer
    ≥ 0.6, punctuation and spaces removed) and answered rate over answerable questions, the share of
    off-topic questions answered "not covered", the share of quotes exact at their offsets (when
    `text_of` gives an article's text), the answer's median length in characters, and the misses by
    cause (`miss_cause`; a passage holds the answer when it contains an expected span)."""
    answerable = [q for q in questions if not q.ood]
    ood = [q for q in questions if q.ood]
    hit = answered = ood_refused = 0
    quotes = exact = 0
    lengths: list[int] = []
    misses: list[dict[str, Any]] = []
    causes: list[MissCause] = []
    for q in questions:
        answer = compose_answer(searcher, searcher.search(q.q, top_k=5, params=params), params=answer_params)
        if q.ood:
            ood_refused += not answer.answerable
            continue
        answered += answer.answerable
        recall = max(bigram_recall(a, answer.answer) for a in q.answers) if answer.answerable else 0.0
        hit += recall >= ANSWER_HIT_RECALL
        if answer.answerable:
            lengths.append(len(answer.answer))
        if recall < ANSWER_HIT_RECALL:
            causes.append(miss_cause(answer, q.answers))
            misses.append({"id": q.id, "q": q.q, "answer": answer.answer, "recall": round(recall, 3),
                           "cause": causes[-1]})
        if text_of is not None:
            for quote in answer.quotes:
                quotes += 1
                c = quote.citation
                exact += text_of(c.doc_id)[c.char_start : c.char_end] == quote.text
    n = max(len(answerable), 1)
    lengths.sort()
    return {
        "answer_hit": round(hit / n, 4),
        "answered": round(answered / n, 4),
        "ood_not_covered": round(ood_refused / len(ood), 4) if ood else None,
        "quotes_exact": round(exact / quotes, 4) if quotes else None,
        "answer_chars_median": lengths[len(lengths) // 2] if lengths else 0,
        "miss_causes": count_causes(causes),
        "answer_misses": misses,
    }


def candidate_question(feedback: dict[str, Any]) -> dict[str, Any]:
    """A feedback row as a question-file line: `answers` left empty for a person to fill in
    (or `ood: true` when the articles truly don't cover it)."""
    return {
        "id": f"fb{feedback['id']}",
        "q": feedback["question"],
        "answers": [],
        "helpful": feedback["helpful"],
        "comment": feedback["comment"],
        "given_answer": feedback["answer"],
        "passage_ids": feedback["passage_ids"],
        "index_version": feedback["index_version"],
        "created_at": feedback["created_at"],
    }


def compare_modes(run: Callable[[SearchParams], dict[str, Any]], base: SearchParams) -> dict[str, Any]:
    """The same evaluation for hybrid, keyword-only and dense-only, so the fusion's gain is visible."""
    return {
        "hybrid": run(base),
        "bm25": run(replace(base, mode="keyword")),
        "dense": run(replace(base, mode="dense")),
    }
