"""Metadata filters on /search, /ask and GET /documents: applied before ranking, on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from service.settings import Settings
from service.wiring import build_engine
from tests.helpers.live_server import Api, make_settings


def _article(topic: str, sentence: str, publisher: str, date: str, n: int) -> str:
    return (f"{topic}\n\n一、要点\n\n{sentence}\n\n版权声明:本文内容由互联网用户自发贡献。\n"
            f"发布者:{publisher},转转请注明出处:https://example.com/p/{n}.html\n发布时间:{date}\n")


# Six strong matches from 甲银行, one weak match from 乙银行: a filter applied after ranking the top 5 would
# find nothing of 乙银行; applied before ranking it finds 乙银行's article.
ARTICLES = {
    **{f"jia-{i}.txt": _article(f"定期存款利率{i}",
                                f"甲银行{i}号网点的定期存款利率是百分之二点{i},定期存款利率按季度调整。",
                                "甲银行", f"2024-0{i + 1}-10", i) for i in range(6)},
    "yi-0.txt": _article("手机银行转账", "乙银行的手机银行转账免手续费,存款产品另见网点公告。",
                         "乙银行", "2023-11-20", 9),
}


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory, start_server: Callable[[Settings], Api]) -> Api:
    root = tmp_path_factory.mktemp("filters")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = make_settings(root / "data")
    engine = build_engine(settings)
    try:
        report = engine.ingest([corpus])
    finally:
        engine.close()
    assert not report.errors and report.documents == 7
    return start_server(settings)


@pytest.fixture
def c(filtered: Api) -> httpx.Client:
    return filtered.client()


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    hits = body["results"] if "results" in body else body["passages"]
    return [h["doc_id"] for h in hits]


def test_filter_applies_before_ranking(c: httpx.Client) -> None:
    q = "定期存款利率"
    unfiltered = _ids(c.post("/search", json={"query": q, "top_k": 5}))
    assert "yi-0" not in unfiltered  # 乙银行's article is not in the plain top 5 ...
    only_yi = _ids(c.post("/search", json={"query": q, "top_k": 5, "filters": {"publisher": "乙银行"}}))
    assert only_yi == ["yi-0"]  # ... yet a filtered search finds it
    assert _ids(c.get("/search", params={"q": q, "publisher": "乙银行"})) == ["yi-0"]
    assert set(_ids(c.post("/ask", json={"question": "乙银行转账要手续费吗?",
                                          "filters": {"publisher": "乙银行"}}))) == {"yi-0"}


def test_dates_source_and_doc_ids_combine(c: httpx.Client) -> None:
    q = "定期存款利率"
    after = _ids(c.post("/search", json={"query": q, "top_k": 10, "filters": {"published_after": "2024-04-01"}}))
    assert sorted(after) == ["jia-3", "jia-4", "jia-5"]
    window = {"published_after": "2024-02-01", "published_before": "2024-03-31"}
    assert sorted(_ids(c.post("/search", json={"query": q, "top_k": 10, "filters": window}))) == ["jia-1", "jia-2"]
    assert _ids(c.get("/search", params={"q": q, "published_before": "2023-12-31"})) == ["yi-0"]
    both = c.post("/search", json={"query": q, "top_k": 10, "doc_ids": ["jia-1", "jia-4"],
                                   "filters": {"published_after": "2024-04-01"}})
    assert _ids(both) == ["jia-4"]
    assert _ids(c.post("/search", json={"query": q, "filters": {"source": "jia-2.txt"}})) == ["jia-2"]
    nothing = c.post("/search", json={"query": q, "filters": {"publisher": "丙银行"}})
    assert _ids(nothing) == [] and nothing.json()["low_confidence"] is True


def test_documents_list_filters(c: httpx.Client) -> None:
    docs = c.get("/documents").json()
    yi = next(d for d in docs if d["doc_id"] == "yi-0")
    assert (yi["publisher"], yi["published_at"]) == ("乙银行", "2023-11-20")
    assert yi["source"].endswith("yi-0.txt")
    listed = c.get("/documents", params={"publisher": "甲银行", "published_before": "2024-02-28"}).json()
    assert [d["doc_id"] for d in listed] == ["jia-0", "jia-1"]


@pytest.mark.parametrize("body", [
    {"published_after": "2024-13-01"},
    {"published_after": "2024-05-01", "published_before": "2024-01-01"},
    {"publisher": "甲银行", "colour": "red"},
])
def test_bad_filters_are_422_naming_the_value(c: httpx.Client, body: dict[str, str]) -> None:
    r = c.post("/search", json={"query": "存款", "filters": body})
    assert r.status_code == 422
    assert any(str(v) in r.text for v in body.values() if v != "甲银行") or "colour" in r.text
    g = c.get("/search", params={"q": "存款", "published_after": "2024-05-01", "published_before": "2024-01-01"})
    assert g.status_code == 422 and "earlier than" in g.text


def test_documents_filter_with_a_bad_date_is_422(c: httpx.Client) -> None:
    assert c.get("/documents", params={"published_after": "yesterday"}).status_code == 422


def test_streamed_answer_honours_filters(c: httpx.Client) -> None:
    body = {"question": "定期存款利率是多少?", "filters": {"publisher": "乙银行"}}
    with c.stream("POST", "/ask/stream", json=body) as r:
        assert r.status_code == 200
        data = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    passages = data[0]["passages"]  # the first event lists the passages the answer draws on
    assert passages and {p["doc_id"] for p in passages} == {"yi-0"}
