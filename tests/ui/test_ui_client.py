"""The typed API client against canned responses (httpx.MockTransport): shapes, headers, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ui.client import (
    ApiAuthError,
    ApiClient,
    ApiError,
    ApiNotReady,
    ApiUnavailable,
    Feedback,
    error_detail,
)

HIT: dict[str, Any] = {
    "passage_id": "d:0001", "doc_id": "d", "score": 0.8, "text": "信用卡包括消费卡。",
    "citation": {"doc_id": "d", "title": "T", "url": "https://x.example/1", "section": "一、",
                 "paragraph": 1, "char_start": 10, "char_end": 19},
    "highlights": [[0, 3]],
}  # fmt: skip


def client_for(handler: httpx.MockTransport, key: str | None = None) -> ApiClient:
    return ApiClient("http://api.test/", key, transport=handler)


def test_ask_sends_question_top_k_filter_and_read_key() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        return httpx.Response(200, json={
            "question": body["question"], "answer": "信用卡包括消费卡。", "answerable": True,
            "citations": [{**HIT["citation"], "quote": "信用卡包括消费卡。", "passage_id": "d:0001"}],
            "passages": [HIT], "took_ms": 5, "index_version": "v1",
        })  # fmt: skip

    with client_for(httpx.MockTransport(handle), key="read-key") as client:
        result = client.ask("信用卡?", top_k=3, doc_ids=["d"])
    assert json.loads(seen[0].content) == {"question": "信用卡?", "top_k": 3, "doc_ids": ["d"]}
    assert seen[0].headers["X-API-Key"] == "read-key"
    assert seen[0].url.path == "/ask"
    assert result.answerable and result.passages[0].highlights == [(0, 3)]
    assert result.citations[0].quote == "信用卡包括消费卡。"


def test_no_filter_means_no_doc_ids_and_no_key_header() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"query": "q", "results": [HIT], "low_confidence": False,
                                         "took_ms": 1, "index_version": "v1"})  # fmt: skip

    with client_for(httpx.MockTransport(handle)) as client:
        assert client.search("q").results[0].passage_id == "d:0001"
    assert json.loads(seen[0].content) == {"query": "q", "top_k": 5}
    assert "X-API-Key" not in seen[0].headers


def test_readyz_503_is_not_ready_not_an_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(503, json={"detail": "loading"}))
    with client_for(transport) as client:
        status = client.readyz()
    assert status.ready is False and status.detail == "loading"


@pytest.mark.parametrize(
    ("status", "error"), [(401, ApiAuthError), (403, ApiAuthError), (503, ApiNotReady), (422, ApiError)]
)
def test_error_statuses_map_to_exceptions(status: int, error: type[ApiError]) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, json={"detail": "nope"}))
    with client_for(transport) as client, pytest.raises(error) as info:
        client.ask("q")
    assert info.value.status == status and info.value.detail == "nope"


def test_unreachable_api() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with client_for(httpx.MockTransport(refuse)) as client, pytest.raises(ApiUnavailable):
        client.readyz()


def test_upload_is_multipart_with_admin_key() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201, json={"doc_id": "a", "passages": 4, "index_version": "v2", "status": "created"}
        )

    with client_for(httpx.MockTransport(handle), key="read-key") as client:
        result = client.upload("a.txt", "标题\n正文".encode(), "admin")
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/documents"
    assert request.headers["X-API-Key"] == "admin"
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"; filename="a.txt"' in request.read()
    assert (result.doc_id, result.passages, result.status) == ("a", 4, "created")


def test_feedback_body_and_id() -> None:
    seen: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(201, json={"id": 7})

    fb = Feedback(question="q", answer="a", helpful=True, comment="", passage_ids=["d:1"], index_version="v1")
    with client_for(httpx.MockTransport(handle)) as client:
        assert client.feedback(fb) == 7
    assert seen == [{"question": "q", "answer": "a", "helpful": True, "comment": "",
                     "passage_ids": ["d:1"], "index_version": "v1"}]  # fmt: skip


def test_error_detail_of_validation_errors_and_plain_text() -> None:
    req = httpx.Request("GET", "http://x")
    lists = httpx.Response(422, json={"detail": [{"msg": "too short"}, {"msg": "bad"}]}, request=req)
    assert error_detail(lists) == "too short; bad"
    assert error_detail(httpx.Response(500, text="boom", request=req)) == "boom"
