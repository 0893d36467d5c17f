"""Hybrid search over one loaded snapshot: dense + keyword candidates, fused, with citations."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import TypeVar

import numpy as np

from index.backend import SearchIndex
from index.background import background_similarity
from index.bigram_frequency import BigramFrequency
from index.confidence import ConfidenceParams, confidence, term_coverage
from index.errors import IndexUnusable
from index.fusion import FusionParams, fuse
from index.highlight import highlight_spans
from index.near_duplicates import PASSAGE_OVERLAP, overlap, trigrams
from index.question_kind import topic_terms
from index.types import Citation, Hit, PassageRow, SearchResult
from ingest.embedders import Embedder
from ingest.errors import ArticleqaError
from ingest.latent_terms import LatentTerms, LatentTermsEncoder
from ingest.segmenter import Segmenter

MAX_QUERY_CHARS = 500
_T = TypeVar("_T")
MAX_TOP_K = 50


@dataclass(frozen=True)
class Ranking:
    """Candidates best first with their fused, dense and keyword scores."""

    rows: np.ndarray
    fused: np.ndarray
    dense: np.ndarray
    keyword: np.ndarray
    dense_top: float
    terms: list[str]
    latent: np.ndarray | None = None  # the latent terms' scores, when they took part


class QueryError(ArticleqaError, ValueError):
    """A query the searcher refuses: empty, too long, or a bad top_k."""


@dataclass(frozen=True)
class SearchParams:
    fusion: FusionParams = field(default_factory=FusionParams)
    confidence: ConfidenceParams = field(default_factory=ConfidenceParams)
    candidates: int = 100  # per retriever, before fusion
    mode: str = "hybrid"  # or "dense" / "keyword" / "latent", for evaluation
    max_share_per_doc: float = 0.6  # of top_k, while other articles have candidates
    # The query is covered when one of the first few passages covers it: the fused ranking's first is
    # not always the one with the question's words (CMRC-600: 0.973 answered at 1 passage, 0.988 at 3,
    # with every off-topic and cross-corpus question still flagged; docs/quality.md).
    confidence_passages: int = 3


def validate_query(query: str, top_k: int) -> str:
    """Trimmed query, or QueryError naming what is wrong."""
    if not isinstance(query, str):
        raise QueryError(f"query must be a string, got {type(query).__name__}")
    q = query.strip()
    if not q:
        raise QueryError("query is empty: type a question or some keywords")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    if bad := next((ch for ch in q if "\ud800" <= ch <= "\udfff"), None):
        raise QueryError(f"query holds a lone surrogate (\\u{ord(bad):04x}), which is not Unicode text: send UTF-8")
    if not 1 <= top_k <= MAX_TOP_K:
        raise QueryError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
    return q


class Searcher:
    """Answers queries from one snapshot with the embedder and segmenter it was built with."""

    def __init__(self, index: SearchIndex, embedder: Embedder, segmenter: Segmenter,
                 params: SearchParams | None = None, cache_size: int = 1024,
                 latent: LatentTermsEncoder | None = None) -> None:
        """`latent` scores the candidates' latent terms as a third leg, when the index holds them (an
        index built without them, or before they were turned on, is searched with the other two)."""
        if index.size and index.manifest["embedder"]["id"] != embedder.id:
            raise IndexUnusable(
                f"index {index.version} was built with {index.manifest['embedder']['id']!r}, "
                f"the embedder given is {embedder.id!r}"
            )
        built_with = (index.manifest.get("latent") or {}).get("id")
        if latent is not None and built_with is not None and built_with != latent.id:
            raise IndexUnusable(f"index {index.version} was built with latent terms {built_with!r}, the encoder "
                                f"given is {latent.id!r}; rebuild the index (articleqa ingest --rebuild)")
        self.index = index
        self.embedder = embedder
        self.segmenter = segmenter
        self.params = params or SearchParams()
        self.latent = latent if latent is not None and built_with == latent.id else None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._latent_cache: OrderedDict[str, LatentTerms] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = Lock()
        self._background: float | None = None
        self._bigrams: BigramFrequency | None = None
        self._bigrams_lock = Lock()

    def query_vector(self, query: str) -> np.ndarray:
        """Query embedding, from an LRU cache when the same query repeats."""
        return self._cached(self._cache, query, self.embedder.embed_query)

    def query_latent(self, query: str) -> LatentTerms | None:
        """The query's latent terms (None without an encoder), from an LRU cache when the query repeats."""
        return self._cached(self._latent_cache, query, self.latent.encode_query) if self.latent else None

    def _cached(self, cache: OrderedDict[str, _T], query: str, encode: Callable[[str], _T]) -> _T:
        with self._cache_lock:
            value = cache.get(query)
            if value is not None:
                cache.move_to_end(query)
                return value
        value = encode(query)  # outside the lock: another query's encoding need not wait for this one
        with self._cache_lock:
            cache[query] = value
            if len(cache) > self._cache_size:
                cache.popitem(last=False)
        return value

    def clear_query_cache(self) -> None:
        """Forget the cached query vectors and latent terms (benchmarks time the query encoding this way)."""
        with self._cache_lock:
            self._cache.clear()
            self._latent_cache.clear()

    def rank(self, query: str, n: int, doc_ids: Sequence[str] | None = None,
             params: SearchParams | None = None) -> Ranking:
        """All candidates of both retrievers (at most n each), best first; no limit on n, no validation."""
        p = params or self.params
        terms = self.segmenter.tokenize(query)
        qvec = self.query_vector(query) if p.mode != "keyword" else None
        found = self.index.search_hybrid(qvec, terms if p.mode != "dense" else None, max(p.candidates, n),
                                         doc_ids or None)
        if len(found) == 0:
            return Ranking(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0), 0.0, terms)
        latent, share = self._latent_scores(query, terms, found.rows, p)
        if p.mode == "dense":
            fused = found.dense
        elif p.mode == "keyword":
            fused = found.keyword
        elif p.mode == "latent":
            fused = latent if latent is not None else np.zeros(len(found), np.float32)
        else:
            fused = fuse(found.dense, found.keyword, p.fusion, latent, share)
        order = np.argsort(-fused, kind="stable")
        top_dense = float(found.dense.max()) if qvec is not None else 0.0
        return Ranking(found.rows[order], fused[order], found.dense[order], found.keyword[order], top_dense, terms,
                       latent[order] if latent is not None else None)

    def unknown_share(self, terms: Sequence[str]) -> float:
        """The share of the query's terms that no passage holds (what opens the latent-terms leg)."""
        if not terms:
            return 0.0
        known = set(self.index.known(terms))
        return sum(t not in known for t in terms) / len(terms)

    def _latent_scores(self, query: str, terms: Sequence[str], rows: np.ndarray,
                       p: SearchParams) -> tuple[np.ndarray | None, float]:
        """The candidates' latent-terms scores and the share of their weight, when they take part: a third
        leg of the hybrid ranking (rescoring what the other two found), or the whole ranking in "latent"
        mode. A query whose every term some passage holds leaves them out (and is not encoded)."""
        if self.latent is None or p.mode not in ("hybrid", "latent"):
            return None, 0.0
        share = 1.0 if p.mode == "latent" else p.fusion.latent_share(self.unknown_share(terms))
        if (p.fusion.latent_weight <= 0 and p.mode == "hybrid") or share <= 0:
            return None, 0.0
        latent = self.query_latent(query)
        return (self.index.latent_scores(latent, rows) if latent is not None else None), share

    def search(self, query: str, top_k: int = 5, doc_ids: Sequence[str] | None = None,
               params: SearchParams | None = None) -> SearchResult:
        started = time.perf_counter()
        q = validate_query(query, top_k)
        p = params or self.params
        index = self.index
        ranking = self.rank(q, top_k, doc_ids, p)
        if len(ranking.rows) == 0:
            return SearchResult(q, [], True, _ms(started), index.version, 0.0)
        hits, tops = self.ranked_hits(ranking, top_k)
        conf = self.confidence(q, ranking, p, tops=tops)
        return SearchResult(q, hits, conf < 0.5, _ms(started), index.version, conf)

    def confidence(self, query: str, ranking: Ranking, params: SearchParams | None = None,
                   tops: Sequence[PassageRow] | None = None) -> float:
        """How sure we are that the best passages cover the query (< 0.5: probably not covered): the best
        confidence of the first `confidence_passages` passages, the first scored with the query's best
        cosine, each other with its own.

        `tops` are the ranking's first rows, in order, when the caller has read them already."""
        p = params or self.params
        if len(ranking.rows) == 0:
            return 0.0
        if tops is None:
            # The best rows that still exist: on a backend updated in place (Milvus) a row can vanish
            # between the search and this read when its article is being replaced.
            tops = self.index.rows([int(r) for r in ranking.rows[: p.confidence_passages + 4]])
        if not tops:
            return 0.0
        known = len(self.index.known(ranking.terms))
        position = {int(r): i for i, r in enumerate(ranking.rows[: len(tops) + 16])}
        topic = self.topic(query, ranking.terms)
        best = 0.0
        for i, row in enumerate(tops[: p.confidence_passages]):
            at = position.get(row.row)
            dense = ranking.dense_top if i == 0 or at is None else float(ranking.dense[at])
            best = max(best, self.passage_confidence(query, topic, set(row.tokens.split()), dense, known,
                                                     p, passage_text=row.text))
        return best

    def topic(self, query: str, terms: Sequence[str]) -> list[str]:
        """The query's terms that coverage looks for: wh-words and the answer type after one are left out."""
        spans = self.segmenter.spans(query)
        framing = {t for t, _, _ in spans} - set(topic_terms(spans, query))
        return [t for t in terms if t not in framing] or list(terms)

    def passage_confidence(self, query: str, topic: Sequence[str], passage_terms: set[str], dense: float,
                           known: int, params: SearchParams | None = None, passage_text: str = "") -> float:
        """The "covered" confidence of one passage for the query (its `topic` terms, its cosine with the
        query): what `confidence` computes on the best passage, and the relevance of any other hit."""
        cov = term_coverage(topic, passage_terms, self.segmenter.weight, passage_text)
        background = self.background() if dense > 0 else None
        return confidence(query, cov, dense, known, (params or self.params).confidence, background)

    def background(self) -> float:
        """The index's background cosine (index/background.py), computed once per loaded index."""
        if self._background is None:
            self._background = background_similarity(self.index, self.embedder)
        return self._background

    def bigram_frequency(self) -> BigramFrequency:
        """How many passages hold each character bigram, counted once per loaded index (a second or two at
        100k passages; the answer's sentence scoring weighs a question's words by it)."""
        with self._bigrams_lock:
            if self._bigrams is None:
                self._bigrams = BigramFrequency.count(self.index.passage_texts())
            return self._bigrams

    def ranked_hits(self, ranking: Ranking, top_k: int) -> tuple[list[Hit], list[PassageRow]]:
        """The top-k hits of a ranking built elsewhere (index/conversation.py fuses several legs),
        deduplicated and cited as `search` does them, and the ranking's first rows (for a confidence).

        One read of the rows near the top serves dedupe, the hits and the confidence."""
        window = [int(r) for r in ranking.rows[: max(top_k * 3, top_k + 10)]]
        rows = {r.row: r for r in self.index.rows(window)}
        picked = self._dedupe(rows, ranking.rows, top_k)
        qterm_set = set(ranking.terms)
        hits = [self._hit(rows[int(ranking.rows[i])], (float(ranking.fused[i]), float(ranking.dense[i]),
                                                       float(ranking.keyword[i])), qterm_set, _latent_at(ranking, i))
                for i in picked]
        return hits, [rows[r] for r in window if r in rows]

    def _dedupe(self, rows: dict[int, PassageRow], ranked: np.ndarray, top_k: int) -> list[int]:
        """Top-k positions in the ranking: a passage that repeats one already picked (the same or a
        near-identical text, e.g. from a reposted article) is skipped, and one article fills at
        most `max_per_doc` places while passages of other articles are in the running. `rows` are
        the passages near the top of the ranking (a row missing from them is passed over)."""
        window = range(min(len(ranked), max(top_k * 3, top_k + 10)))
        shingles: list[frozenset[str]] = []
        distinct: list[tuple[int, str]] = []
        for i in window:
            r = rows.get(int(ranked[i]))
            if r is None:
                continue
            grams = trigrams(r.text)
            if any(overlap(grams, g) >= PASSAGE_OVERLAP for g in shingles):
                continue
            shingles.append(grams)
            distinct.append((i, r.doc_id))
        cap = max(2, math.ceil(top_k * self.params.max_share_per_doc))
        picked: list[int] = []
        per_doc: dict[str, int] = {}
        for i, doc in distinct:
            if per_doc.get(doc, 0) < cap:
                picked.append(i)
                per_doc[doc] = per_doc.get(doc, 0) + 1
            if len(picked) == top_k:
                return sorted(picked)
        # Not enough other articles in the running: fill up in rank order.
        rest = [i for i, _ in distinct if i not in set(picked)]
        return sorted(picked + rest[: top_k - len(picked)])

    def _hit(self, row: PassageRow, scores: tuple[float, float, float], qterms: set[str],
             latent: float | None = None) -> Hit:
        fused, dense, kw = scores
        return Hit(
            passage_id=row.passage_id,
            doc_id=row.doc_id,
            score=round(fused, 6),
            text=row.text,
            citation=Citation(row.doc_id, row.title, row.url, row.section, row.paragraph, row.char_start,
                              row.char_end),
            highlights=highlight_spans(row.text, qterms, self.segmenter),
            dense_score=round(dense, 6),
            keyword_score=round(kw, 6),
            latent_score=round(latent, 6) if latent is not None else None,
        )


def _latent_at(ranking: Ranking, i: int) -> float | None:
    """The latent-terms score of the ranking's i-th candidate; None when the leg took no part or did not
    score it (a follow-up's fused legs: index/conversation.py)."""
    if ranking.latent is None or math.isnan(float(ranking.latent[i])):
        return None
    return float(ranking.latent[i])


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
