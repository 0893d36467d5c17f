"""Follow-up questions: recognised by rule (no model), searched in the context of the earlier user turns."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.answer import AnswerParams, answer_sentences, compose_answer
from index.catalog import PassageSpan
from index.searcher import QueryError, Ranking, Searcher, SearchParams, validate_query
from index.text_match import squash
from index.types import Answer, Citation, Hit, PassageRow, SearchResult

ROLES = ("user", "assistant")
MAX_TURNS = 20
MAX_TURN_CHARS = 4000
CONTEXT_TURNS = 3  # earlier user questions a chain of follow-ups may lean on
LITERAL_WEIGHT = 0.35  # the follow-up as typed, against the question read in its context
ANSWER_PASSAGES_FOLLOWUP = 1  # passages a follow-up's answer quotes from
MIN_REST_CHARS = 10  # what is left of a passage once the sentences already said are taken out
SHORT_CHARS = 4  # a question of at most this many characters (punctuation left out) leans on the last one
UBIQUITOUS_SHARE = 0.5  # a title term in more passages than this names no subject (产品 in a corpus of PMs)
# Parts of speech (jieba's tags, by prefix) of words that name a thing, a person, a place or a time.
NAMING_TAGS = ("n", "t", "vn", "eng")

# Words that point back at something said before.
_REFERENCE = re.compile(
    r"它们|它|他们|这个|这些|这种|这样|这项|这点|这一|这方面|那个|那些|那种|那样|那方面|其中|上述|以上|上面|前者|后者"
    r"|(?<![应活本])该(?!怎)|(?<![尤与极])其(?![他它次实余])|(?<![因如彼从由])此(?!外)"
)
# Openers that continue the conversation.
_OPENER = re.compile(r"^(那么|那|还有|另外|此外|然后|除了|除此之外|至于|再|而|并且|以及|如果|要是)")
_TRAILING_NE = re.compile(r"呢\W*$")
_PUNCT = re.compile(r"[\s\W_]+")

# Words that ask about an aspect of what was named before rather than name a new subject; an unknown
# word among them does not make a follow-up off-topic ("能举个例子吗?", "要了解到什么程度?").
_FRAME = (
    "举个 例子 举例 比如 比如说 好处 坏处 作用 用处 意义 原因 理由 目的 办法 方法 做法 步骤 程度 要求 区别 重要性 难点"
    " 重点 关键 注意 注意事项 时候 平时 平常 日常 以后 之后 之前 别的 其他 其它 还有 另外 那么 然后 其中 上述 以上"
    " 内容 方面 情况 体现 表现 怎么办 干什么 做些 学些 要学些 打交道 交道 哪几块 几块 几点 哪几点 多少 具体 详细"
    " 展开 介绍 说说 讲讲 一点 部分 细节 呢 吗 吧"
)
FRAME_WORDS = frozenset(_FRAME.split())


class HistoryError(QueryError):
    """A conversation history the core refuses; the message names the limit."""


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, oldest first."""

    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Reading:
    """How a question is searched: as typed, or as a follow-up of the earlier user questions in `context`."""

    question: str
    followup: bool
    context: tuple[str, ...]  # earlier user questions it continues, oldest first (empty: stand-alone)
    searched_query: str  # what retrieval ran on: the question, or the question read in its context
    reason: str  # why it is taken as a follow-up (empty when it is not)
    previous_answer: str = ""  # the assistant's last message, which a follow-up's answer should not repeat


Rewrite = Callable[[Sequence[Turn], str], str]
"""Turns a follow-up and its history into a stand-alone question (an LLM); raises on any failure."""


def check_history(history: Sequence[Turn]) -> tuple[Turn, ...]:
    """The history as given, or HistoryError naming what is wrong."""
    if len(history) > MAX_TURNS:
        raise HistoryError(f"history has {len(history)} messages; the limit is {MAX_TURNS}")
    for i, t in enumerate(history):
        if t.role not in ROLES:
            raise HistoryError(f"history[{i}].role is {t.role!r}; use one of {', '.join(ROLES)}")
        if not t.content.strip():
            raise HistoryError(f"history[{i}].content is empty")
        if len(t.content) > MAX_TURN_CHARS:
            raise HistoryError(f"history[{i}].content is {len(t.content)} characters long; "
                               f"the limit is {MAX_TURN_CHARS}")
    return tuple(history)


