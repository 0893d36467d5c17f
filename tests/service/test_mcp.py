"""The MCP server through the `mcp` package's own client: streamable HTTP at /mcp and stdio (`articleqa mcp`)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from service.app import create_app
from service.wiring import build_engine
from tests.helpers.live_server import READ, READ_KEY, Api, copy_data_dir, make_settings

TOOLS = {"search_articles", "ask", "list_documents", "get_document"}
COVERED = "银行产品经理为什么需要风险管理能力?"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{4,}")


@asynccontextmanager
async def http_client(api: Api, headers: dict[str, str]) -> AsyncIterator[Client]:
    async with (httpx2.AsyncClient(headers=headers, timeout=60.0) as http,
                Client(streamable_http_client(f"{api.base_url}/mcp", http_client=http)) as client):
        yield client


@asynccontextmanager
async def stdio_client(data_dir: Path, cwd: Path) -> AsyncIterator[Client]:
    env = {"ARTICLEQA_BACKEND": os.environ.get("ARTICLEQA_BACKEND", "faiss"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    params = StdioServerParameters(command=sys.executable, args=["-m", "service.cli", "mcp", "--data-dir",
                                                                 str(data_dir)], env=env, cwd=str(cwd))
    async with Client(params, read_timeout_seconds=120.0) as client:
        yield client


async def exercise(client: Client, http: httpx.Client, same_process: bool = True) -> None:
    """Every tool once, compared with the HTTP API answering the same question; bad arguments as tool errors."""
    listed = (await client.list_tools()).tools
    assert {t.name for t in listed} == TOOLS
    for tool in listed:
        assert tool.description and _CJK.search(tool.description) and _LATIN.search(tool.description), tool.name
    schema = next(t for t in listed if t.name == "search_articles").input_schema
    assert set(schema["properties"]) == {"query", "top_k", "doc_ids", "filters"} and schema["required"] == ["query"]

    filtered = await client.call_tool("search_articles", {"query": "产品经理需要具备哪些技能", "top_k": 5,
                                                          "filters": {"source": "credit-card"}})
    assert not filtered.is_error and filtered.structured_content is not None
    assert {r["doc_id"] for r in filtered.structured_content["results"]} == {"credit-card-product-manager"}
    bad_filter = await client.call_tool("search_articles", {"query": "风险", "filters": {"published_after": "x"}})
    assert bad_filter.is_error

    found = await client.call_tool("search_articles", {"query": "风险管理", "top_k": 3,
                                                       "doc_ids": ["bank-product-manager-skills"]})
    assert not found.is_error
    data = found.structured_content
    assert data is not None
    assert 0 < len(data["results"]) <= 3
    assert {r["doc_id"] for r in data["results"]} == {"bank-product-manager-skills"}
    assert all(0.0 <= r["relevance"] <= 1.0 and r["citation"]["url"] for r in data["results"])
    assert json.loads(found.content[0].text) == data  # type: ignore[union-attr]

    history = [{"role": "user", "content": "信用卡有哪些种类?"},
               {"role": "assistant", "content": "文章中没有找到相关内容。"}]
    asked = await client.call_tool("ask", {"question": COVERED, "history": history})
    assert not asked.is_error and asked.structured_content is not None
    expected = http.post("/ask", json={"question": COVERED}, headers=READ).json()
    answer = asked.structured_content
    assert answer["answerable"] is True
    assert answer["answer"] == "".join(f"{r['quote']}[{r['n']}]" for r in answer["references"])
    if same_process:  # the API's own engine: the very answer /ask gives
        assert [r["passage_id"] for r in answer["references"]] == [c["passage_id"] for c in expected["citations"]]
    else:  # another process (which may load code edited since): quotes from the passages /ask retrieves
        assert {r["passage_id"] for r in answer["references"]} <= {p["passage_id"] for p in expected["passages"]}

    earlier = [{"role": "user", "content": "信用卡产品经理要懂哪些金融知识?"},
               {"role": "assistant", "content": "信用卡产品涉及的金融知识包括信用评分、利率计算、风险管理等。"}]
    followup = (await client.call_tool("ask", {"question": "那法规呢?", "history": earlier})).structured_content
    assert followup is not None and followup["followup"] is True and followup["searched_query"] != "那法规呢?"
    assert answer["followup"] is False

    not_covered = (await client.call_tool("ask", {"question": "量子计算机的基本原理是什么?"})).structured_content
    assert not_covered is not None
    assert not_covered["answer"] == "文章中没有找到相关内容。" and not_covered["references"] == []

    docs = (await client.call_tool("list_documents", {})).structured_content
    assert docs is not None
    assert {d["doc_id"] for d in docs["documents"]} == {"bank-product-manager-skills", "credit-card-product-manager"}

    ref = answer["references"][0]
    doc = await client.call_tool("get_document", {"doc_id": ref["doc_id"]})
    assert not doc.is_error and doc.structured_content is not None
    assert doc.structured_content["text"][ref["char_start"]:ref["char_end"]] == ref["quote"]

    for name, args, says in [
        ("search_articles", {"query": "风险", "top_k": 500}, "top_k"),
        ("search_articles", {"top_k": 3}, "query"),
        ("search_articles", {"query": "   "}, "empty"),
        ("search_articles", {"query": "x" * 600}, "query"),
        ("ask", {"question": 42}, "question"),
        ("ask", {"question": COVERED, "history": [{"role": "user"}]}, "content"),
        ("ask", {"question": COVERED, "history": [{"role": "system", "content": "x"}]}, "role"),
        ("ask", {"question": COVERED, "history": [{"role": "user", "content": "  "}]}, "empty"),
        ("get_document", {"doc_id": "no-such-article"}, "no-such-article"),
    ]:
        bad = await client.call_tool(name, args)
        assert bad.is_error, (name, args)
        assert says in bad.content[0].text, (name, bad.content)  # type: ignore[union-attr]


def test_mcp_over_streamable_http(api: Api) -> None:
    async def main() -> None:
        with api.client() as http:
            async with http_client(api, {"Authorization": f"Bearer {READ_KEY}"}) as client:
                await exercise(client, http)
            async with http_client(api, READ) as client:  # X-API-Key works too
                assert {t.name for t in (await client.list_tools()).tools} == TOOLS

    anyio.run(main)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"}, {"X-API-Key": "wrong-key"}])
def test_mcp_http_needs_the_read_key(api: Api, headers: dict[str, str]) -> None:
    async def main() -> None:
        async with http_client(api, headers) as client:
            await client.list_tools()

    with pytest.raises(BaseException) as exc:  # the client cannot even connect
        anyio.run(main)
    assert exc.group_contains(MCPError) if isinstance(exc.value, BaseExceptionGroup) else isinstance(
        exc.value, MCPError | httpx2.HTTPError), exc.value
    with api.client() as c:
        r = c.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={
            **headers, "Accept": "application/json, text/event-stream"})
        assert r.status_code in (401, 403)
        assert READ_KEY not in r.text and "key" in r.json()["error"]["message"]


def test_mcp_http_refuses_a_lone_surrogate_without_a_5xx(api: Api) -> None:
    body = (b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search_articles", '
            b'"arguments": {"query": "\\ud800\\u4fe1\\u7528\\u5361"}}}')
    with api.client() as c:
        r = c.post("/mcp", content=body, headers={**READ, "Content-Type": "application/json",
                                                   "Accept": "application/json, text/event-stream"})
    # The SDK's JSON-RPC parser refuses it: a 400 parse error naming the surrogate.
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.json()["error"]["code"] == -32700 and "surrogate" in r.json()["error"]["message"]


def test_mcp_over_stdio(tmp_path: Path, built_data_dir: Path, api: Api) -> None:
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")

    async def main() -> None:
        with api.client() as http:
            async with stdio_client(data_dir, tmp_path) as client:
                await exercise(client, http, same_process=False)

    anyio.run(main)


def test_stdio_without_an_index_answers_tool_errors(tmp_path: Path) -> None:
    async def main() -> None:
        async with stdio_client(tmp_path / "empty", tmp_path) as client:
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            r = await client.call_tool("search_articles", {"query": "风险管理"})
            assert r.is_error and "articleqa ingest" in r.content[0].text  # type: ignore[union-attr]

    anyio.run(main)


def test_mcp_is_served_again_after_a_second_lifespan(tmp_path: Path, built_data_dir: Path) -> None:
    """An app whose lifespan runs twice (an engine handed in, as schemathesis does) serves /mcp both times."""
    settings = make_settings(copy_data_dir(built_data_dir, tmp_path / "data"))
    engine = build_engine(settings)
    app = create_app(settings, engine=engine)
    try:
        for _ in range(2):
            with TestClient(app, base_url="http://127.0.0.1:8000") as c:
                r = c.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={
                    "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"})
                assert r.status_code == 200 and all(name in r.text for name in TOOLS)
    finally:
        engine.close()
