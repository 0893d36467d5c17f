"""Property-based run of every operation of the app's own OpenAPI schema: no 5xx, answers match the docs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.wiring import build_engine
from tests.helpers.live_server import ADMIN, ADMIN_KEY, copy_data_dir, make_settings

MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

TINY = "珊瑚礁保护\n\n一、白化\n\n海水升温会让珊瑚白化,保护珊瑚礁需要控制污染。\n"


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path
) -> Iterator[schemathesis.BaseSchema]:
    """The schema of an in-process app over a private copy of the index (writes there are thrown away)."""
    root = tmp_path_factory.mktemp("fuzz")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "coral.txt").write_text(TINY, encoding="utf-8")
    data_dir = copy_data_dir(built_data_dir, root / "data")
    settings = make_settings(
        data_dir, corpus_dir=corpus, admin_key=ADMIN_KEY, max_upload_bytes=32 * 1024, lock_timeout=2.0
    )
    # The engine is handed in: schemathesis ends the app's lifespan after each test, the engine lives on.
    engine = build_engine(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, engine=engine))
    schema.config.generation.update(max_examples=MAX_EXAMPLES)
    yield schema
    engine.close()


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every documented operation, negative mode only where there is input to break;
    building an app without starting it is cheap."""
    spec = create_app(make_settings(Path("unused"))).openapi()
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            out.append((method.upper(), path, GenerationMode.POSITIVE))
            if op.get("parameters") or op.get("requestBody"):
                out.append((method.upper(), path, GenerationMode.NEGATIVE))
    return out


@pytest.mark.parametrize(("method", "path", "mode"), _cases(), ids=lambda v: getattr(v, "value", v))
def test_api_conforms_to_its_schema(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=ADMIN, checks=CHECKS)

    run()


def _json_body_operations() -> list[tuple[str, str]]:
    spec = create_app(make_settings(Path("unused"))).openapi()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method, op in item.items()
            if "application/json" in op.get("requestBody", {}).get("content", {})]


def _with_lone_surrogate(value: object) -> tuple[object, bool]:
    """The body with "\\ud800" in front of its first non-empty string (valid JSON, not Unicode text)."""
    if isinstance(value, str) and value:
        return "\ud800" + value, True
    if isinstance(value, dict):
        out, done = {}, False
        for k, v in value.items():
            out[k], hit = (v, False) if done else _with_lone_surrogate(v)
            done = done or hit
        return out, done
    if isinstance(value, list):
        items, done = [], False
        for v in value:
            new, hit = (v, False) if done else _with_lone_surrogate(v)
            items.append(new)
            done = done or hit
        return items, done
    return value, False


@pytest.mark.parametrize(("method", "path"), _json_body_operations())
def test_lone_surrogates_in_generated_bodies_are_documented_4xx(
    api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    """Generated valid bodies with a lone surrogate put in: never a 5xx, a 4xx naming the surrogate."""
    operation = api_schema[path][method]
    client = TestClient(api_schema.app)  # the schema's own app; its engine was handed in, so no lifespan needed
    sent = []

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        if case.media_type != "application/json" or not isinstance(case.body, dict | list):
            return
        body, poisoned = _with_lone_surrogate(case.body)
        if not poisoned and isinstance(body, dict):
            body, poisoned = {**body, "note": "\ud800"}, True
        # Sent as escaped JSON by hand: schemathesis revalidates a changed body and cannot encode the surrogate.
        raw = json.dumps(body, ensure_ascii=True).encode("ascii")
        response = client.request(method, path, content=raw, headers={**ADMIN, "Content-Type": "application/json"})
        assert response.status_code in (400, 422), (path, response.status_code, response.text[:200])
        assert "lone surrogate" in response.text
        sent.append(path)

    run()
    assert sent, f"no JSON body was generated for {method} {path}"
