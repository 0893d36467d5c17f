"""The sidebar's metadata filters: publishers offered from GET /documents, choices sent as `filters` to /ask."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from streamlit.testing.v1 import AppTest
from ui_fake_api import FakeApi

Page = Callable[[str], AppTest]


def test_metadata_filters_reach_the_api(page: Page, fake_api: FakeApi, fake_url: str) -> None:
    at = page(fake_url)
    publisher = at.selectbox(key="filter_publisher")
    assert publisher.options == ["全部发布者", "创想鸟", "银行学苑"]
    publisher.set_value("银行学苑")
    at.text_input(key="filter_source").set_value(" example.com ")
    at.date_input(key="filter_after").set_value(date(2024, 1, 1))
    at = at.run()
    at.chat_input[0].set_value("银行产品经理需要了解哪些银行业务?")
    at = at.run()
    assert not at.exception
    assert fake_api.state.asks[-1]["filters"] == {
        "publisher": "银行学苑", "source": "example.com", "published_after": "2024-01-01"}


def test_no_filters_sends_none_and_an_inverted_range_is_dropped(page: Page, fake_api: FakeApi,
                                                                fake_url: str) -> None:
    at = page(fake_url)
    at.chat_input[0].set_value("信用卡一般分为哪几类?")
    at = at.run()
    assert fake_api.state.asks[-1]["filters"] is None
    at.date_input(key="filter_after").set_value(date(2024, 6, 1))
    at.date_input(key="filter_before").set_value(date(2024, 1, 1))
    at = at.run()
    assert "结束日期早于开始日期" in "\n".join(str(c.value) for c in at.sidebar.caption)
    at.chat_input[0].set_value("信用卡一般分为哪几类?")
    at = at.run()
    assert fake_api.state.asks[-1]["filters"] is None
