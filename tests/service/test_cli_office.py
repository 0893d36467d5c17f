"""`articleqa ingest` with Word and PDF files: indexed, and broken ones refused naming file and reason."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app
from tests.helpers.office_files import CARD_PDF_PAGES, LOAN_DOCX_BODY, make_docx, make_image_pdf, make_pdf

runner = CliRunner()


def test_ingest_reads_docx_and_pdf_and_refuses_broken_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "loan.docx").write_bytes(make_docx("个人住房贷款指南", LOAN_DOCX_BODY))
    (corpus / "card.pdf").write_bytes(make_pdf(CARD_PDF_PAGES))
    (corpus / "scan.pdf").write_bytes(make_image_pdf())
    (corpus / "locked.pdf").write_bytes(make_pdf(CARD_PDF_PAGES, password="pw"))
    data = tmp_path / "data"
    res = runner.invoke(app, ["ingest", str(corpus), "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    assert "added 2" in res.output and "errors 2" in res.output
    assert "scan.pdf: the PDF has no text layer" in res.output
    assert "locked.pdf: the PDF is encrypted" in res.output

    res = runner.invoke(app, ["search", "白金卡的信用额度", "-k", "1", "--json", "--data-dir", str(data)])
    hit = json.loads(res.output)["results"][0]
    assert (hit["doc_id"], hit["citation"]["page"]) == ("card", 2)

    (corpus / "card.pdf").write_bytes(make_pdf(CARD_PDF_PAGES)[:-300])  # now damaged: card is kept as it was
    res = runner.invoke(app, ["ingest", str(corpus), "--data-dir", str(data), "--json"])
    report = json.loads(res.stdout)
    assert "card" not in report["removed"] and "card" not in report["updated"]
    assert any("card.pdf: the PDF is truncated" in e["error"] for e in report["errors"])
    res = runner.invoke(app, ["search", "白金卡的信用额度", "-k", "1", "--json", "--data-dir", str(data)])
    assert json.loads(res.output)["results"][0]["doc_id"] == "card"
