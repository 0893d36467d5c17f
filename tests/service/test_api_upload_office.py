"""POST /documents with Word and PDF files: indexed with sections and pages; broken ones 422, index untouched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.helpers.live_server import ADMIN, Api, copy_data_dir, make_settings
from tests.helpers.office_files import CARD_PDF_PAGES, LOAN_DOCX_BODY, make_docx, make_image_pdf, make_pdf

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory, built_data_dir: Path,
        start_server: Callable[[Settings], Api]) -> Api:
    """A private server (these uploads must not reach the shared one's searches)."""
    data_dir = copy_data_dir(built_data_dir, tmp_path_factory.mktemp("office") / "data")
    return start_server(make_settings(data_dir, admin_key=ADMIN["X-API-Key"]))


@pytest.fixture
def client(own: Api) -> Iterator[httpx.Client]:
    with own.client() as c:
        yield c


def _upload(c: httpx.Client, name: str, data: bytes, kind: str) -> httpx.Response:
    return c.post("/documents", headers=ADMIN, files={"file": (name, data, kind)})


def test_docx_and_pdf_uploads_are_searchable_with_pages(client: httpx.Client) -> None:
    r = _upload(client, "upload-loan.docx", make_docx("个人住房贷款指南", LOAN_DOCX_BODY), DOCX)
    assert r.status_code == 201, r.text
    assert r.json()["doc_id"] == "upload-loan"
    r = _upload(client, "upload-card.pdf", make_pdf(CARD_PDF_PAGES), "application/pdf")
    assert r.status_code == 201, r.text
    hit = client.post("/search", json={"query": "发卡银行授信审批控制逾期风险", "top_k": 1,
                                       "doc_ids": ["upload-card"]}, headers=ADMIN).json()["results"][0]
    assert (hit["citation"]["section"], hit["citation"]["page"]) == ("第三章 风险控制", 3)
    loan = client.post("/search", json={"query": "首付款不低于三成", "top_k": 1, "doc_ids": ["upload-loan"]},
                       headers=ADMIN).json()["results"][0]
    assert loan["citation"]["section"] == "一、申请条件" and loan["citation"]["page"] is None


def test_broken_office_uploads_are_422_and_change_nothing(client: httpx.Client) -> None:
    before = client.get("/readyz").json()
    cases = [
        ("locked.pdf", make_pdf(CARD_PDF_PAGES, password="pw"), "application/pdf", "encrypted"),
        ("scan.pdf", make_image_pdf(), "application/pdf", "no text layer"),
        ("cut.pdf", make_pdf(CARD_PDF_PAGES)[:-500], "application/pdf", "truncated"),
        ("memo.docx", "只是文字".encode(), DOCX, "not a zip"),
    ]
    for name, data, kind, reason in cases:
        r = _upload(client, name, data, kind)
        assert r.status_code == 422, (name, r.text)
        assert name in r.json()["detail"] and reason in r.json()["detail"], r.text
    after = client.get("/readyz").json()
    assert (after["index_version"], after["documents"]) == (before["index_version"], before["documents"])
