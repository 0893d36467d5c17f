"""A minimal streaming client for OpenAI-compatible chat completions (`POST {base_url}/chat/completions`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


class LlmError(RuntimeError):
    """The model server could not be reached or answered with an error; the message says which."""


async def stream_chat(base_url: str, model: str, messages: list[dict[str, str]], *, api_key: str = "",
                      timeout: float = 60.0, temperature: float = 0.0,
                      transport: httpx.AsyncBaseTransport | None = None) -> AsyncIterator[str]:
    """Yield the text deltas of one streamed chat completion."""
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Accept": "text/event-stream"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    body: dict[str, Any] = {"model": model or "default", "messages": messages, "stream": True,
                            "temperature": temperature}
    try:
        async with (httpx.AsyncClient(timeout=timeout, transport=transport) as client,
                    client.stream("POST", url, json=body, headers=headers) as response):
            if response.status_code != 200:
                text = (await response.aread()).decode("utf-8", errors="replace")[:300]
                raise LlmError(f"{url} answered HTTP {response.status_code}: {text}")
            async for line in response.aiter_lines():
                delta = _delta(line)
                if delta is None:
                    break
                if delta:
                    yield delta
    except httpx.HTTPError as exc:
        raise LlmError(f"{url}: {type(exc).__name__}: {exc}") from exc


def _delta(line: str) -> str | None:
    """The text of one SSE line ('' for comments, keep-alives and role-only chunks; None at [DONE])."""
    if not line.startswith("data:"):
        return ""
    payload = line[5:].strip()
    if payload == "[DONE]":
        return None
    try:
        chunk = json.loads(payload)
        content = chunk["choices"][0].get("delta", {}).get("content")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""
    return content if isinstance(content, str) else ""
