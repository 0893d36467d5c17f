"""POST/GET /search and POST /ask over the shipped corpus: citations, highlights, confidence, limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers.live_server import READ


def test_search_returns_cited_highlighted_hits(client: httpx.Client) -> None:
    r = client.post("/search", json={"query": "信用卡产品经理需要哪些技能", "top_k": 3}, headers=READ)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"query", "results", "low_confidence", "took_ms", "index_version"}
    assert body["query"] == "信用卡产品经理需要哪些技能"
    assert body["low_confidence"] is False
    assert body["took_ms"] >= 0
    assert 0 < len(body["results"]) <= 3
    hit = body["results"][0]
    assert set(hit) >= {"passage_id", "doc_id", "score", "text", "citation", "highlights"}
    cite = hit["citation"]
    assert set(cite) == {"doc_id", "title", "url", "section", "paragraph", "char_start", "char_end", "page"}
    assert cite["page"] is None  # pages only for PDF articles
    assert cite["doc_id"] == hit["doc_id"]
    assert cite["char_end"] - cite["char_start"] == len(hit["text"])
    assert hit["highlights"]
    for start, end in hit["highlights"]:
        assert 0 <= start < end <= len(hit["text"])
    assert any(h["doc_id"] == "credit-card-product-manager" for h in body["results"])


def test_latent_scores_show_when_the_query_has_words_the_articles_lack(client: httpx.Client) -> None:
    # "风险管理能力": words of the articles; the reader's "软实力" is in neither.
    plain = client.post("/search", json={"query": "风险管理能力", "top_k": 3}, headers=READ).json()["results"]
    assert all(h["latent_score"] is None for h in plain)
    reader = client.post("/search", json={"query": "银行产品经理要有哪些软实力", "top_k": 3}, headers=READ)
    hits = reader.json()["results"]
    assert hits and all(isinstance(h["latent_score"], float) and h["latent_score"] >= 0 for h in hits)
    assert max(h["latent_score"] for h in hits) > 0


def test_search_get_matches_post(client: httpx.Client) -> None:
    post = client.post("/search", json={"query": "风险管理能力", "top_k": 4}, headers=READ).json()
    get = client.get("/search", params={"q": "风险管理能力", "top_k": 4}, headers=READ)
    assert get.status_code == 200
    assert [h["passage_id"] for h in get.json()["results"]] == [h["passage_id"] for h in post["results"]]


def test_search_doc_ids_filter(client: httpx.Client) -> None:
    for doc in ("bank-product-manager-skills", "credit-card-product-manager"):
        r = client.post("/search", json={"query": "产品经理", "top_k": 10, "doc_ids": [doc]}, headers=READ)
        assert r.status_code == 200
        assert {h["doc_id"] for h in r.json()["results"]} == {doc}
    get = client.get(
        "/search", params={"q": "产品经理", "doc_ids": "bank-product-manager-skills"}, headers=READ
    )
    assert {h["doc_id"] for h in get.json()["results"]} == {"bank-product-manager-skills"}
    none = client.post("/search", json={"query": "产品经理", "doc_ids": ["no-such-doc"]}, headers=READ)
    assert none.status_code == 200 and none.json()["results"] == []


def test_search_off_topic_is_low_confidence(client: httpx.Client) -> None:
    r = client.post("/search", json={"query": "火星探测器的推进系统如何设计", "top_k": 3}, headers=READ)
    assert r.status_code == 200
    assert r.json()["low_confidence"] is True


def test_query_is_trimmed(client: httpx.Client) -> None:
    r = client.post("/search", json={"query": "   金融知识 \n", "top_k": 1}, headers=READ)
    assert r.status_code == 200
    assert r.json()["query"] == "金融知识"


@pytest.mark.parametrize(
    "body",
    [
        {"query": ""},
        {"query": "   \n\t "},
        {"query": "长" * 501},
        {"query": "金融", "top_k": 0},
        {"query": "金融", "top_k": 51},
        {"query": "金融", "top_k": "five"},
        {"query": 42},
        {},
        {"query": "金融", "doc_ids": "not-a-list"},
    ],
)
def test_search_bad_input_is_422(client: httpx.Client, body: dict[str, object]) -> None:
    r = client.post("/search", json=body, headers=READ)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_search_422_messages_are_clear(client: httpx.Client) -> None:
    empty = client.post("/search", json={"query": "  "}, headers=READ).json()["detail"]
    assert "query is empty" in str(empty)
    long = client.get("/search", params={"q": "长" * 501}, headers=READ).json()["detail"]
    assert "501 characters" in long and "500" in long
    ok = client.post("/search", json={"query": "  " + "长" * 500 + "  ", "top_k": 1}, headers=READ)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "   "},
        {},
        {"q": "金融", "top_k": "0"},
        {"q": "金融", "top_k": "51"},
        {"q": "金融", "top_k": "x"},
    ],
)
def test_search_get_bad_input_is_422(client: httpx.Client, params: dict[str, str]) -> None:
    assert client.get("/search", params=params, headers=READ).status_code == 422


def test_malformed_json_is_422(client: httpx.Client) -> None:
    r = client.post("/search", content=b"{not json", headers={**READ, "Content-Type": "application/json"})
    assert r.status_code == 422


def test_ask_answers_with_citations(client: httpx.Client) -> None:
    r = client.post(
        "/ask", json={"question": "银行产品经理为什么需要风险管理能力?", "top_k": 5}, headers=READ
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"question", "answer", "answerable", "citations", "passages", "took_ms"}
    assert body["answerable"] is True
    assert body["answer"]
    assert body["citations"]
    for c in body["citations"]:
        assert set(c) >= {"doc_id", "title", "url", "section", "paragraph", "char_start", "char_end", "quote"}
        assert c["quote"] in body["answer"]
        assert c["char_end"] - c["char_start"] == len(c["quote"])
    assert body["passages"]


def test_ask_not_covered(client: httpx.Client) -> None:
    r = client.post("/ask", json={"question": "量子计算机的基本原理是什么?"}, headers=READ)
    assert r.status_code == 200
    body = r.json()
    assert body["answerable"] is False
    assert "文章中没有找到相关内容" in body["answer"]
    assert body["citations"] == []


@pytest.mark.parametrize(
    "body", [{"question": " "}, {"question": "x" * 501}, {"question": "金融", "top_k": 99}, {"top_k": 3}]
)
def test_ask_bad_input_is_422(client: httpx.Client, body: dict[str, object]) -> None:
    assert client.post("/ask", json=body, headers=READ).status_code == 422


def test_documents_list(client: httpx.Client) -> None:
    r = client.get("/documents", headers=READ)
    assert r.status_code == 200
    docs = {d["doc_id"]: d for d in r.json()}
    bank = docs["bank-product-manager-skills"]
    assert bank["title"] == "银行产品经理必备技能有哪些"
    assert bank["url"].startswith("https://")
    assert bank["passages"] > 0
    assert bank["updated_at"]


def test_concurrent_searches_and_asks(client: httpx.Client) -> None:
    queries = [
        "金融知识",
        "市场分析能力",
        "信用卡产品经理",
        "风险管理",
        "沟通与协调能力",
        "数据分析",
        "客户需求",
        "产品设计与开发",
    ]

    def one(i: int) -> int:
        q = queries[i % len(queries)]
        if i % 2:
            return client.post("/ask", json={"question": q, "top_k": 3}, headers=READ).status_code
        return client.get("/search", params={"q": q, "top_k": 5}, headers=READ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(24)))
    assert statuses == [200] * 24


def test_event_loop_not_blocked_by_engine_work(client: httpx.Client) -> None:
    """/healthz answers while searches keep the threadpool busy."""
    with ThreadPoolExecutor(6) as pool:
        busy = [
            pool.submit(client.post, "/ask", json={"question": f"产品经理需要什么能力{i}"}, headers=READ)
            for i in range(5)
        ]
        health = client.get("/healthz", timeout=5.0)
        assert health.status_code == 200
        assert all(f.result().status_code == 200 for f in busy)


@pytest.mark.parametrize(
    "query",
    ["长" * 10_000, "信用卡\x00\x07\x1b年费", "💳信用卡😀有哪些", "CRM系统 and 信用卡 評分", "的了吗呢", "？？？！！！",
     "\u200b\u200b", "<script>alert(1)</script>", "' OR 1=1 --"],
)
def test_hostile_queries_get_422_or_an_answer(client: httpx.Client, query: str) -> None:
    for r in (client.post("/search", json={"query": query}, headers=READ),
              client.post("/ask", json={"question": query}, headers=READ)):
        assert r.status_code in (200, 422), (query[:20], r.status_code, r.text[:200])
        assert r.json()  # JSON either way
