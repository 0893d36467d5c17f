"""Hybrid search and extractive answers over the current snapshot (read key when one is set)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from index.conversation import Turn
from index.engine import Engine
from index.filters import DocFilters
from index.searcher import MAX_QUERY_CHARS, MAX_TOP_K, validate_query
from service.auth import require_read
from service.filters import doc_filters, query_filters
from service.models import AskRequest, AskResponse, SearchRequest, SearchResponse, turns_of, wire
from service.rewrite import rewrite_from
from service.routes.docs import READ, errors
from service.state import get_engine, get_state

_QUERY_SCHEMA = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"}

router = APIRouter(tags=["search"], dependencies=[Depends(require_read)], responses=errors(*READ, 503))


@router.post("/search", response_model=SearchResponse, summary="Search passages (hybrid: meaning + keywords)")
def search_post(body: SearchRequest, request: Request,
                engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    return _search(request, engine, body.query, body.top_k, body.doc_ids, turns_of(body.history),
                   filters=doc_filters(body.filters))


@router.get("/search", response_model=SearchResponse, summary="Search passages (query string form)")
def search_get(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    filters: Annotated[DocFilters | None, Depends(query_filters)],
    q: Annotated[str, Query(description=f"the query, 1–{MAX_QUERY_CHARS} characters after trimming",
                            examples=["信用卡产品经理需要哪些技能"],
                            json_schema_extra=_QUERY_SCHEMA)],
    top_k: Annotated[int, Query(ge=1, le=MAX_TOP_K)] = 5,
    doc_ids: Annotated[list[str] | None, Query(description="repeat to search only these documents")] = None,
) -> dict[str, Any]:
    validate_query(q, top_k)  # 422 for bad input even while no index is loaded
    return _search(request, engine, q, top_k, doc_ids, filters=filters)


@router.post("/ask", response_model=AskResponse, summary="Answer a question by quoting the articles")
def ask(body: AskRequest, request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """Extractive: the answer is one or two sentences quoted from the best passages, each with its citation.
    When the articles do not cover the question, `answerable` is false, the answer is
    文章中没有找到相关内容。 and there are no citations."""
    started = time.perf_counter()
    state = get_state(request)
    answer = engine.ask(body.question, top_k=body.top_k, doc_ids=body.doc_ids, filters=doc_filters(body.filters),
                        history=turns_of(body.history),
                        rewrite=rewrite_from(state.settings))
    state.metrics.search.labels("ask").observe(time.perf_counter() - started)
    return wire(AskResponse, answer)


def _search(request: Request, engine: Engine, query: str, top_k: int,
            doc_ids: list[str] | None, history: list[Turn] | None = None,
            filters: DocFilters | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    state = get_state(request)
    result = engine.search(query, top_k=top_k, doc_ids=doc_ids, filters=filters, history=history,
                           rewrite=rewrite_from(state.settings))
    state.metrics.search.labels("search").observe(time.perf_counter() - started)
    return wire(SearchResponse, result)
