"""POST /retrieval against Dify's External Knowledge API contract, with requests shaped as Dify sends them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers.live_server import READ_KEY, Api
from tests.service.test_openai_compat import declared_too_large

DIFY = {"Content-Type": "application/json", "Authorization": f"Bearer {READ_KEY}"}
COVERED = "信用卡产品经理需要哪些技能?"
NOT_COVERED = "量子计算机的基本原理是什么?"


def dify_body(query: str, top_k: int = 5, threshold: float = 0.0, **extra: Any) -> dict[str, Any]:
    """What Dify's ExternalDatasetService posts: retrieval_setting first, then query and knowledge_id;
    metadata_condition only when set (its model_dump, every key present)."""
    return {"retrieval_setting": {"top_k": top_k, "score_threshold": threshold}, "query": query,
            "knowledge_id": "default", **extra}


def retrieve(api: Api, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    with api.client() as c:
        return c.post("/retrieval", json=body, headers=DIFY if headers is None else headers)


def test_records_follow_the_contract(api: Api) -> None:
    r = retrieve(api, dify_body(COVERED, top_k=3))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    records = r.json()["records"]
    assert 0 < len(records) <= 3
    for rec in records:
        assert set(rec) == {"content", "score", "title", "metadata"}
        assert isinstance(rec["content"], str) and rec["content"]
        assert isinstance(rec["score"], float) and 0.0 <= rec["score"] <= 1.0
        assert isinstance(rec["metadata"], dict)
        meta = rec["metadata"]
        assert {"doc_id", "passage_id", "title", "url", "section", "paragraph", "char_start", "char_end"} <= set(meta)
        assert rec["title"] == meta["title"]


def test_records_are_the_search_hits(api: Api) -> None:
    records = retrieve(api, dify_body(COVERED, top_k=4)).json()["records"]
    with api.client() as c:
        hits = c.post("/search", json={"query": COVERED, "top_k": 4}, headers=DIFY).json()["results"]
    assert [r["metadata"]["passage_id"] for r in records] == [h["passage_id"] for h in hits]
    assert [r["content"] for r in records] == [h["text"] for h in hits]


def test_score_is_calibrated_not_the_fusion_score(api: Api) -> None:
    covered = retrieve(api, dify_body(COVERED)).json()["records"]
    off_topic = retrieve(api, dify_body(NOT_COVERED)).json()["records"]
    assert covered[0]["score"] >= 0.5  # the line /search draws with low_confidence
    assert off_topic and all(r["score"] < 0.5 for r in off_topic)
    assert any(r["metadata"]["fusion_score"] > 1.0 for r in covered)  # the z-score sum is not a 0–1 score
    with httpx.Client(base_url=api.base_url) as c:
        search = c.post("/search", json={"query": COVERED, "top_k": 5}, headers=DIFY).json()
    assert covered[0]["score"] == pytest.approx(search["confidence"], abs=0.15)


def test_score_threshold_drops_weaker_records(api: Api) -> None:
    records = retrieve(api, dify_body(COVERED, top_k=10, threshold=0.5)).json()["records"]
    assert records and all(r["score"] >= 0.5 for r in records)
    assert retrieve(api, dify_body(NOT_COVERED, threshold=0.5)).json() == {"records": []}


def _condition(name: Any, op: str, value: Any) -> dict[str, Any]:
    return {"name": name, "comparison_operator": op, "value": value}


def test_metadata_condition_filters_articles(api: Api) -> None:
    def docs(*conditions: dict[str, Any], logical: str = "and") -> set[str]:
        mc = {"logical_operator": logical, "conditions": list(conditions)}
        r = retrieve(api, dify_body("产品经理需要哪些能力?", top_k=10, metadata_condition=mc))
        assert r.status_code == 200, r.text
        return {rec["metadata"]["doc_id"] for rec in r.json()["records"]}

    everything = docs()
    assert everything == {"bank-product-manager-skills", "credit-card-product-manager"}
    assert docs(_condition("title", "contains", "银行")) == {"bank-product-manager-skills"}
    assert docs(_condition("title", "not contains", "银行")) == {"credit-card-product-manager"}
    assert docs(_condition(["title"], "start with", "如何")) == {"credit-card-product-manager"}
    assert docs(_condition("doc_id", "in", ["credit-card-product-manager"])) == {"credit-card-product-manager"}
    assert docs(_condition("url", "contains", "chuangxiangniao.com")) == everything
    assert docs(_condition("title", "contains", "银行"), _condition("title", "contains", "信用卡"),
                logical="or") == everything
    assert docs(_condition("title", "contains", "银行"), _condition("title", "contains", "信用卡")) == set()
    assert docs(_condition("updated_at", "after", "2000-01-01")) == everything
    assert docs(_condition("updated_at", "before", 946684800)) == set()  # a Unix timestamp (2000-01-01)
    assert docs({"name": "title", "comparison_operator": "not empty", "value": None}) == everything


def test_bad_metadata_condition_is_a_clear_error(api: Api) -> None:
    r = retrieve(api, dify_body(COVERED, metadata_condition={"logical_operator": "and", "conditions": [
        _condition("category", "is", "AI")]}))
    assert r.status_code == 422
    body = r.json()
    assert body["error_code"] == 422 and "category" in body["error_msg"] and "title" in body["error_msg"]
    r = retrieve(api, dify_body(COVERED, metadata_condition={"conditions": [_condition("title", ">", "a")]}))
    assert r.status_code == 422 and "does not apply" in r.json()["error_msg"]


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"Content-Type": "application/json"}, 401, 1001),
    ({"Content-Type": "application/json", "Authorization": READ_KEY}, 401, 1001),
    ({"Content-Type": "application/json", "Authorization": f"Basic {READ_KEY}"}, 401, 1001),
    ({"Content-Type": "application/json", "Authorization": "Bearer"}, 401, 1001),
    ({"Content-Type": "application/json", "Authorization": "Bearer wrong-key"}, 403, 1002),
])
def test_authorization_errors(api: Api, headers: dict[str, str], status: int, code: int) -> None:
    r = retrieve(api, dify_body(COVERED), headers=headers)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"error_code", "error_msg"} and body["error_code"] == code and body["error_msg"]
    assert READ_KEY not in body["error_msg"]


def test_unknown_knowledge_id_is_2001(api: Api) -> None:
    r = retrieve(api, {**dify_body(COVERED), "knowledge_id": "AAA-BBB-CCC"})
    assert r.status_code == 404 and r.json()["error_code"] == 2001 and "AAA-BBB-CCC" in r.json()["error_msg"]


@pytest.mark.parametrize("body", [
    {"knowledge_id": "default", "query": COVERED},  # no retrieval_setting
    dify_body(COVERED, top_k=0),
    dify_body(COVERED, threshold=1.5),
    dify_body("   "),
])
def test_bad_requests_are_dify_shaped(api: Api, body: dict[str, Any]) -> None:
    r = retrieve(api, body)
    assert r.status_code == 422
    assert set(r.json()) == {"error_code", "error_msg"} and r.json()["error_code"] == 422


def test_lone_surrogate_is_refused_in_dify_shape(api: Api) -> None:
    with api.client() as c:
        r = c.post("/retrieval", headers=DIFY, content=(
            b'{"knowledge_id": "default", "query": "\\ud800\\u4fe1\\u7528\\u5361", '
            b'"retrieval_setting": {"top_k": 3, "score_threshold": 0.0}}'))
    assert r.status_code == 422
    assert r.json()["error_code"] == 422 and "lone surrogate" in r.json()["error_msg"]


def test_undecodable_body_is_a_422_in_dify_shape(api: Api) -> None:
    with api.client() as c:
        r = c.post("/retrieval", headers=DIFY, content=b"\xff\xfe{\x13[E")
    assert r.status_code == 422 and r.json()["error_code"] == 422 and r.json()["error_msg"]


def test_same_limits_and_metrics_as_the_rest_of_the_api(api: Api) -> None:
    retrieve(api, dify_body(COVERED))
    with api.client() as c:
        assert 'articleqa_search_duration_seconds_count{endpoint="retrieval"}' in c.get("/metrics").text
    status, body = declared_too_large(api, "/retrieval")
    assert status == 413 and body["error_code"] == 413 and "ARTICLEQA_MAX_UPLOAD_BYTES" in body["error_msg"]
