"""A calibrated 0–1 relevance for each hit: the search's "is this covered" confidence, scored on that passage."""

from __future__ import annotations

from index.searcher import Searcher
from index.types import SearchResult
from ingest.types import passage_context


def hit_relevance(searcher: Searcher, result: SearchResult) -> list[float]:
    """One score in [0, 1] per hit, in hit order.

    The same calibrated signal as `SearchResult.confidence` (docs/quality.md), computed as if the hit were
    the best passage: the share of the query's informative terms the passage (with its heading) contains,
    or — for a cross-lingual query — the dense cosine, each put through the thresholds chosen on the dev
    sets, so that 0.5 is the line between "covers the query" and "probably does not". The fusion score
    (a z-score sum, unbounded) only orders the hits; this says how relevant each one is."""
    if not result.hits:
        return []
    seg = searcher.segmenter
    terms = seg.tokenize(result.query)
    known = len(searcher.index.known(terms))
    topic = searcher.topic(result.query, terms)
    scores = []
    for hit in result.hits:
        context = passage_context(hit.citation.section, hit.text)
        score = searcher.passage_confidence(result.query, topic, set(seg.tokenize(context)), hit.dense_score, known,
                                            passage_text=context)
        scores.append(round(min(1.0, max(0.0, score)), 4))
    return scores
