"""POST /retrieval: Dify's External Knowledge API over the same Engine.search, with calibrated 0–1 scores."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from index.conditions import Condition, ConditionError, article_metadata, matching_doc_ids
from index.engine import Engine
from index.filters import NO_MATCH
from index.relevance import hit_relevance
from service.auth import check_read, given_key
from service.errors import ShapedError
from service.models import DifyError, DifyMetadataCondition, DifyRetrievalRequest, DifyRetrievalResponse
from service.routes.shaped import shaped_route
from service.state import get_engine, get_state

KNOWLEDGE_IDS = ("default",)
BAD_HEADER = "Invalid Authorization header format. Expected 'Bearer <api-key>' format."


def dify_error(status: int, message: str, what: str = "http", code: int | None = None) -> ShapedError:
    """`{"error_code", "error_msg"}`: 1001 (HTTP 401) no usable Authorization header, 1002 (403) wrong key,
    2001 (404) unknown knowledge_id; anything else carries its HTTP status as the code."""
    if what == "missing_key":
        status, code, message = 401, 1001, BAD_HEADER
    elif what == "wrong_key":
        status, code, message = 403, 1002, "Authorization failed: wrong API key"
    headers = {"Retry-After": "5"} if status in (409, 503) else None
    return ShapedError(status, {"error_code": code or status, "error_msg": message}, headers)


async def require_dify_key(request: Request, authorization: Annotated[str | None, Header()] = None,
                           x_api_key: Annotated[str | None, Header()] = None) -> None:
    """The read key as Dify sends it (`Authorization: Bearer <key>`), or in X-API-Key; none needed when reads
    are open."""
    key = given_key(x_api_key, authorization)
    try:
        check_read(get_state(request).settings, key)
    except HTTPException as exc:
        raise dify_error(exc.status_code, str(exc.detail), "missing_key" if exc.status_code == 401 else
                         "wrong_key") from exc


router = APIRouter(tags=["dify"], dependencies=[Depends(require_dify_key)], route_class=shaped_route(dify_error),
                   responses={code: {"model": DifyError, "description": why} for code, why in {
                       401: "1001: no `Authorization: Bearer <key>` header", 403: "1002: wrong key",
                       404: "2001: unknown knowledge_id",
                       413: "body over ARTICLEQA_MAX_UPLOAD_BYTES",
                       422: "invalid request (empty query, top_k outside 1–50, a bad condition)",
                       503: "no index loaded yet"}.items()})


@router.post("/retrieval", response_model=DifyRetrievalResponse,
             summary="Dify External Knowledge API: the passages for a query, scored 0–1")
def retrieval(body: DifyRetrievalRequest, request: Request,
              engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """`knowledge_id` is `default` (every article). `score` is calibrated: the search's "covered" confidence
    computed on each passage (0.5 is the line between covering the query and probably not), so Dify's
    `score_threshold` means the same on every query. `metadata_condition` filters articles by title,
    publisher, url, published_at, updated_at or doc_id before the search."""
    if body.knowledge_id not in KNOWLEDGE_IDS:
        raise dify_error(404, f"The knowledge does not exist: {body.knowledge_id!r} (use one of "
                              f"{', '.join(KNOWLEDGE_IDS)})", code=2001)
    started = time.perf_counter()
    doc_ids = _filtered(engine, body.metadata_condition)
    if doc_ids == [NO_MATCH]:
        return {"records": []}
    result = engine.search(body.query, top_k=body.retrieval_setting.top_k, doc_ids=doc_ids)
    scores = hit_relevance(engine.searcher(), result)
    get_state(request).metrics.search.labels("retrieval").observe(time.perf_counter() - started)
    meta = article_metadata(engine.catalog, sorted({h.doc_id for h in result.hits}))
    threshold = body.retrieval_setting.score_threshold
    records = []
    for hit, score in zip(result.hits, scores, strict=True):
        if score < threshold:
            continue
        article = meta.get(hit.doc_id, {})
        records.append({"content": hit.text, "score": score, "title": hit.citation.title, "metadata": {
            **asdict(hit.citation), "passage_id": hit.passage_id,
            "publisher": article.get("publisher", ""), "published_at": article.get("published_at", ""),
            "fusion_score": hit.score, "dense_score": hit.dense_score, "keyword_score": hit.keyword_score,
            "latent_score": hit.latent_score}})
    return {"records": records}


def _filtered(engine: Engine, mc: DifyMetadataCondition | None) -> list[str] | None:
    """The articles the metadata condition admits (None: no condition; [NO_MATCH]: none)."""
    if mc is None or not mc.conditions:
        return None
    conditions = [Condition(tuple(c.name) if isinstance(c.name, list) else (c.name,), c.comparison_operator,
                            tuple(c.value) if isinstance(c.value, list) else c.value) for c in mc.conditions]
    try:
        ids = matching_doc_ids(engine.catalog, conditions, mc.logical_operator or "and")
    except ConditionError as exc:
        raise dify_error(422, f"metadata_condition: {exc}") from exc
    return ids or [NO_MATCH]
