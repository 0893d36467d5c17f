"""A route class that answers every error of its routes in one interface's body shape (OpenAI's, Dify's)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from service.errors import ShapedError, core_errors, detail_for, status_for

# (HTTP status, message, what happened) → the interface's error; "what" is one of
# validation, missing_key, wrong_key, http, core.
Shape = Callable[[int, str, str], ShapedError]


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg', '')}" if loc else str(err.get("msg", "")))
    return "; ".join(parts) or "invalid request"


def shaped_route(shape: Shape) -> type[APIRoute]:
    """An APIRoute subclass whose handler turns validation, key, HTTP and core errors into `shape`'s body."""

    class ShapedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def shaped(request: Request) -> Response:
                try:
                    return await handler(request)
                except ShapedError:
                    raise
                except RequestValidationError as exc:
                    raise shape(422, validation_message(exc), "validation") from exc
                except HTTPException as exc:
                    if exc.status_code == 400:  # a body FastAPI cannot parse is bad input like any other
                        raise shape(422, f"malformed request body ({exc.detail}): send UTF-8 JSON",
                                    "validation") from exc
                    what = "http"
                    if exc.status_code == 401:
                        what = "missing_key"
                    elif exc.status_code == 403 and "key" in str(exc.detail).lower():
                        what = "wrong_key"
                    raise shape(exc.status_code, str(exc.detail), what) from exc
                except core_errors() as exc:
                    raise shape(status_for(exc), detail_for(exc), "core") from exc

            return shaped

    return ShapedRoute
