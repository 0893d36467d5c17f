"""Sentence vectors as the dense leg, measured offline on an existing index (docs/quality.md, ninth round):

    python -m bench.sentence_leg --questions /tmp/seed:eval/paraphrases.jsonl \
        --beir INDEXED_DIR:../shared/eval/cmrc2018_dev_trial --weights 0,0.5,1 --depth 30

For each query, every sentence of its first `--depth` fused candidates is embedded (passage prefix, once
per passage for the whole run), and a candidate's sentence score is its best sentence's cosine with the
query. The dense leg becomes (1 − w) × the passage's cosine + w × that score, the legs are fused again as
the searcher fuses them, and the candidates are re-ranked; w = 0 is today's ranking. The answer is composed
from the re-ranked hits (`compose_answer`; the "not covered" verdict scored on them as `search` does).

Question files: hit@1, hit@5, MRR@10 and answer-hit, the first three also for the dense leg alone. BEIR
folders (their index built by `articleqa eval --beir`): nDCG@10 of documents ranked by their best passage,
the share of answers holding a gold answer and the share of top-5 passages holding one (the ceiling), for
the first `--beir-limit` queries in id-hash order. Nothing is written to the index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality_sets import engine_for, ndcg_at_10
from index.answer import compose_answer
from index.beir import load_beir, load_beir_answers
from index.engine import Engine
from index.evaluation import ANSWER_HIT_RECALL, load_questions
from index.fusion import fuse
from index.searcher import Ranking, Searcher
from index.text_match import bigram_recall, squash
from index.types import SearchResult
from ingest.chunking import sentence_spans


class SentenceVectors:
    """The sentences' vectors of the passages asked for, embedded on first use and kept for the run (and
    across runs with `save`/`load`: a file of one index version and embedder, refused for any other)."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.vectors: dict[int, np.ndarray] = {}
        self.embedded = 0

    def best(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Each row's best sentence cosine with the query vector."""
        todo = [int(r) for r in rows if int(r) not in self.vectors]
        if todo:
            passages = self.searcher.index.rows(todo)
            texts, owner = [], []
            for p in passages:
                for s, e in sentence_spans(p.text):
                    texts.append(p.text[s:e])
                    owner.append(p.row)
            vecs = self.searcher.embedder.embed_passages(texts) if texts else np.zeros((0, 1), np.float32)
            self.embedded += len(texts)
            of = np.array(owner, np.int64)
            for r in todo:
                self.vectors[r] = vecs[of == r]
        return np.array([float((self.vectors[int(r)] @ query).max()) if len(self.vectors[int(r)]) else -1.0
                         for r in rows])

    def _built_from(self) -> dict[str, str]:
        return {"index_version": self.searcher.index.version, "embedder": self.searcher.embedder.id}

    def save(self, path: Path) -> None:
        rows = sorted(self.vectors)
        owner = np.concatenate([np.full(len(self.vectors[r]), r, np.int64) for r in rows]) if rows else np.zeros(0)
        vectors = np.concatenate([self.vectors[r] for r in rows]) if rows else np.zeros((0, 1), np.float32)
        np.savez(path, owner=owner, vectors=vectors, rows=np.array(rows, np.int64),
                 built_from=json.dumps(self._built_from(), ensure_ascii=False))

    def load(self, path: Path) -> None:
        with np.load(path) as data:
            built_from = json.loads(str(data["built_from"]))
            if built_from != self._built_from():
                raise SystemExit(f"{path} holds the sentence vectors of {built_from}, not of {self._built_from()}")
            owner, vectors = data["owner"], data["vectors"]
            for r in data["rows"]:
                self.vectors[int(r)] = vectors[owner == r]


def rerank(searcher: Searcher, sentences: SentenceVectors, query: str, weight: float, depth: int,
           dense_only: bool = False) -> Ranking:
    """The searcher's ranking with its first `depth` candidates re-fused on the sentence-aware dense leg."""
    ranking = searcher.rank(query, 100)
    if len(ranking.rows) == 0 or (weight == 0 and not dense_only):
        return ranking
    head = slice(0, min(depth, len(ranking.rows)))
    rows = ranking.rows[head]
    dense = (1 - weight) * ranking.dense[head] + weight * sentences.best(rows, searcher.query_vector(query))
    if dense_only:
        fused = dense
    else:
        fusion = searcher.params.fusion
        latent = ranking.latent[head] if ranking.latent is not None else None
        fused = fuse(dense, ranking.keyword[head], fusion, latent,
                     fusion.latent_share(searcher.unknown_share(ranking.terms)))
    order = np.argsort(-fused, kind="stable")
    # The candidates past `depth` keep their order below the re-ranked ones.
    below = np.full(len(ranking.rows) - len(rows), float(fused.min()) - 1.0)
    return Ranking(np.concatenate([rows[order], ranking.rows[len(rows):]]), np.concatenate([fused[order], below]),
                   np.concatenate([ranking.dense[head][order], ranking.dense[len(rows):]]),
                   np.concatenate([ranking.keyword[head][order], ranking.keyword[len(rows):]]),
                   ranking.dense_top, ranking.terms,
                   np.concatenate([ranking.latent[head][order], ranking.latent[len(rows):]])
                   if ranking.latent is not None else None)


def _answer(searcher: Searcher, query: str, ranking: Ranking) -> tuple[str, list[str]]:
    """The answer ("" when not covered) and the texts of the five passages it was chosen from."""
    hits, tops = searcher.ranked_hits(ranking, 5)
    conf = searcher.confidence(query, ranking, tops=tops)
    result = SearchResult(query, hits, conf < 0.5, 0.0, searcher.index.version, conf)
    answer = compose_answer(searcher, result)
    return (answer.answer if answer.answerable else ""), [h.text for h in hits]


def question_set(searcher: Searcher, sentences: SentenceVectors, path: Path, weight: float,
                 depth: int) -> dict[str, Any]:
    qs = [q for q in load_questions(path) if not q.ood]
    out: dict[str, Any] = {}
    for mode in ("hybrid", "dense"):
        h1 = h5 = answered = 0
        rr = 0.0
        for q in qs:
            ranking = rerank(searcher, sentences, q.q, weight, depth, dense_only=mode == "dense")
            hits, _ = searcher.ranked_hits(ranking, 10)
            wanted = [squash(a) for a in q.answers]
            rank = next((i for i, h in enumerate(hits, 1) if any(w in squash(h.text) for w in wanted)), 0)
            h1 += rank == 1
            h5 += 0 < rank <= 5
            rr += 1.0 / rank if rank else 0.0
            if mode == "hybrid":
                text, _ = _answer(searcher, q.q, ranking)
                answered += max(bigram_recall(a, text) for a in q.answers) >= ANSWER_HIT_RECALL if text else 0
        n = max(len(qs), 1)
        out[mode] = {"hit@1": round(h1 / n, 4), "hit@5": round(h5 / n, 4), "mrr@10": round(rr / n, 4)}
        if mode == "hybrid":
            out[mode]["answer_hit"] = round(answered / n, 4)
    return out


def beir_set(searcher: Searcher, sentences: SentenceVectors, folder: Path, weight: float, depth: int,
             limit: int) -> dict[str, Any]:
    _, queries, qrels = load_beir(folder)
    gold = load_beir_answers(folder) or {}
    ids = sorted((q for q in qrels if q in queries), key=lambda q: hashlib.sha256(q.encode()).hexdigest())
    ids = ids[:limit] if limit else ids
    out: dict[str, Any] = {}
    for mode in ("hybrid", "dense"):
        ndcg = 0.0
        contains = ceiling = 0
        for qid in ids:
            rel = qrels[qid]
            ranking = rerank(searcher, sentences, queries[qid], weight, depth, dense_only=mode == "dense")
            ndcg += ndcg_at_10(searcher, ranking.rows, rel)
            if mode == "hybrid" and gold.get(qid):
                answer, passages = _answer(searcher, queries[qid], ranking)
                text, wanted = squash(answer), [squash(g) for g in gold[qid]]
                contains += bool(text) and any(w in text for w in wanted)
                ceiling += any(w in squash(p) for p in passages for w in wanted)
        n = max(len(ids), 1)
        out[mode] = {"ndcg@10": round(ndcg / n, 4)}
        if mode == "hybrid" and gold:
            out[mode].update(answer_contains=round(contains / n, 4), top5_contains=round(ceiling / n, 4),
                             of_ceiling=round(contains / ceiling, 4) if ceiling else None)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", action="append", default=[], help="DATA_DIR:QUESTION_FILE")
    ap.add_argument("--beir", action="append", default=[], help="INDEXED_DATA_DIR:BEIR_FOLDER")
    ap.add_argument("--weights", default="0,0.5,1", help="sentence weights w within the dense leg")
    ap.add_argument("--depth", type=int, default=30, help="candidates re-ranked per query")
    ap.add_argument("--beir-limit", type=int, default=600, help="queries per BEIR set (0: all)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="folder keeping each data folder's sentence vectors between runs (<folder name>.npz)")
    args = ap.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    engines: dict[str, tuple[Engine, SentenceVectors]] = {}
    for spec, kind in [(s, "q") for s in args.questions] + [(s, "b") for s in args.beir]:
        data_dir, path = spec.split(":", 1)
        if data_dir not in engines:
            engine = engine_for(data_dir)
            engines[data_dir] = (engine, SentenceVectors(engine.searcher()))
            cached = args.cache / f"{Path(data_dir).name}.npz" if args.cache else None
            if cached is not None and cached.exists():
                engines[data_dir][1].load(cached)
        engine, sentences = engines[data_dir]
        for w in weights:
            if kind == "q":
                row = question_set(engine.searcher(), sentences, Path(path), w, args.depth)
            else:
                row = beir_set(engine.searcher(), sentences, Path(path), w, args.depth, args.beir_limit)
            print(json.dumps({"set": Path(path).name, "weight": w, **row, "sentences_embedded": sentences.embedded},
                             ensure_ascii=False), flush=True)
    for data_dir, (engine, sentences) in engines.items():
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
            sentences.save(args.cache / f"{Path(data_dir).name}.npz")
        engine.close()


if __name__ == "__main__":
    main()
