"""A lone surrogate (`"\\ud800"`, valid JSON but not Unicode) in any JSON body of any operation: a clear 4xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.searcher import QueryError, validate_query
from service.app import create_app
from service.surrogates import find_lone_surrogate
from tests.helpers.live_server import ADMIN_KEY, make_settings

SPEC = create_app(make_settings(Path("unused"))).openapi()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema behind a $ref, or the first non-null alternative of an anyOf."""
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = SPEC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        return resolved
    return schema


def _example(schema: dict[str, Any]) -> Any:
    """The schema's first example, else a value built from its properties (strings, lists and objects)."""
    schema = _resolve(schema)
    if schema.get("examples"):
        return schema["examples"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: _example(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {"type": "string"}))]
    return "信用卡" if kind == "string" else schema.get("default")


def _json_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, an example body) of every operation that takes a JSON body."""
    out = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            out.append((method.upper(), path, _example(content["application/json"]["schema"])))
    return out


def _poison(value: Any) -> tuple[Any, bool]:
    """The value with a lone surrogate put in front of its first non-empty string."""
    if isinstance(value, str) and value:
        return "\ud800" + value, True
    if isinstance(value, dict):
        out, done = {}, False
        for k, v in value.items():
            out[k], hit = (v, False) if done else _poison(v)
            done = done or hit
        return out, done
    if isinstance(value, list):
        items, done = [], False
        for v in value:
            new, hit = (v, False) if done else _poison(v)
            items.append(new)
            done = done or hit
        return items, done
    return value, False


OPERATIONS = _json_operations()


def test_every_new_interface_is_covered() -> None:
    assert {p for _, p, _ in OPERATIONS} >= {"/search", "/ask", "/ask/stream", "/documents", "/feedback",
                                             "/v1/chat/completions", "/retrieval"}


@pytest.mark.parametrize(("method", "path", "example"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_lone_surrogate_in_a_json_body_is_a_clear_4xx(client: httpx.Client, method: str, path: str,
                                                      example: dict[str, Any]) -> None:
    body, poisoned = _poison(example)
    if not poisoned:  # a body with no string field: an extra one (ignored by the model) carries it
        body, poisoned = {**body, "note": "\ud800"}, True
    raw = json.dumps(body, ensure_ascii=True).encode("ascii")  # "\ud800" travels as an escape, as in the issue
    assert b"\\ud800" in raw
    r = client.request(method, path, content=raw, headers={
        "X-API-Key": ADMIN_KEY, "Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
    assert r.status_code in (400, 422), (path, r.status_code, r.text[:300])
    assert "lone surrogate" in r.text and "\\ud800" in r.text


def test_the_issue_example_on_search_and_ask(client: httpx.Client) -> None:
    for path, field in (("/search", "query"), ("/ask", "question")):
        r = client.post(path, content=f'{{"{field}": "\\ud800信用卡"}}'.encode(), headers={
            "X-API-Key": ADMIN_KEY, "Content-Type": "application/json"})
        assert r.status_code == 422
        assert r.json()["detail"].startswith(f'"{field}" holds a lone surrogate (\\ud800)')
    # Complete surrogate pairs are ordinary text (an emoji), not refused.
    r = client.post("/search", content=b'{"query": "\\ud83d\\ude00\\u4fe1\\u7528\\u5361"}', headers={
        "X-API-Key": ADMIN_KEY, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_body_without_content_type_is_checked_too(client: httpx.Client) -> None:
    r = client.post("/search", content=b'{"query": "\\udfff"}', headers={"X-API-Key": ADMIN_KEY})
    assert r.status_code == 422 and "lone surrogate" in r.text


def test_undecodable_query_string_is_not_a_5xx(client: httpx.Client) -> None:
    r = client.get("/search?q=%ED%A0%80%E4%BF%A1%E7%94%A8%E5%8D%A1", headers={"X-API-Key": ADMIN_KEY})
    assert r.status_code < 500


def test_core_refuses_a_lone_surrogate_query() -> None:
    with pytest.raises(QueryError, match="lone surrogate"):
        validate_query("\udc00信用卡", 5)
    assert validate_query(" 信用卡\U0001f600 ", 5) == "信用卡\U0001f600"


def test_find_lone_surrogate_names_the_field() -> None:
    assert find_lone_surrogate({"a": [1, {"b": "x\ud800"}]}) == ("a[1].b", "\ud800")
    assert find_lone_surrogate({"a": "fine 😀"}) is None
    assert find_lone_surrogate({"\udc01": 1})[0] == "a key in the body"  # type: ignore[index]
