"""Done-when of the watched folder: .txt, .docx and .pdf dropped in while the API serves become searchable with
correct citations, a deleted file leaves the results, a broken file is reported and the others still land."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.engine import Engine
from service.settings import Settings
from tests.helpers.live_server import ADMIN, Api, copy_data_dir, make_settings
from tests.helpers.office_files import CARD_PDF_PAGES, LOAN_DOCX_BODY, make_docx, make_pdf

TXT = """极地科考

一、科考站

中山站是中国在南极建立的科学考察站,每年冬季有越冬队员驻守观测极光。
"""
WAIT_S = 60.0


@pytest.fixture()
def watched(tmp_path: Path, built_data_dir: Path, start_server: Callable[[Settings], Api]) -> Api:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = make_settings(copy_data_dir(built_data_dir, tmp_path / "data"), corpus_dir=inbox, watch=True,
                             watch_debounce_ms=800, watch_settle_s=0.3, admin_key=ADMIN["X-API-Key"])
    return start_server(settings)


def _top(c: httpx.Client, query: str) -> dict[str, Any] | None:
    hits: list[dict[str, Any]] = c.post("/search", json={"query": query, "top_k": 1}).json()["results"]
    return hits[0] if hits else None


def _eventually(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout} s")


def test_dropped_articles_become_searchable_and_deleted_ones_leave(watched: Api) -> None:
    inbox = Path(watched.settings.corpus_dir)
    engine: Engine = watched.server.app.state.articleqa.engine
    with watched.client() as c:
        _eventually(lambda: (c.get("/reindex", headers=ADMIN).json()["watch"] or {}).get("status") == "watching",
                    "the watcher's first pass")
        (inbox / "polar.txt").write_text(TXT, encoding="utf-8")
        (inbox / "loan.docx").write_bytes(make_docx("个人住房贷款指南", LOAN_DOCX_BODY))
        (inbox / "card.pdf").write_bytes(make_pdf(CARD_PDF_PAGES))
        (inbox / "scan.pdf").write_bytes(b"%PDF-1.4\nnot a real pdf body\n%%EOF\n")

        cases = {
            "中山站越冬队员观测极光": ("polar", "一、科考站", None),
            "公积金贷款的年利率": ("loan", "二、利率对比", None),
            "白金卡的信用额度和年费": ("card", "二、信用卡的额度", 2),
        }
        for query, (doc_id, section, page) in cases.items():
            hit = _eventually(lambda q=query, d=doc_id: (h := _top(c, q)) and h["doc_id"] == d and h,
                              f"{doc_id} searchable")
            cited = hit["citation"]
            assert (cited["section"], cited["page"]) == (section, page), hit
            article = engine.store.get_article(doc_id)
            assert article is not None
            assert article.text[cited["char_start"]:cited["char_end"]] == hit["text"]

        watch = c.get("/reindex", headers=ADMIN).json()["watch"]
        assert watch["publishes"] >= 1
        refused = {Path(r["file"]).name: r["error"] for r in watch["refused"]}
        assert list(refused) == ["scan.pdf"]
        assert "scan.pdf: the PDF cannot be read" in refused["scan.pdf"]
        assert {"polar", "loan", "card"} <= {d["doc_id"] for d in c.get("/documents").json()}
        assert "scan" not in {d["doc_id"] for d in c.get("/documents").json()}

        (inbox / "polar.txt").unlink()
        _eventually(lambda: "polar" not in {d["doc_id"] for d in c.get("/documents").json()}, "polar removed")
        hit = _top(c, "中山站越冬队员观测极光")
        assert hit is None or hit["doc_id"] != "polar"
        assert c.get("/reindex", headers=ADMIN).json()["watch"]["last_publish"]["removed"] == ["polar"]
        assert _top(c, "白金卡的信用额度和年费")["doc_id"] == "card"  # type: ignore[index]