class Conversation:
    """Reads questions in the context of a history and searches them, over one searcher."""

    def __init__(self, searcher: Searcher, df_share: Callable[[Sequence[str]], dict[str, float]],
                 params: SearchParams | None = None,
                 passages_of: Callable[[str], Sequence[PassageSpan]] | None = None) -> None:
        self.searcher = searcher
        self.df_share = df_share  # term → share of passages containing it
        self.params = params
        self.passages_of = passages_of  # doc_id → its stored passages in text order (None: no reading on)

    def following(self, hit: Hit) -> Hit | None:
        """The passage after `hit` in the same section of its article, cited as exactly; None at the section's
        end, without `passages_of`, or when the stored article no longer holds `hit` as it was found."""
        if self.passages_of is None:
            return None
        spans = list(self.passages_of(hit.doc_id))
        at = next((i for i, p in enumerate(spans) if p[0] == hit.passage_id and p[5] == hit.text), None)
        if at is None or at + 1 >= len(spans) or spans[at + 1][1] != hit.citation.section:
            return None
        passage_id, section, paragraph, start, end, text = spans[at + 1]
        c = hit.citation
        cite = Citation(c.doc_id, c.title, c.url, section, paragraph, start, end)
        return Hit(passage_id, hit.doc_id, 0.0, text, cite)

    # -- recognising a follow-up ----------------------------------------------------------------

    def followup_reason(self, question: str, earlier: Sequence[str], subjects: set[str]) -> str:
        """Why `question` leans on the `earlier` user questions ('' when it stands on its own)."""
        if not earlier:
            return ""
        if m := _REFERENCE.search(question):
            return f"refers back ({m.group(0)})"
        if _TRAILING_NE.search(question):
            return "ends in 呢"
        if len(_PUNCT.sub("", question)) <= SHORT_CHARS:
            return "too short to stand alone"
        if not subjects:
            content = self.own_terms(question)
            if not content or not self.searcher.index.known(content):
                return "no term the articles know"
            return "names no subject of the articles"
        return ""

    def own_terms(self, question: str) -> list[str]:
        """The question's index terms that say what it asks about (not the words that point back)."""
        return [t for t in dict.fromkeys(self.searcher.segmenter.tokenize(question))
                if t not in FRAME_WORDS and not _REFERENCE.fullmatch(t) and not _OPENER.fullmatch(t)]

    def naming_terms(self, question: str) -> set[str]:
        """The question's index terms inside a word tagged as naming something (NAMING_TAGS). Inside, not
        overlapping: a search-mode term across two words ("光有" over 光/n + 有/v, "时要") names nothing."""
        seg = self.searcher.segmenter
        named: list[tuple[int, int]] = []
        at = 0
        for word, tag in seg.tags(question):
            if tag.startswith(NAMING_TAGS):
                named.append((at, at + len(word)))
            at += len(word)
        return {t for t, start, end in seg.spans(question) if any(a <= start and end <= b for a, b in named)}

    def subjects_named(self, question: str, literal: Ranking) -> set[str]:
        """Terms of the titles of the articles the question finds on its own that the question names;
        terms in most passages (产品 over articles about product managers) name no subject."""
        rows = [int(r) for r in literal.rows[:5]]
        titles = {r.title for r in self.searcher.index.rows(rows)}
        seg = self.searcher.segmenter
        title_terms = {t for title in titles for t in seg.tokenize(title) if len(t) >= 2}
        named = set(seg.tokenize(question)) & title_terms
        if not named:
            return set()
        shares = self.df_share(sorted(named))
        return {t for t in named if shares.get(t, 0.0) <= UBIQUITOUS_SHARE}

    def read(self, question: str, history: Sequence[Turn], literal: Ranking | None = None) -> Reading:
        """Stand-alone, or a follow-up with the earlier user questions it continues."""
        q = question.strip()
        users = [t.content.strip() for t in history if t.role == "user"]
        if not users:
            return Reading(q, False, (), q, "")
        literal = literal if literal is not None else self.searcher.rank(q, 10, params=self.params)
        reason = self.followup_reason(q, users[-1:], self.subjects_named(q, literal))
        if not reason:
            return Reading(q, False, (), q, "")
        context = self._chain(users)
        previous = history[-1].content if history and history[-1].role == "assistant" else ""
        return Reading(q, True, tuple(context), _join([*context, q]), reason, previous)

    def _chain(self, users: list[str]) -> list[str]:
        """The last user question, and the ones before it while each was itself a follow-up."""
        chain = [users[-1]]
        i = len(users) - 1
        while i > 0 and len(chain) < CONTEXT_TURNS:
            lit = self.searcher.rank(users[i], 10, params=self.params)
            if not self.followup_reason(users[i], users[i - 1 : i], self.subjects_named(users[i], lit)):
                break
            i -= 1
            chain.insert(0, users[i])
        return chain

    # -- searching ------------------------------------------------------------------------------

    def search(self, question: str, history: Sequence[Turn], top_k: int = 5, doc_ids: Sequence[str] | None = None,
               rewrite: Rewrite | None = None) -> tuple[SearchResult, Reading]:
        """The question searched as typed, or as a follow-up: the literal question and the question read in
        its context (the earlier user questions + the follow-up, or the model's rewrite) as two legs, fused."""
        started = time.perf_counter()
        q = validate_query(question, top_k)
        history = check_history(history)
        s = self.searcher
        n = max(top_k, 10)
        literal = s.rank(q, n, doc_ids, self.params)
        reading = self.read(q, history, literal)
        if not reading.followup:
            return replace(s.search(q, top_k=top_k, doc_ids=doc_ids, params=self.params),
                           searched_query=q, followup=False), reading
        if rewrite is not None:
            try:
                rewritten = validate_query(rewrite(history, q), top_k)
                reading = replace(reading, searched_query=rewritten, reason=reading.reason + "; rewritten by the model")
            except Exception as exc:  # any model failure falls back to the rule
                reading = replace(reading, reason=f"{reading.reason}; the model failed ({type(exc).__name__}), "
                                                  "read by the rule")
        context = s.rank(reading.searched_query, n, doc_ids, self.params)
        fused = fuse_legs([(literal, LITERAL_WEIGHT), (context, 1.0 - LITERAL_WEIGHT)])
        if len(fused.rows) == 0:
            return (SearchResult(q, [], True, _ms(started), s.index.version, 0.0, reading.searched_query, True),
                    reading)
        hits, tops = s.ranked_hits(fused, top_k)
        # A follow-up is judged on the passage its context ranked first: its own few words turn up in one of
        # the next passages too easily (eval/conversations.jsonl: 3 of 10 off-topic follow-ups answered).
        conf = self.confidence(q, reading.searched_query, literal, context, fused, tops[:1])
        return (SearchResult(q, hits, conf < 0.5, _ms(started), s.index.version, conf, reading.searched_query, True),
                reading)

    def confidence(self, question: str, searched: str, literal: Ranking, context: Ranking, fused: Ranking,
                   tops: Sequence[PassageRow]) -> float:
        """The follow-up's own terms must be covered by one of the best passages, unless every informative word it
        brings is one the articles know: then the question read in its context may vouch for it."""
        s = self.searcher
        own = self.own_terms(question)
        own_conf = s.confidence(question, replace(fused, terms=own, dense_top=literal.dense_top), self.params,
                                tops=tops) if own else 0.0
        known = set(s.index.known(own))
        # A word the articles lack is a stranger unless it compounds one they have (测试阶段 ⊃ 测试), and only a word
        # that names something is one: "那工资呢?" or "明天会下雨吗?" bring a new subject, while a verb, adverb or
        # pronoun the articles lack is the reader's own wording of a follow-up ("搞清楚这些有啥用?", "为什么偏偏是它?").
        unknown = [t for t in own if t not in known and len(t) >= 2 and not any(k in t for k in known)]
        naming = self.naming_terms(question) if unknown else set()
        strangers = [t for t in unknown if t in naming]
        if strangers:
            return own_conf
        ctx_conf = s.confidence(searched, replace(fused, terms=context.terms, dense_top=context.dense_top),
                                self.params, tops=tops)
        return max(own_conf, ctx_conf)


