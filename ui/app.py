"""The Streamlit chat page: `streamlit run ui/app.py` (or `articleqa ui`)."""

from __future__ import annotations

import streamlit as st

from ui.chat import Turn, ask, draw_article, draw_reply, draw_turn, feedback_for, history_of
from ui.client import ApiClient, ApiError, ReadyStatus
from ui.highlight import inline_code
from ui.settings import UISettings
from ui.sidebar import draw_admin, draw_search_choices, draw_status, upload_article
from ui.sources import Source
from ui.theme import CSS

EXAMPLES = ["信用卡一般分为哪几类?", "银行产品经理需要了解哪些银行业务?", "产品测试阶段要做什么?"]


def _client() -> ApiClient:
    settings = UISettings()
    return ApiClient(settings.api_url, settings.read_key())


def _turns() -> list[Turn]:
    turns: list[Turn] = st.session_state.setdefault("turns", [])
    return turns


def _status(client: ApiClient) -> ReadyStatus | None:
    """GET /readyz; None when the API cannot be reached at all."""
    try:
        return client.readyz()
    except ApiError:
        return None


def _send_feedback(turn_id: str) -> None:
    """Feedback-form callback: POST /feedback for the assistant turn `turn_id`."""
    turns = _turns()
    at = next((i for i, t in enumerate(turns) if t.id == turn_id), None)
    if at is None:
        return
    turn = turns[at]
    choice = st.session_state.get(f"fb-helpful-{turn_id}")
    if choice is None:
        turn.feedback_note = "请先选择「有帮助」或「没帮助」。"
        return
    question = turns[at - 1].text if at > 0 and turns[at - 1].role == "user" else ""
    comment = st.session_state.get(f"fb-comment-{turn_id}") or ""
    body = feedback_for(turn, question, helpful=choice == "helpful", comment=comment)
    try:
        with _client() as client:
            turn.feedback_id = client.feedback(body)
        turn.feedback_note = ""
    except ApiError as exc:
        turn.feedback_note = f"反馈没有发送成功:{exc.detail}"


def _upload(admin_key: str) -> None:
    with _client() as client:
        upload_article(client, admin_key)


@st.dialog("查看原文", width="large")
def _open_source(source: Source) -> None:
    """The cited article inside the page (GET /documents/{doc_id}), the quote marked and scrolled to."""
    try:
        with _client() as client:
            document = client.document(source.hit.doc_id)
    except ApiError as exc:
        st.error(f"无法打开原文:{exc.detail}", icon=":material/error:")
        return
    draw_article(document, source)


def _pick_example(question: str) -> None:
    st.session_state["pending_question"] = question


def _clear_chat() -> None:
    st.session_state["turns"] = []


def _welcome() -> None:
    st.markdown("试试这些问题:")
    for n, question in enumerate(EXAMPLES):
        st.button(question, key=f"example-{n}", on_click=_pick_example, args=(question,), type="secondary")


def main() -> None:
    st.set_page_config(page_title="文章问答 · articleqa", page_icon="📚", layout="centered")
    st.html(CSS)
    client = _client()
    try:
        ready = _status(client)
        with st.sidebar:
            draw_status(ready, client.base_url)
            st.divider()
            choices = draw_search_choices(client, reachable=ready is not None)
            st.divider()
            draw_admin(_upload)
            st.divider()
            st.button("清空对话", key="clear-chat", on_click=_clear_chat, icon=":material/delete:")

        st.title("文章问答")
        st.caption("根据已收录文章的原文作答,每个回答都附出处,可点击标题查看原文。")
        if ready is None:
            st.error(
                f"无法连接到问答服务 {inline_code(client.base_url)}。请确认 API 已启动,然后刷新页面。",
                icon=":material/cloud_off:",
            )
        elif not ready.ready:
            st.warning("索引正在加载,加载完成后即可提问。", icon=":material/hourglass_top:")

        typed = st.chat_input("问点什么,例如:信用卡一般分为哪几类?", max_chars=500)
        question = typed if typed is not None else st.session_state.pop("pending_question", None)
        turns = _turns()
        if not turns and not (question or "").strip():
            _welcome()
        for turn in turns:
            draw_turn(turn, _send_feedback, _open_source)
        if question is None:
            return
        if not question.strip():
            st.warning("请输入问题后再发送。", icon=":material/edit:")
            return
        user = Turn("user", question.strip())
        history = history_of(turns)  # the conversation before this question ("清空对话" starts a new one)
        turns.append(user)
        draw_turn(user, _send_feedback)
        with st.chat_message("assistant"):
            with st.spinner("正在文章中查找…"):
                reply = ask(client, user.text, choices.top_k, choices.doc_ids, history, choices.filters)
            turns.append(reply)
            draw_reply(reply, _send_feedback, _open_source)
    finally:
        client.close()


main()
