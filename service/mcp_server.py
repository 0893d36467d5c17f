"""The MCP server (official `mcp` SDK): search_articles, ask, list_documents, get_document over the Engine."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from typing_extensions import TypedDict

from index.conversation import MAX_TURNS, HistoryError, Rewrite, Turn
from index.engine import Engine, NotReady
from index.relevance import hit_relevance
from index.searcher import MAX_QUERY_CHARS, MAX_TOP_K
from service.auth import check_read, given_key
from service.citations import marked_pieces, quote_references
from service.errors import core_errors, detail_for
from service.filters import doc_filters
from service.models import DocumentOut, SearchFilters, SearchResponse, wire
from service.settings import Settings

INSTRUCTIONS = (
    "articleqa 检索中文文章并给出带精确出处的摘录式答案。先用 search_articles 或 ask;引用用 get_document 核对。\n"
    "articleqa searches Chinese articles and answers by quoting them with exact citations. Start with "
    "search_articles or ask; check a citation with get_document."
)


_FILTERS = ("只在这些文章中检索:publisher 发布者, source 来源(文件路径或 URL 的一部分), published_after / "
            "published_before 发布日期(ISO) / metadata filters, applied before ranking")


class ChatTurn(TypedDict):
    """One earlier message: role `user` or `assistant`, and its text."""

    role: Literal["user", "assistant"]
    content: str


def _run(call: Callable[[], Any]) -> Any:
    """The core call; its refusals (bad input, no index yet) become tool errors the client sees."""
    try:
        return call()
    except NotReady as exc:
        raise ToolError(f"no index loaded yet: {exc}") from exc
    except HistoryError as exc:
        raise ToolError(f"history: {exc}") from exc
    except core_errors() as exc:
        raise ToolError(detail_for(exc)) from exc


def build_mcp(get_engine: Callable[[], Engine], rewrite: Rewrite | None = None) -> MCPServer:
    """The server; `get_engine` gives the engine at call time (the API builds it at startup); `rewrite` reads
    follow-ups with an LLM when one is configured, as /ask does."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server = MCPServer("articleqa", title="articleqa 中文文章问答", instructions=INSTRUCTIONS, version="0.1.0",
                       log_level="WARNING")
    # MCPServer installs a root handler (logging.basicConfig); our logging stays as the service configured it.
    root.handlers[:] = handlers
    root.setLevel(level)

    def engine_now() -> Engine:
        engine: Engine = _run(get_engine)
        return engine

    @server.tool(name="search_articles", description=(
        "按语义和关键词检索文章段落,返回段落原文、0–1 相关度和出处(文档、章节、段落、字符位置、URL)。\n"
        "Search the articles (meaning + keywords): passages with their text, a 0–1 relevance "
        "(≥ 0.5: covers the query) and citations (document, section, paragraph, character offsets, URL)."))
    def search_articles(
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                    description="检索词或问题 / keywords or a question")],
        top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K, description="返回段落数 / how many passages")] = 5,
        doc_ids: Annotated[list[str] | None, Field(description="只在这些文档中检索 / only these documents")] = None,
        filters: Annotated[SearchFilters | None, Field(description=_FILTERS)] = None,
    ) -> dict[str, Any]:
        engine = engine_now()
        result = _run(lambda: engine.search(query, top_k=top_k, doc_ids=doc_ids, filters=doc_filters(filters)))
        scores = _run(lambda: hit_relevance(engine.searcher(), result))
        d = wire(SearchResponse, result)
        for hit, score in zip(d["results"], scores, strict=True):
            hit["relevance"] = score
        return {"query": d["query"], "results": d["results"], "low_confidence": d["low_confidence"],
                "confidence": d["confidence"], "index_version": d["index_version"]}

    @server.tool(name="ask", description=(
        "回答问题:从文章中逐字摘录一两句作答,每句后用 [n] 标注,references 给出每个 [n] 的出处和原文;"
        "文章未涉及时回答“文章中没有找到相关内容。”。\n"
        "Answer a question by quoting one or two sentences of the articles, each followed by [n]; "
        "`references` give each [n]'s citation and exact quote. When the articles do not cover it the answer is "
        "文章中没有找到相关内容。 with no references. `history`: the earlier turns, oldest first."))
    def ask(
        question: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description="问题 / the question")],
        history: Annotated[list[ChatTurn] | None, Field(
            max_length=MAX_TURNS, description="之前的对话 / earlier turns [{role: user|assistant, content}]")] = None,
        filters: Annotated[SearchFilters | None, Field(description=_FILTERS)] = None,
    ) -> dict[str, Any]:
        engine = engine_now()
        turns = [Turn(t["role"], t["content"]) for t in history or []]
        answer = _run(lambda: engine.ask(question, history=turns, rewrite=rewrite, filters=doc_filters(filters)))
        return {"question": answer.question, "answer": "".join(marked_pieces(answer)),
                "answerable": answer.answerable, "references": quote_references(answer),
                "followup": answer.followup, "searched_query": answer.searched_query or answer.question,
                "index_version": answer.index_version}

    @server.tool(name="list_documents", description=(
        "列出已索引的文章:doc_id、标题、URL、段落数、更新时间。\n"
        "List the indexed articles: doc_id, title, URL, passage count, last update."))
    def list_documents() -> dict[str, Any]:
        engine = engine_now()
        return {"documents": _run(engine.documents)}

    @server.tool(name="get_document", description=(
        "取回一篇文章:元数据、清洗后的全文(引用的 char_start/char_end 指向它)、章节和段落。\n"
        "Fetch one article: metadata, the cleaned text that citations' char_start/char_end point into, its "
        "sections and passages."))
    def get_document(
        doc_id: Annotated[str, Field(min_length=1, max_length=200, description="文档 ID / the document id")],
    ) -> dict[str, Any]:
        engine = engine_now()
        document = _run(lambda: engine.document(doc_id))
        if document is None:
            raise ToolError(f"no document with doc_id {doc_id!r}: list_documents lists them")
        return wire(DocumentOut, document)

    return server


class McpHttp:
    """Streamable HTTP at /mcp behind the read key (`Authorization: Bearer` or `X-API-Key`), stateless."""

    def __init__(self, server: MCPServer, settings: Settings) -> None:
        security = None
        if settings.host not in ("127.0.0.1", "localhost", "::1"):
            # Bound beyond loopback: clients reach us by names we cannot list; the key protects the endpoint.
            security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
        self._security = security
        self._app: ASGIApp | None = None
        self._server = server
        self._settings = settings

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve for one lifespan of the API: a session manager runs once, so each lifespan gets its own."""
        self._app = self._server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True,
                                                     host=self._settings.host, transport_security=self._security)
        try:
            async with self._server.session_manager.run():
                yield
        finally:
            self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            try:
                check_read(self._settings, given_key(headers.get("x-api-key"), headers.get("authorization")))
            except HTTPException as exc:
                await _reject(send, exc.status_code, str(exc.detail))
                return
        if self._app is None:
            await _reject(send, 503, "the service is starting or stopping: MCP is not being served")
            return
        await self._app(scope, receive, send)


async def _reject(send: Send, status: int, message: str) -> None:
    """The key refusal as a JSON-RPC error body (what MCP clients read) with the HTTP status."""
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="articleqa"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
