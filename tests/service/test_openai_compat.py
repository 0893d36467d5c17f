"""The OpenAI-compatible chat interface, driven by the official `openai` client against real uvicorn."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from pydantic import SecretStr

from service.app import create_app
from service.settings import Settings
from tests.helpers.live_server import READ, READ_KEY, Api, copy_data_dir, make_settings
from tests.service.test_api_stream import GENERATED, LLM_KEY, FakeOpenAI

COVERED = "银行产品经理为什么需要风险管理能力?"
NOT_COVERED = "量子计算机的基本原理是什么?"


@pytest.fixture
def oai(api: Api) -> Iterator[OpenAI]:
    client = OpenAI(base_url=f"{api.base_url}/v1", api_key=READ_KEY, max_retries=0, timeout=60.0)
    yield client
    client.close()


def _ask(client: httpx.Client, question: str) -> dict[str, Any]:
    r = client.post("/ask", json={"question": question, "top_k": 5}, headers=READ)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _extra(obj: Any, name: str) -> Any:
    """A field the OpenAI models do not declare but keep (their models allow extra fields)."""
    return (obj.model_extra or {})[name]


def test_models_lists_the_extractive_mode_only_without_an_llm(oai: OpenAI) -> None:
    assert [m.id for m in oai.models.list().data] == ["articleqa"]


def test_completion_is_the_extractive_answer_with_markers_and_references(oai: OpenAI,
                                                                          client: httpx.Client) -> None:
    completion = oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": COVERED}])
    expected = _ask(client, COVERED)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    refs = _extra(completion, "references")
    assert refs, "a covered question has references"
    # Same core as /ask: the quotes in order, each followed by its marker.
    assert choice.message.content == "".join(f"{c['quote']}[{n}]" for n, c in enumerate(expected["citations"], 1))
    assert [r["n"] for r in refs] == list(range(1, len(refs) + 1))
    for ref, cit in zip(refs, expected["citations"], strict=True):
        assert {k: ref[k] for k in cit} == cit
        assert set(ref) >= {"n", "doc_id", "title", "url", "section", "paragraph", "char_start", "char_end",
                            "quote", "passage_id"}
        assert ref["char_end"] - ref["char_start"] == len(ref["quote"])


def test_stream_carries_the_same_answer_and_references_on_the_last_chunk(oai: OpenAI) -> None:
    plain = oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": COVERED}])
    chunks = list(oai.chat.completions.create(model="articleqa", stream=True,
                                              messages=[{"role": "user", "content": COVERED}]))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert _extra(last, "references") == _extra(plain, "references")
    assert all("references" not in (c.model_extra or {}) for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1 and chunks[0].object == "chat.completion.chunk"


def test_stream_is_server_sent_events_ending_with_done(api: Api) -> None:
    body = {"model": "articleqa", "stream": True, "messages": [{"role": "user", "content": COVERED}]}
    with api.client() as c, c.stream("POST", "/v1/chat/completions", json=body,
                                     headers={"Authorization": f"Bearer {READ_KEY}"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"


def test_not_covered_is_the_fixed_answer_with_no_references(oai: OpenAI) -> None:
    completion = oai.chat.completions.create(model="articleqa",
                                             messages=[{"role": "user", "content": NOT_COVERED}])
    assert completion.choices[0].message.content == "文章中没有找到相关内容。"
    assert completion.choices[0].finish_reason == "stop"
    assert _extra(completion, "references") == []
    chunks = list(oai.chat.completions.create(model="articleqa", stream=True,
                                              messages=[{"role": "user", "content": NOT_COVERED}]))
    assert chunks[-1].choices[0].finish_reason == "stop" and _extra(chunks[-1], "references") == []


def test_multi_turn_answers_the_last_user_message(oai: OpenAI, client: httpx.Client) -> None:
    messages: list[Any] = [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": NOT_COVERED},
        {"role": "assistant", "content": "文章中没有找到相关内容。"},
        {"role": "user", "content": [{"type": "text", "text": COVERED}]},  # content as parts
    ]
    completion = oai.chat.completions.create(model="articleqa", messages=messages)
    expected = _ask(client, COVERED)
    assert expected["answerable"]
    assert [r["passage_id"] for r in _extra(completion, "references")] == [
        c["passage_id"] for c in expected["citations"]]


def test_wrong_or_missing_key_is_an_authentication_error(api: Api) -> None:
    with OpenAI(base_url=f"{api.base_url}/v1", api_key="not-the-key", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as exc:
            bad.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": COVERED}])
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
    assert exc.value.status_code == 401
    error = exc.value.body
    assert isinstance(error, dict) and error["code"] == "invalid_api_key" and error["type"]
    assert error["message"] and READ_KEY not in error["message"]
    with api.client() as c:
        r = c.get("/v1/models")
        assert r.status_code == 401 and set(r.json()["error"]) >= {"message", "type", "code"}
        assert c.get("/v1/models", headers=READ).status_code == 200  # X-API-Key works too


def test_bad_requests_are_openai_errors(oai: OpenAI, api: Api) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": COVERED}])
    assert nf.value.body["code"] == "model_not_found"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):  # no LLM configured: no generated mode
        oai.chat.completions.create(model="articleqa-llm", messages=[{"role": "user", "content": COVERED}])
    with pytest.raises(openai.BadRequestError) as br:
        oai.chat.completions.create(model="articleqa", messages=[{"role": "assistant", "content": "你好"}])
    assert "user message" in br.value.message
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": "   "}])
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="articleqa", messages=[])
    with api.client() as c:
        r = c.post("/v1/chat/completions", headers=READ, content=b'{"model": "articleqa", "messages": '
                   b'[{"role": "user", "content": "\\ud800\\u4fe1\\u7528\\u5361"}]}')
        assert r.status_code == 400
        assert "lone surrogate" in r.json()["error"]["message"] and r.json()["error"]["type"]
        r = c.post("/v1/chat/completions", headers={**READ, "content-type": "application/json"}, content=b"{not json")
        assert r.status_code == 400 and "error" in r.json()


@pytest.fixture(scope="module")
def llm_chat(tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path,
             start_server: Callable[[Settings], Api]) -> Iterator[tuple[Api, FakeOpenAI]]:
    fake = FakeOpenAI()
    fake.server.start()
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("chat-llm") / "data")
    api = start_server(make_settings(data_dir, api_key=SecretStr(READ_KEY),
                                     llm_base_url=f"{fake.server.base_url}/v1", llm_model="fake-model",
                                     llm_api_key=SecretStr(LLM_KEY)))
    yield api, fake
    fake.server.stop()


def test_llm_mode_generates_and_maps_markers_to_references(llm_chat: tuple[Api, FakeOpenAI]) -> None:
    api, fake = llm_chat
    fake.mode = "ok"
    with OpenAI(base_url=f"{api.base_url}/v1", api_key=READ_KEY, max_retries=0) as c:
        assert [m.id for m in c.models.list().data] == ["articleqa", "articleqa-llm"]
        completion = c.chat.completions.create(model="articleqa-llm",
                                               messages=[{"role": "user", "content": "信用卡产品经理需要哪些技能?"}])
        chunks = list(c.chat.completions.create(model="articleqa-llm", stream=True,
                                                messages=[{"role": "user", "content": "信用卡产品经理需要哪些技能?"}]))
        extractive = c.chat.completions.create(model="articleqa",
                                               messages=[{"role": "user", "content": "信用卡产品经理需要哪些技能?"}])
    assert completion.choices[0].message.content == "".join(GENERATED)
    refs = _extra(completion, "references")
    assert [r["n"] for r in refs] == [1, 2]  # [9] names no passage: dropped
    assert all(r["quote"] and r["passage_id"] for r in refs)
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks) == "".join(GENERATED)
    assert _extra(chunks[-1], "references") == refs
    assert "[1]" in extractive.choices[0].message.content  # type: ignore[operator]
    assert fake.auth[-1] == f"Bearer {LLM_KEY}"


def test_llm_failure_falls_back_to_the_extractive_answer(llm_chat: tuple[Api, FakeOpenAI]) -> None:
    api, fake = llm_chat
    fake.mode = "error"
    with OpenAI(base_url=f"{api.base_url}/v1", api_key=READ_KEY, max_retries=0) as c:
        generated = c.chat.completions.create(model="articleqa-llm", messages=[{"role": "user", "content": COVERED}])
        extractive = c.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": COVERED}])
    fake.mode = "ok"
    assert generated.choices[0].message.content == extractive.choices[0].message.content
    assert _extra(generated, "references") == _extra(extractive, "references")


FIRST = "信用卡产品经理要懂哪些金融知识?"
FOLLOWUP = "那法规呢?"
HISTORY = [{"role": "user", "content": FIRST},
           {"role": "assistant", "content": "信用卡产品涉及的金融知识包括信用评分、利率计算、风险管理等。"}]


def test_earlier_messages_are_the_history_of_a_follow_up(oai: OpenAI, client: httpx.Client) -> None:
    messages: list[Any] = [*HISTORY, {"role": "user", "content": FOLLOWUP}]
    completion = oai.chat.completions.create(model="articleqa", messages=messages)
    expected = client.post("/ask", json={"question": FOLLOWUP, "history": HISTORY}, headers=READ).json()
    assert expected["followup"] is True
    assert _extra(completion, "followup") is True
    assert _extra(completion, "searched_query") == expected["searched_query"] != FOLLOWUP
    assert [r["passage_id"] for r in _extra(completion, "references")] == [
        c["passage_id"] for c in expected["citations"]]
    last = list(oai.chat.completions.create(model="articleqa", stream=True, messages=messages))[-1]
    assert _extra(last, "followup") is True and _extra(last, "references") == _extra(completion, "references")
    alone = oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": FOLLOWUP}])
    assert _extra(alone, "followup") is False and _extra(alone, "searched_query") == FOLLOWUP


def test_a_long_conversation_is_cut_to_the_history_limit(oai: OpenAI) -> None:
    # 25 messages of 4,100 characters: over both core limits (20 turns, 4,000 characters), under the body cap
    turns: list[Any] = [{"role": "user" if i % 2 == 0 else "assistant", "content": "card " * 820}
                        for i in range(25)]
    completion = oai.chat.completions.create(model="articleqa",
                                             messages=[*turns, {"role": "user", "content": COVERED}])
    assert completion.choices[0].finish_reason == "stop" and completion.choices[0].message.content


def test_openapi_shows_the_new_routes_with_chinese_examples() -> None:
    spec = create_app(make_settings(Path("unused"))).openapi()
    assert {"/v1/models", "/v1/chat/completions", "/retrieval"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    for name in ("ChatCompletionRequest", "ChatCompletion", "DifyRetrievalRequest", "DifyRetrievalResponse"):
        examples = json.dumps(schemas[name]["examples"], ensure_ascii=False)
        assert re.search(r"[\u4e00-\u9fff]", examples), name
    chat = spec["paths"]["/v1/chat/completions"]["post"]
    assert {"200", "400", "401", "404"} <= set(chat["responses"])
    assert "text/event-stream" in chat["responses"]["200"]["content"]
    assert {"401", "403", "404", "422"} <= set(spec["paths"]["/retrieval"]["post"]["responses"])


def test_same_limits_metrics_and_cors_as_the_rest_of_the_api(oai: OpenAI, api: Api) -> None:
    oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": COVERED}])
    with api.client() as c:
        metrics = c.get("/metrics").text
        assert 'articleqa_search_duration_seconds_count{endpoint="chat"}' in metrics
        assert 'path="/v1/chat/completions"' in metrics
        status, body = declared_too_large(api, "/v1/chat/completions")
        assert status == 413 and body["error"]["code"] == "request_too_large"
        preflight = c.options("/v1/chat/completions", headers={
            "Origin": "http://localhost:8501", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 200
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def declared_too_large(api: Api, path: str) -> tuple[int, Any]:
    """A POST whose Content-Length is over the cap, its body never sent: the status and JSON body of the answer.
    (Sending the body too races the server closing the connection: a reset instead of the 413.)"""
    with socket.create_connection(("127.0.0.1", api.server.port), timeout=30) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{api.server.port}\r\n"
                      f"Authorization: Bearer {READ_KEY}\r\nContent-Type: application/json\r\n"
                      "Content-Length: 10000000\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_filters_travel_as_an_extra_body_field(oai: OpenAI) -> None:
    question = "产品经理需要具备哪些技能?"  # both articles answer it
    for source, doc in (("credit-card", "credit-card-product-manager"),
                        ("bank-product", "bank-product-manager-skills")):
        completion = oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": question}],
                                                 extra_body={"filters": {"source": source}})
        refs = _extra(completion, "references")
        assert refs and {r["doc_id"] for r in refs} == {doc}
    nobody = oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": question}],
                                         extra_body={"filters": {"publisher": "没有这个发布者"}})
    assert _extra(nobody, "references") == []
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": question}],
                                    extra_body={"filters": {"published_after": "not a date"}})
