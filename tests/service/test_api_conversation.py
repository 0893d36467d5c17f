"""Conversation history on POST /search, /ask and /ask/stream (real uvicorn): follow-ups searched in context,
`searched_query`/`followup`, validation limits, the LLM rewrite with its fallback; GET /documents/{doc_id}
reproducing every citation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from index.conversation import MAX_TURN_CHARS, MAX_TURNS
from service.settings import Settings
from tests.helpers.live_server import READ, READ_KEY, Api, LiveServer, copy_data_dir, make_settings

FIRST = "信用卡产品经理要懂哪些金融知识?"
HISTORY = [{"role": "user", "content": FIRST},
           {"role": "assistant", "content": "信用卡产品涉及的金融知识包括信用评分、利率计算、风险管理等。"}]
FOLLOWUP = "那法规呢?"
CARD = "credit-card-product-manager"


def _stream(client: httpx.Client, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with client.stream("POST", "/ask/stream", json=body, headers=READ) as r:
        assert r.status_code == 200
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))
    return out


def test_search_followup_is_searched_in_context(client: httpx.Client) -> None:
    alone = client.post("/search", json={"query": FOLLOWUP, "top_k": 5}, headers=READ).json()
    r = client.post("/search", json={"query": FOLLOWUP, "top_k": 5, "history": HISTORY}, headers=READ)
    assert r.status_code == 200
    body = r.json()
    assert body["followup"] is True and body["query"] == FOLLOWUP
    assert FIRST.rstrip("?") in body["searched_query"] and FOLLOWUP in body["searched_query"]
    assert body["low_confidence"] is False
    # The earlier question brings in the credit-card article's section on 金融知识和法规.
    assert body["results"][0]["doc_id"] == CARD
    assert body["results"][0]["citation"]["section"] == "二、掌握金融知识和法规"
    assert alone["followup"] is False and alone["searched_query"] == FOLLOWUP
    assert alone["results"][0]["citation"]["section"] != "二、掌握金融知识和法规"


def test_ask_followup_quotes_the_context_article(client: httpx.Client) -> None:
    r = client.post("/ask", json={"question": FOLLOWUP, "history": HISTORY}, headers=READ)
    assert r.status_code == 200
    body = r.json()
    assert body["followup"] is True and body["answerable"] is True and body["question"] == FOLLOWUP
    assert "法规" in body["answer"]
    assert {c["doc_id"] for c in body["citations"]} == {CARD}
    assert body["searched_query"].endswith(FOLLOWUP)


def test_ask_followup_reads_on_into_the_next_passage(client: httpx.Client) -> None:
    # The example asked for opens the passage after the one the first answer quoted (on either backend).
    first = "信用卡产品经理跟各部门、合作方怎么处好关系?"
    answer = client.post("/ask", json={"question": first}, headers=READ).json()
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer["answer"]}]
    r = client.post("/ask", json={"question": "能举个跟具体部门合作的例子吗?", "history": history}, headers=READ)
    assert r.status_code == 200
    body = r.json()
    assert body["followup"] is True and body["answerable"] is True and "与市场营销部门的合作" in body["answer"]
    text = client.get(f"/documents/{CARD}", headers=READ).json()["text"]
    for c in body["citations"]:
        assert text[c["char_start"]:c["char_end"]] == c["quote"]


def test_stream_followup_reports_what_was_searched(client: httpx.Client) -> None:
    evs = _stream(client, {"question": FOLLOWUP, "history": HISTORY})
    passages, done = evs[0][1], evs[-1][1]
    assert passages["followup"] is True and passages["searched_query"].endswith(FOLLOWUP)
    assert passages["passages"][0]["doc_id"] == CARD
    assert done["answerable"] is True and done["citations"]
    plain = _stream(client, {"question": FOLLOWUP})[0][1]
    assert plain["followup"] is False and plain["searched_query"] == FOLLOWUP


def test_absent_or_empty_history_behaves_as_before(client: httpx.Client) -> None:
    q = "银行产品经理为什么需要风险管理能力?"
    for path, key in (("/search", "query"), ("/ask", "question")):
        bodies = [client.post(path, json={key: q, **extra}, headers=READ).json()
                  for extra in ({}, {"history": []}, {"history": None})]
        for b in bodies:
            b.pop("took_ms")
            assert b["followup"] is False and b["searched_query"] == q
        assert bodies[0] == bodies[1] == bodies[2]


def test_topic_switch_is_searched_as_typed(client: httpx.Client) -> None:
    history = [{"role": "user", "content": "银行产品经理为什么需要情商?"},
               {"role": "assistant", "content": "银行产品经理需要具备较高的情商,能够有效地处理人际关系。"}]
    q = "信用卡产品经理为什么要懂利率计算?"
    with_h = client.post("/ask", json={"question": q, "history": history}, headers=READ).json()
    alone = client.post("/ask", json={"question": q}, headers=READ).json()
    assert with_h["followup"] is False and with_h["searched_query"] == q
    assert with_h["answer"] == alone["answer"] and "利率计算" in with_h["answer"]
    assert [p["passage_id"] for p in with_h["passages"]] == [p["passage_id"] for p in alone["passages"]]


@pytest.mark.parametrize("question", ["那明天会下雨吗?", "那它的年费是多少?", "还有,推荐几部好看的电影呢?"])
def test_off_topic_followup_stays_not_covered(client: httpx.Client, question: str) -> None:
    body = client.post("/ask", json={"question": question, "history": HISTORY}, headers=READ).json()
    assert body["followup"] is True
    assert body["answerable"] is False and body["citations"] == []
    assert body["answer"] == "文章中没有找到相关内容。"
    search = client.post("/search", json={"query": question, "history": HISTORY}, headers=READ).json()
    assert search["low_confidence"] is True


BAD_HISTORIES: list[tuple[Any, str]] = [
    ([{"role": "system", "content": "你是助手"}], "'user' or 'assistant'"),
    ([{"role": "user", "content": "   "}], "content is empty"),
    ([{"role": "user", "content": ""}], "content is empty"),
    ([{"role": "user", "content": "长" * (MAX_TURN_CHARS + 1)}], f"the limit is {MAX_TURN_CHARS} characters"),
    ([{"role": "user", "content": "问"}] * (MAX_TURNS + 1), f"at most {MAX_TURNS} items"),
    ([{"role": "user"}], "Field required"),
    ([{"role": "user", "content": "问", "name": "x"}], "Extra inputs"),
    ("信用卡", "valid list"),
]


@pytest.mark.parametrize(("history", "message"), BAD_HISTORIES)
@pytest.mark.parametrize(("path", "key"), [("/search", "query"), ("/ask", "question"), ("/ask/stream", "question")])
def test_invalid_history_is_422_naming_the_limit(client: httpx.Client, path: str, key: str, history: Any,
                                                 message: str) -> None:
    r = client.post(path, json={key: FOLLOWUP, "history": history}, headers=READ)
    assert r.status_code == 422, r.text
    issues = r.json()["detail"]
    assert any(i["loc"][:2] == ["body", "history"] and message in i["msg"] for i in issues), issues


def test_history_needs_the_read_key(client: httpx.Client) -> None:
    r = client.post("/search", json={"query": FOLLOWUP, "history": HISTORY})
    assert r.status_code == 401


# -- GET /documents/{doc_id} ---------------------------------------------------------------------


def test_document_reproduces_every_citation_of_a_search(client: httpx.Client) -> None:
    search = client.post("/search", json={"query": "风险管理能力", "top_k": 10}, headers=READ).json()
    answer = client.post("/ask", json={"question": FOLLOWUP, "history": HISTORY}, headers=READ).json()
    cited: list[tuple[str, int, int, str]] = [
        (h["doc_id"], h["citation"]["char_start"], h["citation"]["char_end"], h["text"]) for h in search["results"]]
    cited += [(c["doc_id"], c["char_start"], c["char_end"], c["quote"]) for c in answer["citations"]]
    assert len({d for d, *_ in cited}) == 2 and len(cited) > 10
    docs: dict[str, dict[str, Any]] = {}
    for doc_id, start, end, text in cited:
        if doc_id not in docs:
            r = client.get(f"/documents/{doc_id}", headers=READ)
            assert r.status_code == 200
            docs[doc_id] = r.json()
        assert docs[doc_id]["text"][start:end] == text
    for doc in docs.values():
        assert set(doc) >= {"doc_id", "title", "url", "publisher", "updated_at", "text", "sections", "passages"}
        assert doc["url"].startswith("https://")
        for p in doc["passages"]:
            assert doc["text"][p["char_start"]:p["char_end"]] == p["text"]
            assert any(s["title"] == p["section"] and s["start"] <= p["char_start"] and p["char_end"] <= s["end"]
                       for s in doc["sections"])
        hit_ids = {h["passage_id"] for h in search["results"] if h["doc_id"] == doc["doc_id"]}
        assert hit_ids <= {p["passage_id"] for p in doc["passages"]}


def test_document_unknown_is_404_and_needs_the_read_key(client: httpx.Client) -> None:
    r = client.get("/documents/no-such-article", headers=READ)
    assert r.status_code == 404 and "no-such-article" in r.json()["detail"]
    assert client.get(f"/documents/{CARD}").status_code == 401


# -- the LLM rewrite -----------------------------------------------------------------------------


class FakeRewriter:
    """An OpenAI-compatible server answering non-streamed completions with a canned rewrite (or an error)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            if self.mode == "error":
                return JSONResponse({"error": {"message": "model overloaded"}}, status_code=503)
            if self.mode == "garbage":
                return JSONResponse({"choices": []})
            return JSONResponse({"choices": [{"message": {"role": "assistant",
                                                          "content": "信用卡产品经理需要了解哪些法规?"}}]})

        self.server = LiveServer(app)


