"""ASGI middleware: request ids, one JSON log line per request, latency metrics, JSON 500s."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics import Metrics

access_log = logging.getLogger("articleqa.access")
error_log = logging.getLogger("articleqa.error")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "articleqa.request_id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id_of(scope: Scope) -> str:
    return str(scope.get(REQUEST_ID_KEY, ""))


def _incoming_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a safe token; a fresh one otherwise (no log injection)."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _VALID_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def _route_template(scope: Scope) -> str:
    """The matched route's path template (`/documents/{doc_id}`), so metrics labels stay few."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "<unmatched>"


class RequestLogMiddleware:
    """Outermost middleware: tags each request with an id, logs it, times it, and turns crashes into JSON."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = _incoming_id(scope)
        scope[REQUEST_ID_KEY] = rid
        status_code = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error in %s %s (request id %s)", scope["method"], scope["path"],
                                rid)
            status_code = 500
            if response_started:
                raise
            body = json.dumps({"detail": f"internal server error (request id {rid})"}).encode("utf-8")
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"x-request-id", rid.encode("latin-1"))]})
            await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            template = _route_template(scope)
            self.metrics.requests.labels(scope["method"], template, str(status_code)).observe(elapsed)
            record: dict[str, Any] = {
                "request_id": rid, "method": scope["method"], "path": scope["path"], "route": template,
                "status": status_code, "ms": round(elapsed * 1000.0, 2),
            }
            access_log.info(json.dumps(record, ensure_ascii=False))


class JsonLineFormatter(logging.Formatter):
    """Access records are JSON already; other records become {"ts", "level", "logger", "message"}."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name == access_log.name:
            try:
                payload = json.loads(message)
            except ValueError:
                payload = {"message": message}
        else:
            payload = {"level": record.levelname.lower(), "logger": record.name, "message": message}
            if record.exc_info:
                payload["exception"] = self.formatException(record.exc_info)
        payload = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), **payload}
        return json.dumps(payload, ensure_ascii=False)
