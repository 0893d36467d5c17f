"""Extractive answers: the sentences of the best passages that answer the question, quoted exactly."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from math import fsum

from index.question_kind import INTERROGATIVE, QuestionKind, cue_strength, question_focus, question_kind
from index.searcher import Searcher
from index.text_match import bigrams, squash
from index.types import Answer, Citation, Hit, Quote, SearchResult
from ingest.chunking import sentence_spans

NOT_COVERED = "文章中没有找到相关内容。"

# An FAQ's answer opens with its label ("A1: 银行产品经理需要…", "答：…"): the reader asked for the answer, not the
# label, so a quote starts after it (still exact at its offsets).
_LABEL = re.compile(r"(?:[QqAa]\s*\d{0,3}|问|答|回答|问题)\s*[:：]\s*")


def answer_sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence of a passage as an answer quotes it: an FAQ label at its start left out."""
    spans = []
    for s, e in sentence_spans(text):
        label = _LABEL.match(text, s, e)
        spans.append((label.end() if label and label.end() < e else s, e))
    return spans


@dataclass(frozen=True)
class AnswerParams:
    """How the answer is chosen among the sentences of the best passages (docs/quality.md has the sweep).

    Each sentence scores by how much of the question it shares (character bigrams of the question's topic
    words, the sentence's section heading counting as part of it), by the cue words of the kind of
    answer asked for (a list, a reason, a way), and by the rank of its passage. The answer is the best
    sentence and the one after it in the same passage: in these articles a sentence that restates the
    topic ("…需要具备X能力") is most often followed by the one that defines or explains it ("X包括…");
    a third joins when it scores within `extend_within` of the best.

    Each topic bigram weighs its IDF over the index's passages (0–1) to the power `idf_exponent`: in a
    collection where every passage says 产品经理 and 银行, those bigrams say little about which sentence
    answers; the question's other words decide (docs/quality.md, fourth round). The bigrams of the word
    asked about (`question_focus`: 体长 in "前肛鳗的体长是多少?") weigh `focus_weight` times as much: the
    subject's name is in every sentence of its article, in words or in "本鱼", and the long name's many rare
    bigrams would otherwise pick the sentence that names it over the one that states the attribute.

    A topic word that a sentence lacks but its passage (or title) has counts `context` of its weight: an
    encyclopaedia-like passage names its subject once and then says "牠们"/"本鱼", so the sentence that
    answers is the one with the attribute asked for. When the best sentence of another passage scores
    within `second_within` of the best, it is quoted too, with its own citation: the retriever's first
    passage is not always the one that answers, and two cited quotes beat one wrong one. A passage of
    another article joins within `second_elsewhere`: it is a second source, and where several articles
    report one fact (news), the one the words favour is no more likely to hold it than the other. A
    negative margin quotes no second passage of that kind.
    """

    passages: int = 5
    overlap_weight: float = 1.0
    cue_weight: float = 0.15
    rank_prior: tuple[float, ...] = (1.0, 0.7, 0.5, 0.4, 0.3)
    rank_weight: float = 0.2
    sentences: int = 2
    extend_within: float = 0.1
    min_chars: int = 6
    context: float = 0.3
    second_within: float = 0.1
    second_elsewhere: float = 0.2
    idf_exponent: float = 0.5
    focus_weight: float = 2.5

    def __post_init__(self) -> None:
        if self.passages < 1 or self.sentences < 1:
            raise ValueError(f"passages and sentences must be ≥ 1, got {self.passages} and {self.sentences}")
        if self.idf_exponent < 0:
            raise ValueError(f"idf_exponent must be ≥ 0 (0: all topic bigrams weigh the same), got {self.idf_exponent}")
        if self.focus_weight < 0:
            raise ValueError(f"focus_weight must be ≥ 0 (1: the word asked about weighs as any other), "
                             f"got {self.focus_weight}")


@dataclass(frozen=True)
class _Sentence:
    hit: int
    start: int
    end: int
    score: float
    said: bool = False


def answer_question(searcher: Searcher, question: str, top_k: int = 5,
                    doc_ids: list[str] | None = None, params: AnswerParams | None = None) -> Answer:
    """Search, then quote the sentences that answer; `answerable` is False when nothing covers it."""
    started = time.perf_counter()
    result = searcher.search(question, top_k=top_k, doc_ids=doc_ids)
    return compose_answer(searcher, result, started, params=params)


