"""Request body cap: refuse by Content-Length before reading, and count bytes of bodies sent without it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Room for the multipart envelope and the small form fields around an article of max_upload_bytes.
ENVELOPE_BYTES = 64 * 1024


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the cap; FastAPI answers it as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return (f"request body is over the {limit}-byte limit (ARTICLEQA_MAX_UPLOAD_BYTES plus {ENVELOPE_BYTES} "
            "bytes of envelope)")


class BodyLimitMiddleware:
    """413 for any request whose body is larger than `limit` bytes; `shapes` give the body for paths under a
    prefix that answer errors in another interface's shape (OpenAI's, Dify's), `{"detail"}` elsewhere."""

    def __init__(self, app: ASGIApp, limit: int,
                 shapes: tuple[tuple[str, Callable[[str], dict[str, Any]]], ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.shapes = shapes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            path = str(scope.get("path", ""))
            shape = next((f for prefix, f in self.shapes if path.startswith(prefix)), None)
            await _send_413(send, self.limit, shape)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(send: Send, limit: int, shape: Callable[[str], dict[str, Any]] | None = None) -> None:
    message = too_large_message(limit)
    body = json.dumps(shape(message) if shape else {"detail": message}).encode("utf-8")
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