# A follow-up asks for one part of a passage: two sentences, never a third (measured on eval/conversations.jsonl).
FOLLOWUP_ANSWER = AnswerParams(extend_within=-1.0)


def answer_in_context(conversation: Conversation, result: SearchResult, reading: Reading,
                      started: float | None = None) -> Answer:
    """The extractive answer to a question searched by `Conversation.search`, reporting the question as typed
    and what was searched. A follow-up's sentences come from the passage its context ranked first, the one
    the last answer quoted from (first: a follow-up most often asks on about what was just said) and the one
    after that in the same section (where the article goes on), chosen for the follow-up as typed: the earlier
    question found the passage, the follow-up asks for a part of it (measured on eval/conversations*.jsonl:
    better than the top three passages, or the question in context; docs/quality.md, follow-up questions)."""
    if not reading.followup:
        answer = compose_answer(conversation.searcher, result, started, question=reading.question)
    else:
        hits = result.hits[:ANSWER_PASSAGES_FOLLOWUP]
        quoted = _quoted_passage(result.hits, reading.previous_answer)
        if quoted is not None and all(h.passage_id != quoted.passage_id for h in hits):
            hits = [quoted, *hits]
        after = conversation.following(quoted) if quoted is not None else None
        if after is not None and all(h.passage_id != after.passage_id for h in hits):
            hits = [*hits, after]  # the article reads on: a follow-up's answer is often in the next passage
        focus = replace(result, hits=hits)
        answer = compose_answer(conversation.searcher, focus, started, question=reading.question,
                                params=FOLLOWUP_ANSWER, said=reading.previous_answer)
        rest = _unsaid(answer, reading.previous_answer)
        if rest is not None:  # the follow-up asks for more than was said: quote the rest of the passage
            said = squash(reading.previous_answer)
            others = [q for q in answer.quotes
                      if q.passage_id != answer.quotes[0].passage_id and squash(q.text) not in said]
            answer = compose_answer(conversation.searcher, replace(focus, hits=[rest]), started,
                                    question=reading.question, params=FOLLOWUP_ANSWER)
            if answer.answerable and others:  # another passage's quote, not said before, stays beside it
                quotes = [*answer.quotes, *others]
                answer = replace(answer, answer="".join(q.text for q in quotes), quotes=quotes)
        answer = replace(answer, hits=result.hits)
    return replace(answer, question=reading.question, searched_query=reading.searched_query,
                   followup=reading.followup)


