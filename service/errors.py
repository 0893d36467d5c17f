"""Core exceptions mapped to HTTP answers `{"detail": ...}`: bad input 422, busy 409, not ready 503."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


def install_error_handlers(app: FastAPI) -> None:
    for cls in _STATUS:
        app.add_exception_handler(cls, _handle)