@pytest.fixture(scope="module")
def rewriter() -> Any:
    fake = FakeRewriter()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture(scope="module")
def llm_api(tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path,
            start_server: Callable[[Settings], Api], rewriter: FakeRewriter) -> Api:
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("rewrite") / "data")
    return start_server(make_settings(data_dir, api_key=SecretStr(READ_KEY),
                                      llm_base_url=rewriter.server.base_url + "/v1", llm_model="fake-model"))


def test_llm_rewrite_replaces_the_rule_for_followups(llm_api: Api, rewriter: FakeRewriter) -> None:
    rewriter.mode = "ok"
    with llm_api.client() as c:
        before = len(rewriter.requests)
        body = c.post("/search", json={"query": FOLLOWUP, "history": HISTORY}, headers=READ).json()
        assert body["followup"] is True and body["searched_query"] == "信用卡产品经理需要了解哪些法规?"
        assert body["results"][0]["doc_id"] == CARD
        sent = rewriter.requests[-1]
        assert sent["stream"] is False and sent["model"] == "fake-model"
        assert FIRST in sent["messages"][-1]["content"] and FOLLOWUP in sent["messages"][-1]["content"]
        # A question without history, and a stand-alone one with it, never call the model.
        c.post("/search", json={"query": FOLLOWUP}, headers=READ)
        c.post("/search", json={"query": "信用卡产品经理为什么要懂利率计算?", "history": HISTORY}, headers=READ)
        assert len(rewriter.requests) == before + 1


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_llm_rewrite_failure_falls_back_to_the_rule(llm_api: Api, rewriter: FakeRewriter, client: httpx.Client,
                                                    mode: str) -> None:
    rewriter.mode = mode
    with llm_api.client() as c:
        body = c.post("/ask", json={"question": FOLLOWUP, "history": HISTORY}, headers=READ).json()
    rule = client.post("/ask", json={"question": FOLLOWUP, "history": HISTORY}, headers=READ).json()
    assert body["followup"] is True and body["searched_query"] == rule["searched_query"]
    assert body["answer"] == rule["answer"] and body["answerable"] is True


def test_llm_rewrite_keeps_off_topic_not_covered(llm_api: Api, rewriter: FakeRewriter) -> None:
    rewriter.mode = "ok"  # the model's rewrite is about 法规; the follow-up's own words are about weather
    with llm_api.client() as c:
        body = c.post("/ask", json={"question": "那明天会下雨吗?", "history": HISTORY}, headers=READ).json()
    assert body["answerable"] is False


def test_unreachable_rewriter_falls_back(tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path,
                                         start_server: Callable[[Settings], Api], client: httpx.Client) -> None:
    dead = LiveServer(FastAPI())  # a port nobody listens on
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("dead-rewriter") / "data")
    api = start_server(make_settings(data_dir, api_key=SecretStr(READ_KEY), llm_base_url=f"{dead.base_url}/v1"))
    with api.client() as c:
        body = c.post("/search", json={"query": FOLLOWUP, "history": HISTORY}, headers=READ).json()
    dead.stop()
    rule = client.post("/search", json={"query": FOLLOWUP, "history": HISTORY}, headers=READ).json()
    assert body["searched_query"] == rule["searched_query"]
    assert [h["passage_id"] for h in body["results"]] == [h["passage_id"] for h in rule["results"]]