def _quoted_passage(hits: Sequence[Hit], previous: str) -> Hit | None:
    """The hit the previous answer quoted from: the first with a sentence of it in `previous` (None when the
    previous message quotes none of them, e.g. a model's own words)."""
    said = squash(previous)
    if not said:
        return None
    for hit in hits:
        for s, e in answer_sentences(hit.text):
            sentence = squash(hit.text[s:e])
            if len(sentence) >= MIN_REST_CHARS and sentence in said:
                return hit
    return None


def _unsaid(answer: Answer, previous: str) -> Hit | None:
    """When every sentence `answer` quotes from its first passage was in the previous answer already: the part of
    that passage after them, cited as exactly; None when nothing repeats or nothing follows."""
    said = squash(previous)
    if not answer.answerable or not answer.quotes or not said:
        return None
    # The best passage's window decides: another passage's quote beside a window said before is no reading on.
    window = [q for q in answer.quotes if q.passage_id == answer.quotes[0].passage_id]
    if not all(squash(q.text) and squash(q.text) in said for q in window):
        return None
    hit = next((h for h in answer.hits if h.passage_id == answer.quotes[0].passage_id), None)
    if hit is None:
        return None
    start = max(q.citation.char_end for q in window) - hit.citation.char_start
    text = hit.text[start:]
    if len(squash(text)) < MIN_REST_CHARS:
        return None  # said up to the passage's end: saying it again beats quoting what came before
    lead = len(text) - len(text.lstrip())
    start, text = start + lead, text.strip()
    c = hit.citation
    cite = replace(c, char_start=c.char_start + start, char_end=c.char_start + start + len(text))
    return replace(hit, text=text, citation=cite, highlights=[])


def fuse_legs(legs: Sequence[tuple[Ranking, float]]) -> Ranking:
    """One ranking from several of the same index: weighted z-scores of each leg's fused score (a row a leg
    did not find gets that leg's lowest), with the dense, keyword and latent-terms scores of the leg that
    scored it best. Latent-terms scores are NaN for a row that no leg with latent terms found (none at all
    when no leg used them): unscored, not "shares none"."""
    rows = np.unique(np.concatenate([leg.rows for leg, _ in legs])) if legs else np.zeros(0, np.int64)
    if len(rows) == 0:
        return Ranking(rows, np.zeros(0), np.zeros(0), np.zeros(0), 0.0, [])
    total = np.zeros(len(rows))
    dense = np.zeros(len(rows))
    keyword = np.zeros(len(rows))
    latent = np.full(len(rows), np.nan) if any(leg.latent is not None for leg, _ in legs) else None
    for leg, weight in legs:
        if len(leg.rows) == 0:
            continue
        pos = {int(r): i for i, r in enumerate(leg.rows)}
        idx = np.array([pos.get(int(r), -1) for r in rows])
        scores = np.where(idx >= 0, leg.fused[np.maximum(idx, 0)], float(leg.fused.min()))
        sd = float(scores.std())
        total += weight * ((scores - scores.mean()) / sd if sd > 1e-9 else np.zeros_like(scores))
        dense = np.where(idx >= 0, np.maximum(dense, leg.dense[np.maximum(idx, 0)]), dense)
        keyword = np.where(idx >= 0, np.maximum(keyword, leg.keyword[np.maximum(idx, 0)]), keyword)
        if latent is not None and leg.latent is not None:
            latent = np.where(idx >= 0, np.fmax(latent, leg.latent[np.maximum(idx, 0)]), latent)
    order = np.argsort(-total, kind="stable")
    terms = list(dict.fromkeys(t for leg, _ in legs for t in leg.terms))
    return Ranking(rows[order], total[order], dense[order], keyword[order],
                   max(leg.dense_top for leg, _ in legs), terms, latent[order] if latent is not None else None)


def _join(questions: Sequence[str]) -> str:
    """Earlier questions and the follow-up as one query, each ending in its own punctuation."""
    parts = [q if re.search(r"[?？!！。.;；]$", q) else q + ";" for q in questions[:-1]]
    return "".join(parts) + questions[-1]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
