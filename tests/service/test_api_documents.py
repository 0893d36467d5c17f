"""POST/DELETE /documents: JSON and file uploads, incremental indexing, encodings, size caps, file names."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.live_server import ADMIN, READ, Api

ARTICLE = """火星温室种植指南

一、选择作物

在火星温室里,土豆和生菜是最容易种植的作物。土豆耐寒,生菜生长周期短。

二、水循环

火星温室需要封闭的水循环系统,把冷凝水收集起来重新灌溉作物。
"""


def _unique(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}"


def _search_doc_ids(client: httpx.Client, query: str) -> set[str]:
    r = client.post("/search", json={"query": query, "top_k": 10}, headers=READ)
    assert r.status_code == 200
    return {h["doc_id"] for h in r.json()["results"]}


def test_upload_search_update_delete(client: httpx.Client) -> None:
    doc_id = _unique("mars")
    r = client.post(
        "/documents",
        json={"text": ARTICLE, "doc_id": doc_id, "url": "https://example.com/mars"},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["doc_id"] == doc_id
    assert body["status"] == "created"
    assert body["passages"] >= 1
    assert body["index_version"]

    assert doc_id in _search_doc_ids(client, "火星温室种土豆")
    assert doc_id in {d["doc_id"] for d in client.get("/documents", headers=READ).json()}
    hit = client.post("/search", json={"query": "火星温室水循环", "top_k": 1}, headers=READ).json()[
        "results"
    ][0]
    assert hit["doc_id"] == doc_id
    assert hit["citation"]["url"] == "https://example.com/mars"

    again = client.post(
        "/documents",
        json={"text": ARTICLE, "doc_id": doc_id, "url": "https://example.com/mars"},
        headers=ADMIN,
    )
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged"

    changed = client.post(
        "/documents",
        json={"text": ARTICLE + "\n三、光照\n\n火星温室用LED补光灯弥补日照不足。\n", "doc_id": doc_id},
        headers=ADMIN,
    )
    assert changed.status_code == 200
    assert changed.json()["status"] == "updated"
    assert doc_id in _search_doc_ids(client, "LED补光灯")

    gone = client.delete(f"/documents/{doc_id}", headers=ADMIN)
    assert gone.status_code == 204
    assert gone.content == b""
    assert doc_id not in _search_doc_ids(client, "火星温室种土豆")
    assert client.delete(f"/documents/{doc_id}", headers=ADMIN).status_code == 404


def test_same_json_upload_twice_is_unchanged_without_doc_id(client: httpx.Client) -> None:
    title = _unique("月球基地")
    text = f"{title}\n\n月球基地用太阳能电池板发电,夜间依靠储能电池供电。{title}"
    first = client.post("/documents", json={"text": text, "title": title}, headers=ADMIN)
    assert first.status_code == 201
    second = client.post("/documents", json={"text": text, "title": title}, headers=ADMIN)
    assert second.status_code == 200
    assert second.json()["status"] == "unchanged"
    assert second.json()["doc_id"] == first.json()["doc_id"]
    untitled = f"没有标题的文章。深海潜水器需要耐压舱。{uuid.uuid4().hex}"
    a = client.post("/documents", json={"text": untitled}, headers=ADMIN).json()
    b = client.post("/documents", json={"text": untitled}, headers=ADMIN).json()
    assert a["status"] == "created" and b["status"] == "unchanged" and a["doc_id"] == b["doc_id"]
    for doc_id in (first.json()["doc_id"], a["doc_id"]):
        assert client.delete(f"/documents/{doc_id}", headers=ADMIN).status_code == 204


def test_duplicate_content_under_another_id(client: httpx.Client) -> None:
    text = f"海底隧道通风\n\n重复文章测试。海底隧道的通风系统很重要。{uuid.uuid4().hex}"
    a = client.post("/documents", json={"text": text, "doc_id": _unique("dup-a")}, headers=ADMIN).json()
    b = client.post("/documents", json={"text": text, "doc_id": _unique("dup-b")}, headers=ADMIN)
    assert b.status_code == 200
    assert b.json()["status"] == "duplicate"
    assert b.json()["duplicate_of"] == a["doc_id"]
    client.delete(f"/documents/{a['doc_id']}", headers=ADMIN)


def test_file_upload_multipart(client: httpx.Client) -> None:
    name = _unique("polar-station") + ".md"
    md = "# 南极科考站\n\n## 一、供暖\n\n南极科考站依靠柴油发电机和风力发电机供暖。\n"
    r = client.post(
        "/documents",
        files={"file": (name, md.encode("utf-8"), "text/markdown")},
        data={"url": "https://example.com/polar"},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["doc_id"] == name.removesuffix(".md")
    assert body["encoding"] == "utf-8"
    hit = client.post("/search", json={"query": "南极科考站供暖", "top_k": 1}, headers=READ).json()[
        "results"
    ][0]
    assert hit["doc_id"] == body["doc_id"]
    assert hit["citation"]["url"] == "https://example.com/polar"
    same = client.post(
        "/documents",
        files={"file": (name, md.encode("utf-8"), "text/markdown")},
        data={"url": "https://example.com/polar"},
        headers=ADMIN,
    )
    assert same.json()["status"] == "unchanged"
    assert client.delete(f"/documents/{body['doc_id']}", headers=ADMIN).status_code == 204


def test_gb18030_upload_is_decoded_and_named(client: httpx.Client) -> None:
    text = "高原铁路\n\n一、冻土\n\n青藏铁路用热棒技术保护多年冻土路基。"
    r = client.post(
        "/documents", files={"file": (_unique("railway") + ".txt", text.encode("gb18030"))}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    assert r.json()["encoding"] == "gb18030"
    hit = client.post("/search", json={"query": "热棒技术保护冻土", "top_k": 1}, headers=READ).json()[
        "results"
    ][0]
    assert "热棒" in hit["text"]
    client.delete(f"/documents/{r.json()['doc_id']}", headers=ADMIN)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\x00\x01\x02binary\x00", "binary data"),
        (b"text " + b"\x80\xff" * 40, "UTF-8"),
    ],
)
def test_undecodable_upload_is_422_naming_the_encoding(
    client: httpx.Client, content: bytes, needle: str
) -> None:
    r = client.post("/documents", files={"file": ("bad.txt", content)}, headers=ADMIN)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert needle in detail and "bad.txt" in detail


def test_upload_file_name_is_sanitised(client: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    r = client.post(
        "/documents",
        files={"file": (f"../../etc/<evil>{tag}.txt", "沙漠绿化需要滴灌技术。".encode())},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    doc_id = r.json()["doc_id"]
    assert "/" not in doc_id and ".." not in doc_id and "<" not in doc_id
    assert doc_id.endswith(tag)
    client.delete(f"/documents/{doc_id}", headers=ADMIN)


@pytest.mark.parametrize(
    ("files", "data"),
    [
        ({"file": ("report.pdf", b"%PDF-1.4")}, {}),
        ({"other": ("a.txt", "文本".encode())}, {}),
        ({"file": ("ok.txt", "文本".encode())}, {"doc_id": "../etc/passwd"}),
        ({"file": ("empty.txt", b"")}, {}),
        ({"file": ("blank.txt", b"   \n\n  ")}, {}),
    ],
)
def test_bad_file_upload_is_422(
    client: httpx.Client, files: dict[str, tuple[str, bytes]], data: dict[str, str]
) -> None:
    r = client.post("/documents", files=files, data=data, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "   "},
        {"text": 5},
        {"text": "文章", "doc_id": "a/b"},
        {"text": "文章", "doc_id": ".."},
        {"text": "文章", "title": "长" * 501},
    ],
)
def test_bad_json_upload_is_422(client: httpx.Client, body: dict[str, object]) -> None:
    r = client.post("/documents", json=body, headers=ADMIN)
    assert r.status_code == 422, r.text


def test_other_content_types_are_415(client: httpx.Client) -> None:
    r = client.post("/documents", content="文章".encode(), headers={**ADMIN, "Content-Type": "text/plain"})
    assert r.status_code == 415
    assert "multipart/form-data" in r.json()["detail"]


def test_too_large_article_is_413(client: httpx.Client, api: Api) -> None:
    limit = api.settings.max_upload_bytes
    big = ("大" * (limit // 3 + 10)).encode("utf-8")
    assert limit < len(big)
    r = client.post("/documents", files={"file": ("big.txt", big)}, headers=ADMIN)
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]
    j = client.post("/documents", json={"text": "大" * (limit // 3 + 10)}, headers=ADMIN)
    assert j.status_code == 413


def test_body_over_the_cap_is_413_from_content_length(client: httpx.Client, api: Api) -> None:
    huge = b"x" * (api.settings.max_upload_bytes + 128 * 1024)
    r = client.post("/documents", content=huge, headers={**ADMIN, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert "ARTICLEQA_MAX_UPLOAD_BYTES" in r.json()["detail"]


def test_chunked_body_over_the_cap_is_413(client: httpx.Client, api: Api) -> None:
    """No Content-Length: the bytes are counted as they arrive."""
    chunk = b'{"text": "' + b"a" * 16 * 1024
    count = (api.settings.max_upload_bytes + 128 * 1024) // len(chunk) + 1

    def body() -> Iterator[bytes]:
        for _ in range(count):
            yield chunk

    r = client.post("/documents", content=body(), headers={**ADMIN, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_lying_content_length_does_not_crash(api: Api) -> None:
    """A body shorter than its Content-Length: the server waits, the client gives up; no 500, still alive."""
    host, port = "127.0.0.1", api.server.port
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(
            b"POST /documents HTTP/1.1\r\nHost: x\r\nX-API-Key: "
            + ADMIN["X-API-Key"].encode()
            + b'\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text":'
        )
    with api.client() as c:
        assert c.get("/healthz").status_code == 200


def test_delete_unknown_is_404(client: httpx.Client) -> None:
    r = client.delete("/documents/no-such-document", headers=ADMIN)
    assert r.status_code == 404
    assert "no-such-document" in r.json()["detail"]


def test_uploads_while_searching(api: Api) -> None:
    """Writers publish new snapshots while readers keep answering from the one they started with."""
    tag = uuid.uuid4().hex[:6]
    stop = threading.Event()
    statuses: list[int] = []

    def search() -> None:
        with api.client() as c:
            while not stop.is_set():
                r = c.post("/search", json={"query": "风力发电机供暖", "top_k": 5}, headers=READ)
                statuses.append(r.status_code)

    readers = [threading.Thread(target=search) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        with api.client() as c:
            ids = []
            for i in range(3):
                text = f"海上风电{i}\n\n第{i}座海上风电场使用大型风力发电机为沿海城市供暖和供电。{tag}"
                r = c.post("/documents", json={"text": text, "doc_id": f"wind-{tag}-{i}"}, headers=ADMIN)
                assert r.status_code == 201, r.text
                ids.append(r.json()["doc_id"])
            for doc_id in ids:
                body = {"query": "海上风电场", "top_k": 1, "doc_ids": [doc_id]}
                hits = c.post("/search", json=body, headers=READ).json()["results"]
                assert [h["doc_id"] for h in hits] == [doc_id]
            for doc_id in ids:
                assert c.delete(f"/documents/{doc_id}", headers=ADMIN).status_code == 204
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert statuses and set(statuses) == {200}
