"""JSON bodies holding a lone surrogate (valid JSON, not valid Unicode) are refused with a 422 naming the field."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A \uD800–\uDFFF escape: only bodies holding one need the full check.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class LoneSurrogate(HTTPException):
    """Raised from `receive` when the JSON body holds a lone surrogate; FastAPI answers it as a 422."""

    def __init__(self, where: str, char: str) -> None:
        self.where = where
        super().__init__(422, lone_surrogate_message(where, char))


def lone_surrogate_message(where: str, char: str) -> str:
    return (f"{where} holds a lone surrogate (\\u{ord(char):04x}): that is not Unicode text and cannot be "
            "searched or stored; send the text as UTF-8 (or escape only complete surrogate pairs)")


def find_lone_surrogate(value: Any, path: str = "") -> tuple[str, str] | None:
    """(where, the character) of the first string in a parsed JSON value that is not valid Unicode."""
    if isinstance(value, str):
        for ch in value:
            if "\ud800" <= ch <= "\udfff":
                return (path or "the body", ch)
        return None
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and (found := find_lone_surrogate(key, f"{path}.{key}" if path else key)):
            return (f"a key in {path or 'the body'}", found[1])
        where = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
        if found := find_lone_surrogate(item, where):
            return found
    return None


def check_json_body(body: bytes) -> None:
    """LoneSurrogate if `body` is JSON with a lone surrogate anywhere; anything else is left to the route."""
    if not _SURROGATE_ESCAPE.search(body):
        return
    try:
        value = json.loads(body)
    except ValueError:
        return  # malformed JSON: the route's own parser says so
    found = find_lone_surrogate(value)
    if found is not None:
        where, char = found
        raise LoneSurrogate(f'"{where}"' if where != "the body" else where, char)


class SurrogateGuardMiddleware:
    """Checks JSON request bodies as the route reads them; MCP's own JSON-RPC parser handles /mcp."""

    def __init__(self, app: ASGIApp, skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope) or str(scope.get("path", "")).startswith(
                self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def checking_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    check_json_body(b"".join(chunks))
            return message

        await self.app(scope, checking_receive, send)


def _is_json(scope: Scope) -> bool:
    """JSON or no content type at all (FastAPI parses a body without one as JSON)."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return True
