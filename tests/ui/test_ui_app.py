"""AppTest runs of the chat page against the API at the `api_url` fixture (and a dead URL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Button, Metric
from ui_fake_api import FakeApi

from ui.chat import NOT_COVERED

Page = Callable[[str], AppTest]

COVERED = "信用卡一般分为哪几类?"
UNCOVERED = "红烧肉怎么做才好吃?"


def values(node: AppTest | Block, kind: str) -> list[str]:
    """The `value` of every element of one kind (st.html bodies, alert texts, metric values...)."""
    return [str(getattr(el, "value", "")) for el in node.get(kind)]


def html_of(at: AppTest) -> str:
    """Everything the page drew with st.html (answers, source cards, notices), joined."""
    return "\n".join(values(at, "html"))


def texts_of(at: AppTest, kind: str) -> str:
    return "\n".join(values(at, kind))


def documents_shown(at: AppTest) -> int:
    """The article count of the sidebar's index status."""
    return int(values(at.sidebar, "metric")[0])


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question)
    return at.run()


def test_first_screen_shows_status_examples_and_settings(page: Page, api_url: str) -> None:
    at = page(api_url)
    assert not at.exception
    assert at.title[0].value == "文章问答"
    assert [m.label for m in at.sidebar.get("metric") if isinstance(m, Metric)] == ["文章", "段落"]
    assert documents_shown(at) >= 1
    assert [b.label for b in at.button if b.key and b.key.startswith("example-")]
    assert at.slider(key="top_k").value == 5
    assert at.multiselect(key="doc_filter").options  # the article filter is filled from GET /documents
    assert at.text_input(key="admin_key").proto.type == at.text_input(key="admin_key").proto.PASSWORD
    assert not at.file_uploader  # upload only once an admin key is entered


def test_question_with_sources(page: Page, api_url: str) -> None:
    at = ask(page(api_url), COVERED)
    assert not at.exception
    assert len(at.chat_message) == 2
    assert at.chat_message[0].name == "user"
    assert "信用卡" in at.chat_message[0].markdown[0].value
    html = html_of(at)
    assert 'class="aq-answer"' in html
    assert NOT_COVERED not in html
    assert 'class="aq-source"' in html
    assert 'href="http' in html and 'target="_blank"' in html  # title linked to the source URL
    assert 'class="aq-quote"' in html  # the quoted sentence is marked in its passage
    assert '<mark class="aq-term">' in html  # query terms highlighted
    assert at.get("form")  # feedback form under the answer


def test_history_is_kept_in_the_session(page: Page, api_url: str) -> None:
    at = ask(page(api_url), COVERED)
    at = ask(at, UNCOVERED)
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]
    assert at.chat_message[2].markdown[0].value.startswith("红烧肉")
    at.button(key="clear-chat").click().run()
    assert not at.chat_message


def test_uncovered_question_says_so_instead_of_weak_sources(page: Page, api_url: str) -> None:
    at = ask(page(api_url), UNCOVERED)
    assert not at.exception
    html = html_of(at)
    assert NOT_COVERED in html
    assert 'class="aq-source"' not in html
    assert 'class="aq-answer"' not in html


def test_api_down(page: Page, down_url: str) -> None:
    at = page(down_url)
    assert not at.exception
    assert "无法连接" in texts_of(at, "error")
    at = ask(at, COVERED)
    assert not at.exception
    reply = at.chat_message[-1]
    assert reply.name == "assistant"
    assert "无法连接到问答服务" in reply.error[0].value


def test_empty_query_is_not_sent(page: Page, api_url: str) -> None:
    at = ask(page(api_url), "   ")
    assert not at.exception
    assert "请输入问题" in texts_of(at, "warning")
    assert not at.chat_message


def test_admin_upload_flow(page: Page, api_url: str, admin_key: str) -> None:
    at = page(api_url)
    before = documents_shown(at)
    at.text_input(key="admin_key").input(admin_key).run()
    assert len(at.file_uploader) == 1
    article = "如何做好理财产品经理\n\n一、了解客户\n\n理财产品经理需要了解客户的风险偏好和收益预期。\n"
    at.file_uploader[0].set_value(("licai-product-manager.txt", article.encode(), "text/plain"))
    at.run()
    upload = next(b for b in at.sidebar.button if b.label == "上传并索引")
    upload.click().run()
    assert not at.exception
    assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    assert "已索引" in texts_of(at, "success")
    details = texts_of(at, "markdown")
    assert "doc_id" in details and "段落数" in details and "状态" in details
    assert documents_shown(at) == before + 1  # readyz shows the new article
    assert len(at.multiselect(key="doc_filter").options) == before + 1


def test_upload_with_wrong_key_is_refused(page: Page, api_url: str) -> None:
    at = page(api_url)
    at.text_input(key="admin_key").input("not-the-key").run()
    at.file_uploader[0].set_value(("x.txt", "标题\n\n正文内容。".encode(), "text/plain"))
    at.run()
    next(b for b in at.sidebar.button if b.label == "上传并索引").click().run()
    assert not at.exception
    assert "上传失败" in texts_of(at, "error")


