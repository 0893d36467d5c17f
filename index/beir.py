"""BEIR-layout benchmarks: load a folder, ingest its corpus through the engine, score retrieval and answers.

On the top floor, above the engine it ingests with (the gate, below the engine, only needs index/evaluation.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from index.answer import AnswerParams, compose_answer
from index.engine import Engine
from index.evaluation import MissCause, count_causes, miss_cause
from index.searcher import Searcher, SearchParams
from index.text_match import squash
from ingest.blocks import Block, build_article


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
    removed), the share whose top 5 passages do (the ceiling retrieval leaves), the share answered, and the
    misses by cause (`index.evaluation.miss_cause`)."""
    contains = ceiling = answered = n = 0
    lengths: list[int] = []
    causes: list[MissCause] = []
    for qid, gold in answers.items():
        if qid not in queries or not gold:
            continue
        n += 1
        result = searcher.search(queries[qid], top_k=5, params=params)
        answer = compose_answer(searcher, result, params=answer_params)
        wanted = [squash(g) for g in gold]
        answered += answer.answerable
        held = answer.answerable and any(w in squash(answer.answer) for w in wanted)
        if answer.answerable:
            lengths.append(len(answer.answer))
            contains += held
        ceiling += any(w in squash(h.text) for h in result.hits for w in wanted)
        if not held:
            causes.append(miss_cause(answer, gold))
    lengths.sort()
    m = max(n, 1)
    return {"answer_contains": round(contains / m, 4), "top5_contains": round(ceiling / m, 4),
            "of_ceiling": round(contains / ceiling, 4) if ceiling else None, "answered": round(answered / m, 4),
            "answer_chars_median": lengths[len(lengths) // 2] if lengths else 0, "answer_queries": n,
            "miss_causes": count_causes(causes)}


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