def compose_answer(searcher: Searcher, result: SearchResult, started: float | None = None,
                   question: str | None = None, params: AnswerParams | None = None, said: str = "") -> Answer:
    """The extractive answer to `question` (default: the query searched) from a search's result.

    Callers that search differently (a follow-up searched with its conversation) hand their result here,
    with what the assistant `said` last: the answer does not quote its sentences again after a new one.
    Nothing is embedded: the answer costs a few milliseconds on top of the search."""
    started = time.perf_counter() if started is None else started
    asked = question or result.query
    if result.low_confidence or not result.hits:
        return Answer(asked, NOT_COVERED, False, [], result.hits, _ms(started), result.index_version)
    p = params or AnswerParams()
    weight = searcher.bigram_frequency().idf if p.idf_exponent else None
    focus = question_focus(asked, [w for w, _ in searcher.segmenter.tags(asked)]) if p.focus_weight != 1 else ""
    quotes = best_sentences(asked, result.hits, p, weight, said, focus)
    text = "".join(q.text for q in quotes)
    return Answer(asked, text, True, quotes, result.hits, _ms(started), result.index_version)


def best_sentences(question: str, hits: list[Hit], params: AnswerParams,
                   idf: Callable[[str], float] | None = None, said: str = "", focus: str = "") -> list[Quote]:
    """The best sentence of the first `params.passages` hits and the sentences after it, as quotes (and
    another passage's best sentence when it is nearly as good). `idf`: a bigram's 0–1 IDF over the index
    (without it every topic bigram weighs the same). `said`: text already told the reader (a conversation's
    last answer); its sentences never follow the best one in the window. `focus`: the word asked about
    (`question_focus`), whose bigrams weigh `params.focus_weight` times as much."""
    hits = hits[: params.passages]
    kind = question_kind(question)
    grams = bigrams(INTERROGATIVE.sub(" ", question)) or bigrams(question)
    focal = bigrams(focus) if focus else set()
    topic = {g: (idf(g) ** params.idf_exponent if idf else 1.0) * (params.focus_weight if g in focal else 1.0)
             for g in grams}
    told = squash(said)
    per_hit: list[list[_Sentence]] = []
    for h_i, hit in enumerate(hits):
        heading = bigrams(hit.citation.section)
        around = bigrams(hit.text) | heading | bigrams(hit.citation.title)
        prior = params.rank_prior[min(h_i, len(params.rank_prior) - 1)]
        scored = []
        for s, e in answer_sentences(hit.text):
            text = hit.text[s:e]
            if e - s < params.min_chars and len(hits) > 1:
                continue
            repeated = bool(told) and squash(text) in told
            scored.append(_Sentence(h_i, s, e, _score(text, heading, around, topic, kind, prior, params), repeated))
        per_hit.append(scored)
    candidates = [s for sentences in per_hit for s in sentences]
    if not candidates:
        return [_quote(hits[0], 0, len(hits[0].text))]
    best = max(candidates, key=lambda s: s.score)
    # After a sentence not said before, the ones said before are left out: the answer reads on. (When the
    # best one was said itself, the window stays whole and the caller sees everything was said.)
    run = per_hit[best.hit] if best.said else [s for s in per_hit[best.hit] if s is best or not s.said]
    i = run.index(best)
    # The best sentence and those after it; at a passage's end, the ones before it. One more joins when it
    # is nearly as relevant as the best: the answer runs on (a list continued, a reason after a claim).
    lo = max(0, min(i, len(run) - params.sentences))
    hi = lo + params.sentences
    if hi < len(run) and run[hi].score >= best.score - params.extend_within:
        hi += 1
    elif lo > 0 and run[lo - 1].score >= best.score - params.extend_within:
        lo -= 1
    quotes = [_quote(hits[best.hit], s.start, s.end) for s in run[lo:hi]]
    others = [s for s in candidates if s.hit != best.hit]
    if others:
        second = max(others, key=lambda s: s.score)
        margin = params.second_within if hits[second.hit].doc_id == hits[best.hit].doc_id else params.second_elsewhere
        if margin >= 0 and second.score >= best.score - margin:
            quotes.append(_quote(hits[second.hit], second.start, second.end))
    return quotes


def _score(text: str, heading: set[str], around: set[str], topic: dict[str, float], kind: QuestionKind,
           prior: float, params: AnswerParams) -> float:
    if text.rstrip().endswith(("?", "？")):
        return -1.0  # a question in the text (an FAQ's) is never its own answer
    own = topic.keys() & (bigrams(text) | heading)
    # fsum: a set's order changes with the process' hash seed, and a plain float sum with it; two sentences
    # that tie would then swap places from one restart to the next.
    found = fsum(topic[g] for g in own) + params.context * fsum(topic[g] for g in (topic.keys() & around) - own)
    total = fsum(topic.values())
    overlap = found / total if total > 0 else 0.0
    return params.overlap_weight * overlap + params.cue_weight * cue_strength(kind, text) + params.rank_weight * prior


def _quote(hit: Hit, start: int, end: int) -> Quote:
    c = hit.citation
    cite = Citation(c.doc_id, c.title, c.url, c.section, c.paragraph, c.char_start + start, c.char_start + end)
    return Quote(hit.text[start:end], cite, hit.passage_id)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
