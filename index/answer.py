"""Extractive answers: the sentences of the best passages that answer the question, quoted exactly."""

from __future__ import annotations

import time

import numpy as np

from index.confidence import term_coverage
from index.searcher import Searcher
from index.types import Answer, Citation, Hit, Quote, SearchResult
from ingest.chunking import sentence_spans

NOT_COVERED = "文章中没有找到相关内容。"
_MAX_QUOTES = 2
_PASSAGES_FOR_ANSWER = 3


def answer_question(searcher: Searcher, question: str, top_k: int = 5,
                    doc_ids: list[str] | None = None) -> Answer:
    """Search, then quote the best one or two sentences; `answerable` is False when nothing covers it."""
    started = time.perf_counter()
    result = searcher.search(question, top_k=top_k, doc_ids=doc_ids)
    return compose_answer(searcher, result, started)


def compose_answer(searcher: Searcher, result: SearchResult, started: float | None = None,
                   question: str | None = None) -> Answer:
    """The extractive answer to `question` (default: the query searched) from a search's result.

    Callers that search differently (a follow-up searched with its conversation) hand their result here."""
    started = time.perf_counter() if started is None else started
    asked = question or result.query
    if result.low_confidence or not result.hits:
        return Answer(asked, NOT_COVERED, False, [], result.hits, _ms(started), result.index_version)
    quotes = best_sentences(searcher, asked, result.hits[:_PASSAGES_FOR_ANSWER])
    text = "".join(q.text for q in quotes)
    return Answer(asked, text, True, quotes, result.hits, _ms(started), result.index_version)


def best_sentences(searcher: Searcher, question: str, hits: list[Hit]) -> list[Quote]:
    """Score each sentence by meaning (embedding) and by the question's rare terms; keep the best,
    plus its neighbour in the same passage when that one scores nearly as well."""
    seg = searcher.segmenter
    q_terms = seg.tokenize(question)
    candidates: list[tuple[int, int, int]] = []  # (hit index, start, end) within hit.text
    for h_i, hit in enumerate(hits):
        for s, e in sentence_spans(hit.text):
            if e - s >= 6 or len(hits) == 1:
                candidates.append((h_i, s, e))
    if not candidates:
        candidates = [(0, 0, len(hits[0].text))]
    texts = [hits[h].text[s:e] for h, s, e in candidates]
    qvec = searcher.query_vector(question)
    dense = searcher.embedder.embed_passages(texts) @ qvec
    lexical = np.array([term_coverage(q_terms, set(seg.tokenize(t)), seg.weight) for t in texts])
    rank_prior = np.array([1.0 - 0.1 * h for h, _, _ in candidates])
    score = 0.5 * _scale(dense) + 0.35 * lexical + 0.15 * rank_prior
    best = int(np.argmax(score))
    chosen = [best]
    h_best = candidates[best][0]
    for j in (best + 1, best - 1):
        if 0 <= j < len(candidates) and candidates[j][0] == h_best and score[j] >= score[best] - 0.08:
            chosen.append(j)
            break
    chosen.sort()
    return [_quote(hits[candidates[j][0]], candidates[j][1], candidates[j][2]) for j in chosen[:_MAX_QUOTES]]


def _quote(hit: Hit, start: int, end: int) -> Quote:
    c = hit.citation
    cite = Citation(c.doc_id, c.title, c.url, c.section, c.paragraph, c.char_start + start, c.char_start + end)
    return Quote(hit.text[start:end], cite, hit.passage_id)


def _scale(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi - lo > 1e-9 else np.ones_like(x)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
