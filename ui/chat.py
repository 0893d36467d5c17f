"""Chat turns: asking the API, and drawing questions, answers, sources and feedback forms."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from uuid import uuid4

import streamlit as st

from ui.client import (
    ApiAuthError,
    ApiClient,
    ApiError,
    ApiNotReady,
    ApiUnavailable,
    AskResult,
    Document,
    Feedback,
    Message,
)
from ui.highlight import plain_markdown, safe_url
from ui.sources import SCROLL_TO_CITED, Source, answer_html, article_html, card_html, cited_spans, sources_of

NOT_COVERED = "文章中没有找到相关内容"
FEEDBACK_CHOICES = {"helpful": ":material/thumb_up: 有帮助", "not_helpful": ":material/thumb_down: 没帮助"}

TurnState = Literal["answer", "uncovered", "unavailable", "not_ready", "error"]
OpenSource = Callable[[Source], None]

# The API's limits on `history` (service/models.py): the page sends the most recent turns within them.
HISTORY_TURNS = 20
HISTORY_CHARS = 4000


@dataclass
class Turn:
    """One chat message; assistant turns keep the API result and the feedback given on it."""

    role: Literal["user", "assistant"]
    text: str
    state: TurnState = "answer"
    result: AskResult | None = None
    filtered: int = 0
    feedback_id: int | None = None
    feedback_note: str = ""
    id: str = field(default_factory=lambda: uuid4().hex[:12])


def history_of(turns: list[Turn]) -> list[Message]:
    """The conversation so far as the API's `history`: questions and the answers given (failed requests left
    out), oldest first, the most recent within the API's limits."""
    messages = [Message(role=t.role, content=t.text[:HISTORY_CHARS]) for t in turns
                if t.text.strip() and (t.role == "user" or t.state in ("answer", "uncovered"))]
    return messages[-HISTORY_TURNS:]


def ask(client: ApiClient, question: str, top_k: int, doc_ids: list[str],
        history: list[Message] | None = None, filters: dict[str, str] | None = None) -> Turn:
    """Ask the API (with the conversation's history) and turn the outcome, good or bad, into an assistant turn."""
    try:
        result = client.ask(question, top_k=top_k, doc_ids=doc_ids or None, history=history or None,
                            filters=filters or None)
    except ApiUnavailable:
        return Turn("assistant", "无法连接到问答服务,请确认服务已启动后再试。", state="unavailable")
    except ApiNotReady:
        return Turn("assistant", "索引还在加载中,暂时无法回答。请稍后再试。", state="not_ready")
    except ApiAuthError as exc:
        return Turn(
            "assistant", f"服务拒绝了请求(HTTP {exc.status}):请检查 ARTICLEQA_API_KEY。", state="error"
        )
    except ApiError as exc:
        return Turn("assistant", f"请求失败(HTTP {exc.status}):{exc.detail}", state="error")
    state: TurnState = "answer" if result.answerable else "uncovered"
    return Turn("assistant", result.answer, state=state, result=result, filtered=len(doc_ids))


def feedback_for(turn: Turn, question: str, helpful: bool, comment: str) -> Feedback:
    """The POST /feedback body for an assistant turn."""
    result = turn.result
    return Feedback(
        question=question,
        answer=turn.text if turn.state == "answer" else NOT_COVERED,
        helpful=helpful,
        comment=comment.strip(),
        passage_ids=[h.passage_id for h in result.passages] if result and turn.state == "answer" else [],
        index_version=result.index_version if result else "",
    )


def _source_cards(sources: list[Source], turn_id: str, on_open: OpenSource | None, first: int = 1) -> None:
    for n, source in enumerate(sources, start=first):
        st.html(card_html(source, n))
        if on_open is not None and st.button("查看原文", key=f"open-{turn_id}-{n}", icon=":material/article:",
                                             type="tertiary", help="在页面中打开整篇文章,定位到引用的句子"):
            on_open(source)


def _draw_context(result: AskResult) -> None:
    """For a follow-up: what the question was read as, so a misreading is visible."""
    if result.followup and result.searched_query:
        st.html(f'<div class="aq-context">按上下文理解为:{html.escape(result.searched_query)}</div>')


