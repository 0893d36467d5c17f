"""Follow-ups in the core: history checks, the rule that recognises a follow-up, the context chain, leg fusion,
the follow-up eval's loader and answer-hit, and Engine.document."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.conversation import MAX_TURN_CHARS, MAX_TURNS, HistoryError, Turn, _quoted_passage, check_history, fuse_legs
from index.conversation_eval import answer_hit, load_conversations
from index.engine import Engine
from index.searcher import Ranking
from index.types import Citation, DocumentPassage, Hit
from service.citations import marked_pieces
from service.models import AskResponse, DocumentOut, SearchResponse, wire

FIRST = "信用卡产品经理要懂哪些金融知识?"
HISTORY = [Turn("user", FIRST), Turn("assistant", "信用卡产品涉及的金融知识包括信用评分、利率计算、风险管理等。")]


@pytest.mark.parametrize(("history", "message"), [
    ([Turn("system", "你是助手")], "history[0].role is 'system'"),
    ([Turn("user", " \n")], "history[0].content is empty"),
    ([Turn("user", "长" * (MAX_TURN_CHARS + 1))], f"the limit is {MAX_TURN_CHARS}"),
    ([Turn("user", "问")] * (MAX_TURNS + 1), f"the limit is {MAX_TURNS}"),
])
def test_history_is_checked(history: list[Turn], message: str) -> None:
    with pytest.raises(HistoryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_history(history)
    assert check_history(HISTORY) == tuple(HISTORY)


@pytest.mark.parametrize("question", [
    "那法规呢?",  # opener + trailing 呢
    "它的作用是什么?",  # reference word
    "其中最重要的是哪个?",
    "上述能力怎么提升?",
    "为什么?",  # too short
    "能举个例子吗?",  # no subject named
    "要跟哪些部门打交道?",
    "那明天会下雨吗?",  # off-topic, but still a follow-up: it stays not covered (tests/service)
])
def test_followups_are_recognised(seed_engine: Engine, question: str) -> None:
    reading = seed_engine.conversation().read(question, HISTORY)
    assert reading.followup, reading
    assert reading.context == (FIRST,)
    assert reading.searched_query == FIRST + question
    assert reading.reason


@pytest.mark.parametrize("question", [
    "信用卡产品经理为什么要懂利率计算?",
    "银行产品经理的时间管理能力包括什么?",
    "银行业务有哪些风险?",
    "管理信用卡项目可以用什么工具?",
])
def test_questions_naming_their_subject_stand_alone(seed_engine: Engine, question: str) -> None:
    history = [Turn("user", "银行产品经理为什么需要情商?"), Turn("assistant", "能够有效地处理人际关系。")]
    reading = seed_engine.conversation().read(question, history)
    assert not reading.followup and reading.searched_query == question and reading.context == ()


def test_without_user_turns_nothing_is_a_followup(seed_engine: Engine) -> None:
    conversation = seed_engine.conversation()
    assert not conversation.read("那法规呢?", []).followup
    assert not conversation.read("那法规呢?", [Turn("assistant", "你好,请提问。")]).followup


def test_a_chain_of_followups_keeps_its_first_question_and_a_switch_cuts_it(seed_engine: Engine) -> None:
    conversation = seed_engine.conversation()
    chain = [Turn("user", "产品设计与开发包括哪些环节?"),
             Turn("assistant", "需求调研、产品功能定义、产品测试、产品上线。"),
             Turn("user", "测试阶段要做什么?"), Turn("assistant", "组织内部测试和用户测试。")]
    reading = conversation.read("上线的时候呢?", chain)
    assert reading.context == ("产品设计与开发包括哪些环节?", "测试阶段要做什么?")
    switched = [*chain, Turn("user", "银行产品经理为什么要懂技术?"), Turn("assistant", "能够与技术团队有效沟通。")]
    assert conversation.read("要了解到什么程度?", switched).context == ("银行产品经理为什么要懂技术?",)


def test_engine_search_and_ask_with_history(seed_engine: Engine) -> None:
    plain = seed_engine.search("那法规呢?")
    assert plain.followup is False and wire(SearchResponse, plain)["searched_query"] == "那法规呢?"
    result = seed_engine.search("那法规呢?", history=HISTORY)
    assert result.followup and result.searched_query == FIRST + "那法规呢?" and result.query == "那法规呢?"
    assert result.hits[0].citation.section == "二、掌握金融知识和法规"
    assert not result.low_confidence
    answer = seed_engine.ask("那法规呢?", history=HISTORY)
    assert answer.followup and answer.answerable and answer.question == "那法规呢?"
    assert "法规" in answer.answer
    assert wire(AskResponse, answer)["searched_query"] == result.searched_query
    off = seed_engine.ask("那明天会下雨吗?", history=HISTORY)
    assert off.followup and not off.answerable


def test_a_failing_rewrite_falls_back_to_the_rule(seed_engine: Engine) -> None:
    def broken(history: object, question: str) -> str:
        raise TimeoutError("model too slow")

    rule = seed_engine.search("那法规呢?", history=HISTORY)
    fallen = seed_engine.search("那法规呢?", history=HISTORY, rewrite=broken)
    assert fallen.searched_query == rule.searched_query
    assert [h.passage_id for h in fallen.hits] == [h.passage_id for h in rule.hits]
    rewritten = seed_engine.search("那法规呢?", history=HISTORY, rewrite=lambda h, q: "信用卡产品经理要了解哪些法规?")
    assert rewritten.searched_query == "信用卡产品经理要了解哪些法规?" and rewritten.followup


def _ranking(rows: list[int], fused: list[float], terms: list[str]) -> Ranking:
    n = len(rows)
    return Ranking(np.array(rows, np.int64), np.array(fused), np.full(n, 0.8), np.ones(n), 0.8, terms)


def test_fuse_legs_weighs_the_legs() -> None:
    literal = _ranking([1, 2, 3], [3.0, 2.0, 1.0], ["法规"])
    context = _ranking([3, 4, 2], [3.0, 2.0, 1.0], ["金融", "法规"])
    fused = fuse_legs([(literal, 0.35), (context, 0.65)])
    assert sorted(fused.rows.tolist()) == [1, 2, 3, 4]
    assert fused.rows[0] == 3  # best of the heavier leg, found by both
    assert fused.terms == ["法规", "金融"]
    only_literal = fuse_legs([(literal, 1.0), (context, 0.0)])
    assert only_literal.rows[:3].tolist() == [1, 2, 3]
    assert len(fuse_legs([(_ranking([], [], []), 1.0)]).rows) == 0
    assert fused.latent is None  # neither leg used the latent terms


def test_fuse_legs_keeps_the_latent_scores_of_the_legs_that_had_them() -> None:
    literal = replace(_ranking([1, 2], [2.0, 1.0], ["法规"]), latent=np.array([5.0, 7.0]))
    context = _ranking([2, 3], [2.0, 1.0], ["金融"])  # its query had every word in the articles: no latent leg
    fused = fuse_legs([(literal, 0.35), (context, 0.65)])
    assert fused.latent is not None
    by_row = dict(zip(fused.rows.tolist(), fused.latent.tolist(), strict=True))
    assert by_row[1] == 5.0 and by_row[2] == 7.0
    assert np.isnan(by_row[3])  # no leg with latent terms scored it: unscored, not "shares none"


def test_follow_up_hits_report_the_latent_scores_their_legs_had(seed_engine: Engine) -> None:
    # 讲价 is in no article, so the follow-up's own words open the latent leg; the context question's do not.
    history = [Turn("user", "产品经理跟外部供应商打交道要注意什么?"), Turn("assistant", "要注意合同条款。")]
    result = seed_engine.search("那要会讲价吗?", history=history)
    assert result.followup
    scored = [h.latent_score for h in result.hits]
    assert any(isinstance(s, float) for s in scored)
    assert all(s is None or (isinstance(s, float) and s >= 0) for s in scored)


def test_answer_hit_is_bigram_recall() -> None:
    span = "了解相关法规和监管政策也是必不可少的"
    assert answer_hit("此外,了解相关法规和监管政策也是必不可少的。", [span])
    assert answer_hit("了解 相关法规、和监管政策也是必不可少", [span])  # punctuation and spaces do not count
    assert not answer_hit("信用卡产品受到严格的监管。", [span])
    assert answer_hit("信用卡产品受到严格的监管。", ["无关的句子", "信用卡产品受到严格的监管"])


def test_conversation_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    good = {"id": "a", "turns": [{"q": "问题一"}, {"q": "那呢?", "kind": "followup", "answers": ["答案"]}]}
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    (case,) = load_conversations(path)
    assert case.split == "dev" and case.turns[1].kind == "followup"
    for bad, message in [({"turns": [{"q": "只有一轮"}]}, "at least two turns"),
                         ({"turns": [{"q": "一"}, {"q": "二", "kind": "maybe", "answers": ["x"]}]}, "kind 'maybe'"),
                         ({"turns": [{"q": "一"}, {"q": "二", "kind": "followup"}]}, "no expected answers"),
                         ({"q": "no turns"}, "expected a JSON object")]:
        path.write_text(json.dumps(good) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=f"c.jsonl:2: .*{message}"):
            load_conversations(path)


@pytest.mark.parametrize(("name", "splits"), [
    ("conversations.jsonl", {"dev", "held"}),
    ("conversations_held2.jsonl", {"held2"}),  # written without running the system (docs/quality.md)
    ("conversations_held3.jsonl", {"held3"}),
    ("conversations_held4.jsonl", {"held4"}),
])
def test_the_shipped_conversation_sets_are_well_formed(name: str, splits: set[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    cases = load_conversations(root / "eval" / name)
    kinds = [t.kind for c in cases for t in c.turns[1:]]
    assert len(cases) >= 20 and kinds.count("followup") >= 20 and "switch" in kinds and "offtopic" in kinds
    assert {c.split for c in cases} == splits
    articles = "".join(p.read_text(encoding="utf-8") for p in sorted((root / "corpus").glob("*.txt")))
    for case in cases:  # every expected answer is an exact span of an article
        for turn in case.turns:
            assert all(a in articles for a in turn.answers), (case.id, turn.q)


def test_document_reproduces_its_passages(seed_engine: Engine) -> None:
    doc = seed_engine.document("credit-card-product-manager")
    assert doc is not None and doc.title == "如何成为信用卡产品经理" and doc.url.startswith("https://")
    assert doc.passages and all(doc.text[p.char_start:p.char_end] == p.text for p in doc.passages)
    assert {p.section for p in doc.passages} <= {s.title for s in doc.sections}
    assert wire(DocumentOut, doc)["passages"][0]["passage_id"] == doc.passages[0].passage_id
    assert seed_engine.document("no-such-article") is None


def test_a_followup_does_not_repeat_the_previous_answer(seed_engine: Engine) -> None:
    first = seed_engine.ask("那法规呢?", history=[Turn("user", FIRST)])  # no answer given yet
    again = seed_engine.ask("那法规呢?", history=[Turn("user", FIRST), Turn("assistant", first.answer)])
    assert first.answerable and again.answerable and again.answer != first.answer
    assert again.quotes[0].passage_id == first.quotes[0].passage_id  # the same passage, read on
    assert again.quotes[0].citation.char_start >= max(q.citation.char_end for q in first.quotes)
    doc = seed_engine.document(again.quotes[0].citation.doc_id)
    assert doc is not None
    for q in again.quotes:
        assert doc.text[q.citation.char_start:q.citation.char_end] == q.text
    assert [h.passage_id for h in again.hits] == [h.passage_id for h in first.hits]  # the hits stay whole


def test_a_followup_in_the_reader_s_own_words_is_covered_but_a_new_subject_is_not(seed_engine: Engine) -> None:
    # 搞清楚 is nowhere in the articles, like 工资; only a word that names something is a new subject.
    first = "对每种信用卡,产品经理要了解哪些方面?"
    history = [Turn("user", first), Turn("assistant", seed_engine.ask(first).answer)]
    conversation = seed_engine.conversation()
    assert "搞清楚" not in conversation.naming_terms("搞清楚这些有啥用?")
    assert "工资" in conversation.naming_terms("那工资一般多少呢?")
    answer = seed_engine.ask("搞清楚这些有啥用?", history=history)
    assert answer.followup and answer.answerable and "有的放矢" in answer.answer
    assert not seed_engine.ask("那工资一般多少呢?", history=history).answerable


def test_a_term_across_two_words_names_nothing(seed_engine: Engine) -> None:
    # Search mode makes 光有 of 光 (tagged n) + 有 (v): only a term inside a naming word is a new subject.
    conversation = seed_engine.conversation()
    assert conversation.naming_terms("光有计划够吗?") == {"计划"}
    first = "银行产品经理的项目计划要做到多细?"
    history = [Turn("user", first), Turn("assistant", seed_engine.ask(first).answer)]
    answer = seed_engine.ask("光有计划够吗?", history=history)
    assert answer.followup and answer.answerable


def test_following_is_the_next_passage_of_the_same_section(seed_engine: Engine) -> None:
    doc = seed_engine.document("credit-card-product-manager")
    assert doc is not None
    conversation = seed_engine.conversation()

    def hit(p: DocumentPassage, text: str | None = None) -> Hit:
        cite = Citation(doc.doc_id, doc.title, doc.url, p.section, p.paragraph, p.char_start, p.char_end)
        return Hit(p.passage_id, doc.doc_id, 1.0, p.text if text is None else text, cite)

    pairs = list(zip(doc.passages, doc.passages[1:], strict=False))
    within = next((a, b) for a, b in pairs if a.section == b.section)
    after = conversation.following(hit(within[0]))
    assert after is not None and after.passage_id == within[1].passage_id
    assert doc.text[after.citation.char_start:after.citation.char_end] == after.text
    assert after.citation.section == within[0].section
    section_end = next(a for a, b in pairs if a.section != b.section)
    assert conversation.following(hit(section_end)) is None  # the next passage opens another section
    assert conversation.following(hit(within[0], text="改过的文字")) is None  # not the stored passage any more


def test_a_followup_reads_on_into_the_next_passage(seed_engine: Engine) -> None:
    # eval/conversations_held4.jsonl n16: the example the reader asks for opens the passage after the quoted one.
    first = "信用卡产品经理跟各部门、合作方怎么处好关系?"
    answer = seed_engine.ask(first)
    history = [Turn("user", first), Turn("assistant", answer.answer)]
    follow = seed_engine.ask("能举个跟具体部门合作的例子吗?", history=history)
    assert follow.followup and follow.answerable and "与市场营销部门的合作" in follow.answer
    doc = seed_engine.document(follow.quotes[0].citation.doc_id)
    assert doc is not None
    for q in follow.quotes:
        assert doc.text[q.citation.char_start:q.citation.char_end] == q.text


def test_a_followup_reads_on_in_the_passage_the_last_answer_quoted(seed_engine: Engine) -> None:
    first = "银行产品经理要懂法律吗?"
    said = seed_engine.ask(first)
    quoted = said.quotes[0].passage_id
    followup = "产品上线运营以后要注意什么?"
    answer = seed_engine.ask(followup, history=[Turn("user", first), Turn("assistant", said.answer)])
    assert quoted in {q.passage_id for q in answer.quotes} and "法律法规的变化" in answer.answer
    # The OpenAI-style reply marks each quote with [n]; the quoted passage is found through the marks.
    marked = seed_engine.ask(followup, history=[Turn("user", first), Turn("assistant", "".join(marked_pieces(said)))])
    assert [q.passage_id for q in marked.quotes] == [q.passage_id for q in answer.quotes]
    # An assistant message that quotes no passage (a model's own words) leaves the search's first passage alone.
    plain = seed_engine.ask(followup, history=[Turn("user", first), Turn("assistant", "好的。")])
    assert answer.hits[0].passage_id != quoted and quoted not in {q.passage_id for q in plain.quotes}
    doc = seed_engine.document(said.quotes[0].citation.doc_id)
    assert doc is not None
    for q in answer.quotes:
        assert doc.text[q.citation.char_start:q.citation.char_end] == q.text


def test_the_passage_an_faq_answer_quoted_is_found_without_its_label(seed_engine: Engine) -> None:
    # The answer leaves "A3:" out of its quote; the follow-up must still know which passage was quoted.
    first = "银行产品经理怎么提高项目管理和团队合作能力?"
    said = seed_engine.ask(first)
    assert said.answerable and not said.answer.startswith(("A3", "Q3"))
    hit = next(h for h in said.hits if h.passage_id == said.quotes[0].passage_id)
    assert hit.text.lstrip().startswith("Q3") and "A3:" in hit.text
    assert _quoted_passage(said.hits, said.answer) == hit
    doc = seed_engine.document(hit.doc_id)
    assert doc is not None
    for q in said.quotes:
        assert doc.text[q.citation.char_start:q.citation.char_end] == q.text
