"""LLM rewrite of a follow-up into a stand-alone question (OpenAI-compatible; ARTICLEQA_LLM_BASE_URL)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from index.conversation import Rewrite, Turn
from service.llm import LlmError
from service.settings import Settings

_SYSTEM = ("你把对话中的追问改写成一个独立、完整的中文问题,补全追问省略或指代的对象。"
           "只输出改写后的问题本身,不要回答,不要解释。追问与前文无关时,原样输出追问。")
_MAX_REWRITE_CHARS = 200


def llm_rewrite(base_url: str, model: str, api_key: str = "", timeout: float = 20.0,
                transport: httpx.BaseTransport | None = None) -> Rewrite:
    """A rewrite function calling `POST {base_url}/chat/completions`; raises LlmError on any failure."""
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def rewrite(history: Sequence[Turn], question: str) -> str:
        lines = [f"{'用户' if t.role == 'user' else '助手'}: {t.content[:500]}" for t in history[-6:]]
        prompt = "对话:\n" + "\n".join(lines) + f"\n\n追问: {question}\n\n改写后的问题:"
        body = {"model": model or "default", "stream": False, "temperature": 0.0,
                "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}]}
        try:
            with httpx.Client(timeout=timeout, transport=transport) as client:
                response = client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise LlmError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise LlmError(f"{url} answered HTTP {response.status_code}: {response.text[:300]}")
        try:
            text = str(response.json()["choices"][0]["message"]["content"]).strip()
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LlmError(f"{url}: unexpected answer ({type(exc).__name__})") from exc
        text = text.splitlines()[0].strip() if text else ""
        if not text or len(text) > _MAX_REWRITE_CHARS:
            raise LlmError(f"{url}: the rewrite is empty or longer than {_MAX_REWRITE_CHARS} characters")
        return text

    return rewrite


def rewrite_from(settings: Settings) -> Rewrite | None:
    """The configured LLM rewrite, or None (the rule reads follow-ups)."""
    if not settings.llm_base_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    return llm_rewrite(settings.llm_base_url, settings.llm_model, api_key=key)