def _draw_answer(result: AskResult, turn_id: str = "", on_open: OpenSource | None = None) -> None:
    st.html(answer_html(result.answer))
    _draw_context(result)
    cited, others = sources_of(result)
    shown = cited or others
    rest = others if cited else []
    if shown:
        st.html(f'<div class="aq-sources-label">来源 · {len(shown)} 处原文</div>')
        _source_cards(shown, turn_id, on_open)
    if rest:
        with st.expander(f"其他相关段落({len(rest)})"):
            _source_cards(rest, turn_id, on_open, first=len(shown) + 1)
    version = f" · 索引 {result.index_version}" if result.index_version else ""
    st.html(f'<div class="aq-stats">用时 {result.took_ms:.0f} ms{version}</div>')


def _draw_uncovered(turn: Turn) -> None:
    hint = "可以换个说法再问,或者换一个更具体的关键词。"
    if turn.filtered:
        hint = f"当前只在 {turn.filtered} 篇文章中查找:可以在侧边栏取消筛选后再试。"
    st.html(f'<div class="aq-uncovered"><b>{NOT_COVERED}</b><div>{hint}</div></div>')
    if turn.result is not None:
        _draw_context(turn.result)


def draw_article(document: Document, source: Source) -> None:
    """The article inside the page: its title, the cited section's heading, the link to the original, and the
    whole text with the cited sentences marked and scrolled into view."""
    st.markdown(f"#### {plain_markdown(document.title or document.doc_id)}")
    section = source.hit.citation.section
    url = safe_url(document.url or source.hit.citation.url)
    meta = []
    if section:
        meta.append(f'<span class="aq-article-section">所在章节:{html.escape(section)}</span>')
    if url:
        href = html.escape(url, quote=True)
        meta.append(f'<a class="aq-article-link" href="{href}" target="_blank" rel="noopener noreferrer">'
                    "原文链接 ↗</a>")
    if meta:
        st.html(f'<div class="aq-article-meta">{" · ".join(meta)}</div>')
    st.html(article_html(document, cited_spans(source)) + SCROLL_TO_CITED, unsafe_allow_javascript=True)


def _draw_feedback(turn: Turn, on_feedback: Callable[[str], None]) -> None:
    if turn.feedback_id is not None:
        st.caption(":material/check: 已收到反馈,谢谢!")
        return
    with st.form(key=f"fb-{turn.id}", border=False, clear_on_submit=False):
        choice, comment, send = st.columns([2.2, 3, 1.3], vertical_alignment="bottom")
        choice.segmented_control(
            "这个回答有帮助吗?",
            list(FEEDBACK_CHOICES),
            format_func=FEEDBACK_CHOICES.__getitem__,
            key=f"fb-helpful-{turn.id}",
            label_visibility="collapsed",
        )
        comment.text_input(
            "补充说明",
            key=f"fb-comment-{turn.id}",
            placeholder="补充说明(可选)",
            label_visibility="collapsed",
        )
        send.form_submit_button("提交反馈", on_click=on_feedback, args=(turn.id,), width="stretch")
    if turn.feedback_note:
        st.caption(plain_markdown(turn.feedback_note))


def draw_turn(turn: Turn, on_feedback: Callable[[str], None], on_open: OpenSource | None = None) -> None:
    """Draw one message inside its chat bubble."""
    if turn.role == "user":
        with st.chat_message("user"):
            st.markdown(plain_markdown(turn.text))
        return
    with st.chat_message("assistant"):
        draw_reply(turn, on_feedback, on_open)


def draw_reply(turn: Turn, on_feedback: Callable[[str], None], on_open: OpenSource | None = None) -> None:
    """Draw an assistant turn's body (the caller has opened the chat bubble)."""
    if turn.state == "answer" and turn.result is not None:
        _draw_answer(turn.result, turn.id, on_open)
    elif turn.state == "uncovered":
        _draw_uncovered(turn)
    elif turn.state == "not_ready":
        st.warning(plain_markdown(turn.text), icon=":material/hourglass_top:")
        return
    else:
        st.error(plain_markdown(turn.text), icon=":material/error:")
        return
    _draw_feedback(turn, on_feedback)
