"""POST /feedback (read key) and GET /feedback (admin key)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.helpers.live_server import ADMIN, READ


def test_feedback_round_trip(client: httpx.Client) -> None:
    question = f"信用卡产品经理需要哪些技能?{uuid.uuid4().hex[:6]}"
    body = {
        "question": question,
        "answer": "需要金融知识。",
        "helpful": False,
        "comment": "引用不完整",
        "passage_ids": ["credit-card-product-manager:0001"],
        "index_version": "000001",
    }
    r = client.post("/feedback", json=body, headers=READ)
    assert r.status_code == 201
    fid = r.json()["id"]
    assert isinstance(fid, int)
    minimal = client.post(
        "/feedback", json={"question": question, "answer": "", "helpful": True}, headers=READ
    )
    assert minimal.status_code == 201

    items = client.get("/feedback", headers=ADMIN).json()
    mine = next(i for i in items if i["id"] == fid)
    assert mine["question"] == question
    assert mine["helpful"] is False
    assert mine["comment"] == "引用不完整"
    assert mine["passage_ids"] == ["credit-card-product-manager:0001"]
    assert mine["created_at"]
    unhelpful = client.get("/feedback", params={"helpful": "false"}, headers=ADMIN).json()
    assert all(i["helpful"] is False for i in unhelpful)
    assert fid in {i["id"] for i in unhelpful}


@pytest.mark.parametrize(
    "body",
    [
        {"question": "q", "answer": "a"},
        {"question": "", "answer": "a", "helpful": True},
        {"question": "q", "answer": "a", "helpful": "maybe"},
        {"question": "q" * 2001, "answer": "a", "helpful": True},
        {"question": "q", "answer": "a", "helpful": True, "passage_ids": "p1"},
    ],
)
def test_bad_feedback_is_422(client: httpx.Client, body: dict[str, object]) -> None:
    assert client.post("/feedback", json=body, headers=READ).status_code == 422


def test_feedback_list_needs_admin(client: httpx.Client) -> None:
    assert client.get("/feedback", headers=READ).status_code == 403
    assert client.get("/feedback").status_code == 401
