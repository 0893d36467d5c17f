"""create_app: the FastAPI service over one Engine (built at startup unless one is handed in)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware
from starlette.routing import Route

from index.engine import Engine, NotReady
from ingest.embedders import EmbeddingServiceError
from service.allocator import limit_malloc_arenas
from service.errors import install_error_handlers
from service.limits import ENVELOPE_BYTES, BodyLimitMiddleware
from service.mcp_server import McpHttp, build_mcp
from service.metrics import Metrics
from service.reindex import ReindexJob
from service.requestlog import REQUEST_ID_HEADER, RequestLogMiddleware
from service.rewrite import rewrite_from
from service.routes import dify, documents, feedback, health, openai_compat, reindex, search, stream
from service.settings import Settings
from service.state import ServiceState
from service.surrogates import SurrogateGuardMiddleware
from service.watch import start_watcher
from service.wiring import build_engine

log = logging.getLogger("articleqa.service")

DESCRIPTION = """
检索式问答服务:按语义与关键词检索中文文章段落,给出带精确出处(文档、章节、字符位置)的引用和摘录式答案。

* Reads (`/search`, `/ask`, `/documents`, `POST /feedback`) need `X-API-Key` only when
  `ARTICLEQA_API_KEY` is set (the admin key works too).
* Writes (`POST/DELETE /documents`, `/reindex`, `GET /feedback`) need `ARTICLEQA_ADMIN_KEY` in `X-API-Key`;
  with no admin key configured they answer 403.
* Errors are `{"detail": ...}`: 422 bad input, 401 missing key, 403 wrong key, 404, 409 busy, 413 too large,
  503 no index yet.
* Standard interfaces over the same core (docs/integrations.md): OpenAI-compatible chat at `/v1` (errors in
  OpenAI's shape), Dify's External Knowledge API at `POST /retrieval` (errors `{"error_code", "error_msg"}`)
  and MCP (streamable HTTP) at `/mcp`. Reads also take the key as `Authorization: Bearer <key>`.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app; with no engine given, one is built from settings at startup and closed at shutdown."""
    settings = settings or Settings()
    # Now, before request threads exist: glibc fixes its arena limit for good once it has 9 arenas.
    arenas = limit_malloc_arenas()
    if arenas is not None:
        log.info("malloc arenas capped at %d (MALLOC_ARENA_MAX; see docs/operations.md)", arenas)
    metrics = Metrics()
    state = ServiceState(settings=settings, metrics=metrics, reindex=ReindexJob(metrics), engine=engine)
    mcp_http = McpHttp(build_mcp(lambda: engine_of(state), rewrite_from(settings)), settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.engine is None:
            state.engine = await anyio.to_thread.run_sync(build_engine, settings)
            state.owns_engine = True
        await anyio.to_thread.run_sync(_warm, state.engine)
        if settings.watch:
            state.watcher = start_watcher(state.engine, settings)
        async with mcp_http.running():
            yield
        if state.watcher is not None:
            await anyio.to_thread.run_sync(state.watcher.stop)
        if not state.reindex.wait(timeout=5.0):
            log.warning("shutting down while reindex job %d still runs; its snapshot will not be published",
                        state.reindex.state().job)
        elif state.owns_engine and state.engine is not None:
            state.engine.close()

    middleware = [Middleware(RequestLogMiddleware, metrics=metrics)]
    if settings.cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
        ))
    middleware.append(Middleware(BodyLimitMiddleware, limit=settings.max_upload_bytes + ENVELOPE_BYTES, shapes=(
        ("/v1/", lambda message: openai_compat.openai_error(413, message).body),
        ("/retrieval", lambda message: dify.dify_error(413, message).body))))
    middleware.append(Middleware(SurrogateGuardMiddleware, skip_prefixes=("/mcp",)))

    app = FastAPI(title="articleqa", version="0.1.0", summary="中文文章检索问答 API", description=DESCRIPTION,
                  lifespan=lifespan, middleware=middleware)
    app.state.articleqa = state
    install_error_handlers(app)
    for module in (health, search, stream, documents, reindex, feedback, openai_compat, dify):
        app.include_router(module.router)
    app.router.routes.append(Route("/mcp", endpoint=mcp_http, methods=["GET", "POST", "DELETE"],
                                   include_in_schema=False))
    return app


def engine_of(state: ServiceState) -> Engine:
    if state.engine is None:
        raise NotReady("the service is starting: the search engine is not built yet")
    return state.engine


def _warm(engine: Engine) -> None:
    """Load jieba's dictionary (and its part-of-speech table, which follow-ups use) and the current snapshot now
    rather than on the first request."""
    for name in ("warm", "warm_tags"):
        warm = getattr(engine.segmenter, name, None)
        if callable(warm):
            warm()
    try:
        ready = engine.ready()
        if ready:
            engine.searcher().background()  # the "not covered" baseline: a few probe embeddings, now
    except EmbeddingServiceError as exc:  # the service starts anyway; /readyz answers 503 with this until it is up
        log.warning("embedding service unavailable, index not loaded yet: %s", exc)
        return
    if ready:
        log.info("index %s loaded from %s", engine.stats()["index_version"], engine.data_dir)
    else:
        log.warning("no index loaded from %s yet: run `articleqa ingest` or POST /reindex", engine.data_dir)