# The tests below inspect what the fake API received or rely on its data, so they stay on the fake.


def give_feedback(at: AppTest, comment: str) -> AppTest:
    """Mark the first answer not helpful with a comment and send it."""
    reply = at.chat_message[1]
    reply.segmented_control[0].set_value("not_helpful")
    reply.text_input[0].input(comment)
    submit_button(reply).click()
    return at.run()


def submit_button(reply: Block) -> Button:
    """The feedback form's submit button of a reply (its source cards have 查看原文 buttons too)."""
    return next(b for b in reply.button if b.label == "提交反馈")


def test_feedback_is_posted(page: Page, fake_api: FakeApi, fake_url: str) -> None:
    at = give_feedback(ask(page(fake_url), COVERED), "想看到更多卡种")
    assert not at.exception
    assert "已收到反馈" in texts_of(at, "caption")
    (sent,) = fake_api.state.feedback
    assert sent["question"] == COVERED
    assert sent["helpful"] is False
    assert sent["comment"] == "想看到更多卡种"
    assert sent["answer"].startswith("信用卡产品包括")
    assert sent["passage_ids"] and all(isinstance(p, str) for p in sent["passage_ids"])
    assert sent["index_version"] == fake_api.state.index_version


def test_feedback_needs_a_choice(page: Page, fake_api: FakeApi, fake_url: str) -> None:
    at = ask(page(fake_url), COVERED)
    submit_button(at.chat_message[1]).click()
    at.run()
    assert "请先选择" in texts_of(at, "caption")
    assert fake_api.state.feedback == []


def test_settings_reach_the_api(page: Page, fake_api: FakeApi, fake_url: str) -> None:
    at = page(fake_url)
    at.slider(key="top_k").set_value(3)
    at.multiselect(key="doc_filter").set_value(["bank-product-manager-skills"])
    at = ask(at.run(), "银行产品经理需要了解哪些银行业务?")
    assert fake_api.state.asks[-1]["top_k"] == 3
    assert fake_api.state.asks[-1]["doc_ids"] == ["bank-product-manager-skills"]
    html = html_of(at)
    assert "银行产品经理需要具备哪些能力" in html
    assert "如何成为信用卡产品经理" not in html


def test_uncovered_under_a_filter_points_at_the_filter(page: Page, fake_url: str) -> None:
    at = page(fake_url)
    at.multiselect(key="doc_filter").set_value(["bank-product-manager-skills"])
    at = ask(at.run(), COVERED)
    html = html_of(at)
    assert NOT_COVERED in html and "当前只在 1 篇文章中查找" in html


def test_index_not_ready(page: Page, fake_api: FakeApi, fake_url: str) -> None:
    fake_api.state.ready = False
    at = page(fake_url)
    assert not at.exception
    assert "索引正在加载" in texts_of(at, "warning")
    at = ask(at, COVERED)
    assert "索引还在加载中" in at.chat_message[-1].warning[0].value


# Back to whichever API `api_url` names.


@pytest.mark.parametrize("question", ["<script>alert(1)</script>信用卡?", "**信用卡** [x](javascript:1)"])
def test_question_text_is_shown_literally(page: Page, api_url: str, question: str) -> None:
    at = ask(page(api_url), question)
    shown = at.chat_message[0].markdown[0].value
    assert "\\<script\\>" in shown or "\\*\\*" in shown
    assert "<script>" not in html_of(at)


def test_feedback_lands_in_the_real_store(page: Page, real_api, admin_key: str) -> None:  # type: ignore[no-untyped-def]
    import httpx

    at = give_feedback(ask(page(real_api.base_url), COVERED), "希望列出每种卡的年费")
    assert not at.exception
    rows = httpx.get(f"{real_api.base_url}/feedback", headers={"X-API-Key": admin_key}, timeout=10).json()
    mine = [r for r in rows if r["comment"] == "希望列出每种卡的年费"]
    assert len(mine) == 1 and mine[0]["question"] == COVERED and mine[0]["helpful"] is False


def test_followup_is_read_in_context_until_the_chat_is_cleared(page: Page, api_url: str) -> None:
    at = ask(ask(page(api_url), "信用卡产品经理要懂哪些金融知识?"), "那法规呢?")
    assert not at.exception
    assert len(at.chat_message) == 4
    context = [v for v in values(at.chat_message[3], "html") if "按上下文理解为" in v]
    assert context and "信用卡产品经理要懂哪些金融知识" in context[0] and "那法规呢" in context[0]
    assert not [v for v in values(at.chat_message[1], "html") if "按上下文理解为" in v]  # the first question
    assert [b.label for b in at.chat_message[3].button].count("查看原文") >= 1
    next(b for b in at.sidebar.button if b.label == "清空对话").click().run()
    at = ask(at, "那法规呢?")
    assert len(at.chat_message) == 2
    assert "按上下文理解为" not in html_of(at)  # a new conversation: nothing to lean on
