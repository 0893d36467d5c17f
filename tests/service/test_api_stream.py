"""POST /ask/stream against a tiny fake OpenAI-compatible server: grounded generation, [n] → citations,
and the extractive fallback when no model is configured or the model fails."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import SecretStr

from service.settings import Settings
from tests.helpers.live_server import READ, READ_KEY, Api, LiveServer, copy_data_dir, make_settings

LLM_KEY = "llm-key-for-tests"
GENERATED = ["根据文章,", "信用卡产品经理需要金融知识[1],", "还需要数据分析能力[2]。", "见[9]"]


class FakeOpenAI:
    """Streams a canned completion; `mode` switches to an HTTP error or a not-covered reply."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request) -> Response:
            self.requests.append(await request.json())
            self.auth.append(request.headers.get("authorization", ""))
            if self.mode == "error":
                return JSONResponse({"error": {"message": "model overloaded"}}, status_code=503)
            pieces = ["文章中没有找到相关内容。"] if self.mode == "not-covered" else GENERATED
            return StreamingResponse(self._chunks(pieces), media_type="text/event-stream")

        self.server = LiveServer(app)

    async def _chunks(self, pieces: list[str]) -> AsyncIterator[str]:
        yield 'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'
        yield ": keep-alive\n\n"
        for p in pieces:
            chunk = {
                "id": "x",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": p}}],
            }
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"


@pytest.fixture(scope="module")
def fake_llm() -> Any:
    fake = FakeOpenAI()
    fake.server.start()
    yield fake
    fake.server.stop()


def _api(
    tmp_path_factory: pytest.TempPathFactory,
    built_data_dir: Path,
    start_server: Callable[[Settings], Api],
    **overrides: Any,
) -> Api:
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("stream") / "data")
    return start_server(make_settings(data_dir, api_key=SecretStr(READ_KEY), **overrides))


@pytest.fixture(scope="module")
def llm_api(
    tmp_path_factory: pytest.TempPathFactory,
    built_data_dir: Path,
    start_server: Callable[[Settings], Api],
    fake_llm: FakeOpenAI,
) -> Api:
    return _api(
        tmp_path_factory,
        built_data_dir,
        start_server,
        llm_base_url=fake_llm.server.base_url + "/v1",
        llm_model="fake-model",
        llm_api_key=SecretStr(LLM_KEY),
    )


def events(client: httpx.Client, question: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with client.stream("POST", "/ask/stream", json={"question": question, "top_k": 5}, headers=READ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))
    return out


def test_generated_answer_with_citations(llm_api: Api, fake_llm: FakeOpenAI) -> None:
    fake_llm.mode = "ok"
    with llm_api.client() as c:
        evs = events(c, "信用卡产品经理需要哪些技能?")
    names = [e for e, _ in evs]
    assert names[0] == "passages" and names[-1] == "done"
    assert names.count("delta") == len(GENERATED)
    passages = evs[0][1]
    assert passages["sources"][0]["n"] == 1
    done = evs[-1][1]
    assert done["mode"] == "llm"
    assert done["answer"] == "".join(GENERATED)
    assert done["answerable"] is True
    assert [c["n"] for c in done["citations"]] == [1, 2]  # [9] refers to no passage: dropped
    assert done["citations"][0]["passage_id"] == passages["passages"][0]["passage_id"]
    assert done["citations"][1]["doc_id"] == passages["passages"][1]["doc_id"]

    sent = fake_llm.requests[-1]
    assert sent["stream"] is True and sent["model"] == "fake-model"
    user = sent["messages"][-1]["content"]
    assert "[1]" in user and passages["passages"][0]["text"] in user
    assert "信用卡产品经理需要哪些技能" in user
    assert fake_llm.auth[-1] == f"Bearer {LLM_KEY}"


def test_model_says_not_covered(llm_api: Api, fake_llm: FakeOpenAI) -> None:
    fake_llm.mode = "not-covered"
    with llm_api.client() as c:
        done = events(c, "信用卡产品经理需要哪些技能?")[-1][1]
    assert done["mode"] == "llm" and done["answerable"] is False and done["citations"] == []


def test_model_failure_falls_back_to_extractive(llm_api: Api, fake_llm: FakeOpenAI) -> None:
    fake_llm.mode = "error"
    with llm_api.client() as c:
        evs = events(c, "银行产品经理为什么需要风险管理能力?")
        extractive = c.post(
            "/ask", json={"question": "银行产品经理为什么需要风险管理能力?", "top_k": 5}, headers=READ
        ).json()
    done = evs[-1][1]
    assert done["mode"] == "extractive"
    assert "503" in done["fallback_reason"]
    assert LLM_KEY not in done["fallback_reason"]
    assert done["answer"] == extractive["answer"]
    assert done["citations"] == extractive["citations"]


def test_not_covered_question_never_calls_the_model(llm_api: Api, fake_llm: FakeOpenAI) -> None:
    fake_llm.mode = "ok"
    before = len(fake_llm.requests)
    with llm_api.client() as c:
        done = events(c, "量子计算机的基本原理是什么?")[-1][1]
    assert (
        done["answerable"] is False and "文章中没有找到相关内容" in done["answer"] and done["citations"] == []
    )
    assert len(fake_llm.requests) == before


def test_without_a_model_the_stream_is_extractive(client: httpx.Client) -> None:
    evs = events(client, "银行产品经理为什么需要风险管理能力?")
    assert [e for e, _ in evs] == ["passages", "delta", "done"]
    done = evs[-1][1]
    assert done["mode"] == "extractive" and done["answerable"] is True and done["citations"]
    assert "ARTICLEQA_LLM_BASE_URL" in done["fallback_reason"]


def test_stream_bad_input_and_auth(client: httpx.Client) -> None:
    assert client.post("/ask/stream", json={"question": " "}, headers=READ).status_code == 422
    assert client.post("/ask/stream", json={"question": "金融"}).status_code == 401


def test_unreachable_model_falls_back(
    tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path, start_server: Callable[[Settings], Api]
) -> None:
    dead = LiveServer(FastAPI())  # reserve a port, never start: connection refused
    api = _api(tmp_path_factory, built_data_dir, start_server, llm_base_url=f"{dead.base_url}/v1")
    with api.client() as c:
        done = events(c, "信用卡产品经理需要哪些技能?")[-1][1]
    dead.stop()
    assert done["mode"] == "extractive" and "ConnectError" in done["fallback_reason"]
