"""Core exceptions mapped to HTTP answers `{"detail": ...}`: bad input 422, busy 409, not ready 503."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from index.backend import BackendUnavailable
from index.engine import NotReady
from index.lock import LockTimeout
from index.searcher import QueryError
from index.snapshot import SnapshotError
from ingest.decoding import DecodeError
from ingest.readers import ArticleError
from service.reindex import ReindexRunning

_STATUS: dict[type[Exception], int] = {
    QueryError: 422,
    ArticleError: 422,
    DecodeError: 422,
    LockTimeout: 409,
    ReindexRunning: 409,
    NotReady: 503,
    SnapshotError: 503,
    BackendUnavailable: 503,
}


def _detail(exc: Exception) -> str:
    if isinstance(exc, SnapshotError):
        return f"the index cannot be loaded: {exc}"
    if isinstance(exc, LockTimeout):
        return f"the index is busy, try again later: {exc}"
    return str(exc)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 500)
    headers = {"Retry-After": "5"} if status in (409, 503) else None
    return JSONResponse({"detail": _detail(exc)}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Bodies FastAPI or Starlette cannot parse (400) are bad input like any other: 422."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        return JSONResponse({"detail": f"malformed request body ({exc.detail}): send UTF-8 JSON or a valid "
                                       "multipart/form-data body"}, status_code=422)
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    for cls in _STATUS:
        app.add_exception_handler(cls, _handle)
    app.add_exception_handler(HTTPException, _http_error)
