"""OpenAI-compatible chat: GET /v1/models and POST /v1/chat/completions (plain or SSE) over the same Engine.ask."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from index.conversation import MAX_TURN_CHARS, MAX_TURNS, HistoryError, Turn
from index.engine import Engine
from index.types import Answer
from service.auth import require_read
from service.citations import generated_references, marked_pieces, quote_references
from service.errors import ShapedError
from service.filters import doc_filters
from service.grounded import build_messages, says_not_covered
from service.llm import LlmError, stream_chat
from service.models import ChatCompletion, ChatCompletionRequest, ModelList, OpenAIError
from service.rewrite import rewrite_from
from service.routes.shaped import shaped_route
from service.settings import Settings
from service.state import get_engine, get_state

log = logging.getLogger("articleqa.llm")

EXTRACTIVE_MODEL = "articleqa"
LLM_MODEL = "articleqa-llm"
_CREATED = 1767225600  # the models' fixed creation time (2026-01-01)

_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error",
          404: "invalid_request_error", 409: "server_error", 413: "invalid_request_error",
          422: "invalid_request_error", 503: "server_error"}


def openai_error(status: int, message: str, what: str = "http", code: str | None = None) -> ShapedError:
    """`{"error": {"message", "type", "code"}}`; bad input is a 400 and a missing or wrong key a 401, as
    OpenAI answers them (its clients raise BadRequestError / AuthenticationError)."""
    if what in ("missing_key", "wrong_key"):
        status, code = 401, code or "invalid_api_key"
    elif status == 422:
        status, code = 400, code or "invalid_request"
    code = code or {409: "busy", 413: "request_too_large", 503: "not_ready"}.get(status)
    headers = {"Retry-After": "5"} if status in (409, 503) else None
    return ShapedError(status, {"error": {"message": message, "type": _TYPES.get(status, "server_error"),
                                          "param": None, "code": code}}, headers)


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": OpenAIError, "description": why} for code, why in {
        400: "bad request: no user message, an empty or too long question, a lone surrogate",
        401: "key missing or wrong (`Authorization: Bearer <key>` or `X-API-Key`)",
        404: "unknown model", 413: "body over ARTICLEQA_MAX_UPLOAD_BYTES", 503: "no index loaded yet"}.items()}

router = APIRouter(prefix="/v1", tags=["openai-compatible"], dependencies=[Depends(require_read)],
                   route_class=shaped_route(openai_error), responses=_ERRORS)


def model_ids(settings: Settings) -> list[str]:
    """One model per answer mode: extractive always, generated when an LLM is configured."""
    return [EXTRACTIVE_MODEL, *([LLM_MODEL] if settings.llm_base_url else [])]


@router.get("/models", response_model=ModelList, summary="The answer modes, as OpenAI models")
def list_models(request: Request) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": m, "object": "model", "created": _CREATED, "owned_by": "articleqa"}
                                       for m in model_ids(get_state(request).settings)]}


_STREAM_DOC = """With `"stream": true` the answer comes as server-sent events in OpenAI's format:
`data: {"object": "chat.completion.chunk", "choices": [{"delta": {"content": "…"}}]}` chunks, a last chunk
with `"finish_reason": "stop"`, the top-level `references`, `followup` and `searched_query`, then `data: [DONE]`."""


@router.post("/chat/completions", response_model=ChatCompletion,
             summary="Answer the last user message (extractive with [n] markers, or generated)",
             description=f"{ChatCompletion.__doc__}\n\n{_STREAM_DOC}",
             responses={200: {"content": {"text/event-stream": {}, "application/json": {}},
                              "description": "the completion, or its chunks when `stream` is true"}})
async def chat_completions(body: ChatCompletionRequest, request: Request,
                           engine: Annotated[Engine, Depends(get_engine)]) -> Any:
    state = get_state(request)
    if body.model not in model_ids(state.settings):
        raise openai_error(404, f"the model {body.model!r} does not exist here; GET /v1/models lists "
                                f"{', '.join(model_ids(state.settings))}", code="model_not_found")
    question, history = split_messages(body)
    rewrite = rewrite_from(state.settings)
    started = time.perf_counter()
    try:
        answer = await anyio.to_thread.run_sync(
            lambda: engine.ask(question, top_k=body.top_k, doc_ids=body.doc_ids, filters=doc_filters(body.filters),
                               history=history, rewrite=rewrite))
    except HistoryError as exc:
        raise openai_error(400, f"messages: {exc}", code="invalid_history") from exc
    state.metrics.search.labels("chat").observe(time.perf_counter() - started)
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    pieces = _pieces(answer, body.model, state.settings)
    reading = {"followup": answer.followup, "searched_query": answer.searched_query or answer.question}
    if body.stream:
        return StreamingResponse(_chunks(cid, body.model, pieces, reading), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    parts: list[str] = []
    references: list[dict[str, Any]] = []
    async for text, refs in pieces:
        if refs is None:
            parts.append(text)
        else:
            references = refs
    return {"id": cid, "object": "chat.completion", "created": int(time.time()), "model": body.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "".join(parts)}}],
            "references": references, **reading}


def split_messages(body: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    """The last user message (the question) and the user/assistant turns before it (its history): the
    last MAX_TURNS of them, each cut to MAX_TURN_CHARS (chat front ends send whole conversations)."""
    last = next((i for i in range(len(body.messages) - 1, -1, -1) if body.messages[i].role == "user"), None)
    if last is None:
        raise openai_error(400, "messages hold no user message: the last user message is the question",
                           code="no_user_message")
    history = [Turn(m.role, m.text()[:MAX_TURN_CHARS]) for m in body.messages[:last]
               if m.role in ("user", "assistant") and m.text().strip()]
    return body.messages[last].text(), history[-MAX_TURNS:]


Piece = tuple[str, list[dict[str, Any]] | None]  # (text, None) … then ("", references) last


async def _pieces(answer: Answer, model: str, settings: Settings) -> AsyncIterator[Piece]:
    """The reply in pieces, then the references; generated only for the LLM model and a covered question."""
    if model != LLM_MODEL or not answer.answerable:
        for piece in marked_pieces(answer):
            yield piece, None
        yield "", quote_references(answer)
        return
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    parts: list[str] = []
    try:
        async for delta in stream_chat(settings.llm_base_url, settings.llm_model,
                                       build_messages(answer.question, answer.hits), api_key=key):
            parts.append(delta)
            yield delta, None
    except LlmError as exc:
        log.warning("generation failed, answering with the extractive answer: %s", exc)
    text = "".join(parts)
    if not text.strip():  # the model failed before any text, or said nothing
        for piece in marked_pieces(answer):
            yield piece, None
        yield "", quote_references(answer)
        return
    yield "", [] if says_not_covered(text) else generated_references(text, answer.hits)


async def _chunks(cid: str, model: str, pieces: AsyncIterator[Piece],
                  reading: dict[str, Any]) -> AsyncIterator[str]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    async for text, refs in pieces:
        if refs is None:
            yield chunk({"content": text})
        else:
            yield chunk({}, "stop", references=refs, **reading)
    yield "data: [DONE]\n\n"
