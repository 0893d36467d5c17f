"""Incremental ingest: add, change, delete, unchanged, duplicates, broken files, locking."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from index.lock import LockTimeout, WriteLock


def test_incremental_ingest_cycle(fake_engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    first = engine.ingest([tiny_corpus])
    assert sorted(first.added) == ["card-types", "risk", "ux"] and not first.errors

    again = engine.ingest([tiny_corpus])
    assert sorted(again.unchanged) == ["card-types", "risk", "ux"]
    assert again.index_version == first.index_version  # nothing changed: nothing published

    calls: list[int] = []
    original = engine.embedder.embed_passages
    engine.indexer.embedder.embed_passages = lambda texts, progress=None: (calls.append(len(texts)),  # type: ignore[method-assign]
                                                                          original(texts, progress))[1]
    try:
        changed_md = "# 银行风险管理\n\n## 一、流动性风险\n\n流动性风险是银行无法及时获得资金的风险。"
        (tiny_corpus / "risk.md").write_text(changed_md, encoding="utf-8")
        (tiny_corpus / "new.txt").write_text("新文章\n\n一、积分\n\n信用卡积分可以兑换里程和礼品。", encoding="utf-8")
        (tiny_corpus / "ux.html").unlink()
        changed = engine.ingest([tiny_corpus])
    finally:
        del engine.indexer.embedder.embed_passages
    assert changed.updated == ["risk"] and changed.added == ["new"] and changed.removed == ["ux"]
    assert changed.unchanged == ["card-types"]
    assert changed.index_version > first.index_version
    # Only the changed and new articles were embedded.
    assert sum(calls) == 2
    docs = {d["doc_id"] for d in engine.documents()}
    assert docs == {"card-types", "risk", "new"}
    assert engine.search("流动性风险", top_k=1).hits[0].doc_id == "risk"


def test_files_from_other_folders_are_not_removed(fake_engine_factory, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    other = tmp_path / "other"
    other.mkdir()
    (other / "loan.txt").write_text("贷款\n\n一、房贷\n\n房贷的利率与期限有关。", encoding="utf-8")
    engine.ingest([other])
    engine.ingest([tiny_corpus])
    assert "loan" in {d["doc_id"] for d in engine.documents()}


def test_identical_content_under_another_name_is_reported(fake_engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    shutil.copy(tiny_corpus / "risk.md", tiny_corpus / "risk2.md")
    report = engine.ingest([tiny_corpus])
    assert report.duplicates == [{"doc_id": "risk2", "duplicate_of": "risk"}]
    assert "risk2" not in {d["doc_id"] for d in engine.documents()}


def test_broken_files_are_reported_and_do_not_stop_the_run(fake_engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    (tiny_corpus / "empty.txt").write_text("  \n", encoding="utf-8")
    (tiny_corpus / "binary.txt").write_bytes(b"\x00\x01\x02PNG")
    (tiny_corpus / "gbk.txt").write_bytes("国标编码\n\n一、内容\n\n这篇文章用GBK编码保存。".encode("gbk"))
    report = engine.ingest([tiny_corpus, tiny_corpus / "nope.txt"])
    errors = {Path(e["file"]).name: e["error"] for e in report.errors}
    assert set(errors) == {"empty.txt", "binary.txt", "nope.txt"}
    assert "binary" in errors["binary.txt"] and "no article text" in errors["empty.txt"]
    assert "gbk" in report.added
    assert engine.search("GBK编码", top_k=1).hits[0].doc_id == "gbk"


def test_rebuild_reembeds_everything(fake_engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    report = engine.ingest([tiny_corpus], rebuild=True)
    assert sorted(report.added) == ["card-types", "risk", "ux"]


def test_add_and_delete_one_document(fake_engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    text = "分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算。"
    created = engine.add_document(text=text, doc_id="installments")
    assert created.status == "created" and created.passages == 1
    assert engine.search("账单分期手续费", top_k=1).hits[0].doc_id == "installments"
    assert engine.add_document(text=text, doc_id="installments").status == "unchanged"
    assert engine.add_document(text=text, doc_id="copy").status == "duplicate"
    assert engine.delete_document("installments") is not None
    assert engine.delete_document("installments") is None
    assert "installments" not in {h.doc_id for h in engine.search("账单分期手续费", top_k=5).hits}


def test_second_writer_times_out_naming_the_holder(tmp_path: Path) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with WriteLock(tmp_path, purpose="ingest"):
            held.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    # flock is per open file description, so a second open in this process contends like another process.
    with pytest.raises(LockTimeout, match=r"pid \d+ .*ingest"), WriteLock(tmp_path, timeout=0.2):
        pass
    release.set()
    t.join()
    with WriteLock(tmp_path, timeout=1):
        pass


def test_hostile_corpus_entries(fake_engine_factory, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "secret.txt"
    outside.write_text("机密\n\n一、内容\n\n不应被索引的文件。", encoding="utf-8")
    (tiny_corpus / "link.txt").symlink_to(outside)
    # Risk.MD gets the same document id as risk.md
    (tiny_corpus / "Risk.MD").write_text("# 另一篇\n\n## 一、内容\n\n同名文件。", encoding="utf-8")
    big = "大文件\n\n一、内容\n\n" + "信用卡的年费与积分规则说明。" * 250_000  # about 10 MB of UTF-8
    (tiny_corpus / "big.txt").write_text(big, encoding="utf-8")
    (tiny_corpus / "chrome.html").write_text("<html><body><script>alert(1)</script><nav>首页</nav></body></html>",
                                             encoding="utf-8")
    engine = fake_engine_factory()
    report = engine.ingest([tiny_corpus])
    errors = {Path(e["file"]).name: e["error"] for e in report.errors}
    assert "outside" in errors["link.txt"]
    assert "same name" in errors["risk.md"] or "same name" in errors["Risk.MD"]
    assert "limit" in errors["big.txt"]
    assert "no article text" in errors["chrome.html"]
    assert "card-types" in report.added and "ux" in report.added
    assert all("不应被索引" not in h.text for h in engine.search("机密文件", top_k=10).hits)
