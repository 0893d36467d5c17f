"""Core exceptions mapped to HTTP answers `{"detail": ...}`: bad input 422, busy 409, not ready 503."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from index.engine import NotReady, ReadOnly
from index.errors import BackendUnavailable, IndexUnusable
from index.lock import LockTimeout
from index.searcher import QueryError
from ingest.decoding import DecodeError
from ingest.embedders import EmbeddingServiceError
from ingest.readers import ArticleError
from service.reindex import ReindexRunning

_STATUS: dict[type[Exception], int] = {
    QueryError: 422,
    ArticleError: 422,
    DecodeError: 422,
    ReadOnly: 403,
    LockTimeout: 409,
    ReindexRunning: 409,
    NotReady: 503,
    IndexUnusable: 503,
    BackendUnavailable: 503,
    EmbeddingServiceError: 503,
}


class ShapedError(HTTPException):
    """An error answered in the body shape of the interface the client speaks (OpenAI's, Dify's)."""

    def __init__(self, status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, str(body), headers)
        self.body = body


def status_for(exc: Exception) -> int:
    """The HTTP status a core exception is answered with (500 for anything unexpected)."""
    return next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)


def detail_for(exc: Exception) -> str:
    return _detail(exc)


def core_errors() -> tuple[type[Exception], ...]:
    """The core exceptions that have an answer other than 500."""
    return tuple(_STATUS)


def _detail(exc: Exception) -> str:
    if isinstance(exc, IndexUnusable):
        return f"the index cannot be loaded: {exc}"
    if isinstance(exc, LockTimeout):
        return f"the index is busy, try again later: {exc}"
    return str(exc)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status = status_for(exc)
    headers = {"Retry-After": "5"} if status in (409, 503) else None
    return JSONResponse({"detail": _detail(exc)}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Bodies FastAPI or Starlette cannot parse (400) are bad input like any other: 422."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        return JSONResponse({"detail": f"malformed request body ({exc.detail}): send UTF-8 JSON or a valid "
                                       "multipart/form-data body"}, status_code=422)
    return await http_exception_handler(request, exc)


async def _shaped(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShapedError)
    return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    for cls in _STATUS:
        app.add_exception_handler(cls, _handle)
    app.add_exception_handler(ShapedError, _shaped)
    app.add_exception_handler(HTTPException, _http_error)
