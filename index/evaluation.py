"""Retrieval evaluation: answer-span question files and BEIR-layout benchmarks."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.answer import AnswerParams, compose_answer
from index.searcher import Searcher, SearchParams
from index.text_match import bigram_recall, squash
from ingest.blocks import Block, build_article

if TYPE_CHECKING:  # the engine imports the gate, which imports this module
    from index.engine import Engine

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
    `text_of` gives an article's text) and the answer's median length in characters."""
    answerable = [q for q in questions if not q.ood]
    ood = [q for q in questions if q.ood]
    hit = answered = ood_refused = 0
    quotes = exact = 0
    lengths: list[int] = []
    misses: list[dict[str, Any]] = []
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
            misses.append({"id": q.id, "q": q.q, "answer": answer.answer, "recall": round(recall, 3)})
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


# -- BEIR ---------------------------------------------------------------------------------------


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_beir(folder: Path) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, dict[str, int]]]:
    """corpus rows, queries {id: text}, qrels {query id: {doc id: relevance}} of a BEIR folder."""
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv"):
        if not (folder / name).exists():
            raise FileNotFoundError(f"{folder}: {name} is missing (expected a BEIR layout folder)")
    corpus = list(_jsonl(folder / "corpus.jsonl"))
    queries = {_row_id(d): str(d["text"]) for d in _jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[-1].strip().lstrip("-").isdigit():
            continue  # header or blank line
        qid, did, rel = parts[0], parts[-2], int(parts[-1])
        if rel > 0:
            qrels.setdefault(qid, {})[did] = rel
    return corpus, queries, qrels


def _row_id(d: dict[str, Any]) -> str:
    """BEIR rows name their id `_id`; some exports write `id`."""
    if "_id" in d:
        return str(d["_id"])
    if "id" in d:
        return str(d["id"])
    raise ValueError(f"BEIR row without an _id or id field: {str(d)[:80]}")


# Bumped whenever the articles built from BEIR rows change, so a cached index is not reused across it
# (2: rows without a title get no heading; before, their id was embedded as one).
BEIR_ARTICLES_VERSION = 2


def corpus_hash(folder: Path) -> str:
    """Cache key of a BEIR folder's index: its corpus file and how articles are built from it."""
    h = hashlib.sha256(f"beir-articles-v{BEIR_ARTICLES_VERSION}\n".encode())
    with open(folder / "corpus.jsonl", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def ingest_beir_corpus(engine: Engine, corpus: list[dict[str, Any]],
                       progress: Callable[[str, int, int], None] | None = None) -> None:
    """Each corpus row becomes an article (doc_id = its _id); rows already stored are skipped."""
    stored = {a.doc_id for a in engine.store.list_articles()}
    todo = [d for d in corpus if _row_id(d) not in stored]
    articles = []
    for d in todo:
        article = build_article(_row_id(d), str(d.get("title") or ""), [Block(str(d["text"]))], source="beir")
        if article.text:
            articles.append(article)
    # Commit in slices so an interrupted run resumes where it stopped.
    for i in range(0, len(articles), 512):
        engine.indexer.add_articles(articles[i : i + 512], origin="beir", publish=False)
        if progress:
            progress("embed corpus", min(i + 512, len(articles)), len(articles))
    if todo or not engine.ready():
        engine.indexer.publish()


def load_beir_answers(folder: Path) -> dict[str, list[str]] | None:
    """{query id: gold answer strings} from a BEIR folder's answers.jsonl, or None when it has none."""
    path = folder / "answers.jsonl"
    if not path.exists():
        return None
    out: dict[str, list[str]] = {}
    for n, d in enumerate(_jsonl(path), 1):
        answers = d.get("answers")
        if not isinstance(answers, list) or "id" not in d:
            raise ValueError(f"{path}:{n}: expected {{\"id\": ..., \"answers\": [str, ...]}}")
        out[str(d["id"])] = [str(a) for a in answers if str(a).strip()]
    return out


def evaluate_beir_answers(searcher: Searcher, queries: dict[str, str], answers: dict[str, list[str]],
                          params: SearchParams | None = None,
                          answer_params: AnswerParams | None = None) -> dict[str, Any]:
    """The share of questions whose `/ask` answer contains a gold answer string (punctuation and spaces
    removed), the share whose top 5 passages do (the ceiling retrieval leaves), and the share answered."""
    contains = ceiling = answered = n = 0
    lengths: list[int] = []
    for qid, gold in answers.items():
        if qid not in queries or not gold:
            continue
        n += 1
        result = searcher.search(queries[qid], top_k=5, params=params)
        answer = compose_answer(searcher, result, params=answer_params)
        wanted = [squash(g) for g in gold]
        answered += answer.answerable
        if answer.answerable:
            lengths.append(len(answer.answer))
            contains += any(w in squash(answer.answer) for w in wanted)
        ceiling += any(w in squash(h.text) for h in result.hits for w in wanted)
    lengths.sort()
    m = max(n, 1)
    return {"answer_contains": round(contains / m, 4), "top5_contains": round(ceiling / m, 4),
            "of_ceiling": round(contains / ceiling, 4) if ceiling else None, "answered": round(answered / m, 4),
            "answer_chars_median": lengths[len(lengths) // 2] if lengths else 0, "answer_queries": n}


def _dcg(rels: list[int]) -> float:
    return sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(rels))


def evaluate_beir(searcher: Searcher, queries: dict[str, str], qrels: dict[str, dict[str, int]],
                  params: SearchParams | None = None, depth: int = 100) -> dict[str, float]:
    """nDCG@10, Recall@10, Recall@100 and MRR@10, ranking documents by their best passage."""
    ndcg = r10 = r100 = mrr = 0.0
    n = flagged = 0
    index = searcher.index
    for qid, rel in qrels.items():
        if qid not in queries:
            continue
        n += 1
        ranking = searcher.rank(queries[qid], depth, params=params)
        flagged += searcher.confidence(queries[qid], ranking, params) < 0.5
        docs: list[str] = []
        seen: set[str] = set()
        for d in index.docs_of_rows(ranking.rows):
            if d not in seen:
                seen.add(d)
                docs.append(d)
            if len(docs) >= depth:
                break
        gains = [rel.get(d, 0) for d in docs[:10]]
        ideal = sorted(rel.values(), reverse=True)[:10]
        ndcg += _dcg(gains) / _dcg(ideal) if ideal else 0.0
        r10 += len(set(docs[:10]) & set(rel)) / len(rel)
        r100 += len(set(docs[:100]) & set(rel)) / len(rel)
        mrr += next((1.0 / (i + 1) for i, d in enumerate(docs[:10]) if d in rel), 0.0)
    n = max(n, 1)
    return {"ndcg@10": round(ndcg / n, 4), "recall@10": round(r10 / n, 4), "recall@100": round(r100 / n, 4),
            "mrr@10": round(mrr / n, 4), "queries": n, "low_confidence_rate": round(flagged / n, 4)}


def compare_modes(run: Callable[[SearchParams], dict[str, Any]], base: SearchParams) -> dict[str, Any]:
    """The same evaluation for hybrid, keyword-only and dense-only, so the fusion's gain is visible."""
    return {
        "hybrid": run(base),
        "bm25": run(replace(base, mode="keyword")),
        "dense": run(replace(base, mode="dense")),
    }
