"""Delta publishing: adding one article writes only that article's segment next to the base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from index.engine import DB_NAME
from index.indexer import IndexConfig
from index.snapshots.files import MANIFEST, SNAPSHOTS
from index.snapshots.verify import verify_data_dir
from tests.conftest import CORPUS

QUERIES = ("信用卡一般分为哪几类?", "风险管理能力", "账单分期手续费", "学习能力", "联名卡积分")
NEW = "分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算，联名卡的积分也可以抵扣分期手续费。"


def _manifest(data: Path, version: str) -> dict:  # type: ignore[type-arg]
    return json.loads((data / SNAPSHOTS / version / MANIFEST).read_text(encoding="utf-8"))


def test_add_one_article_publishes_a_delta(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = fake_engine_factory()
    base_version = engine.ingest([corpus]).index_version
    calls: list[int] = []
    original = engine.embedder.embed_passages
    engine.indexer.embedder.embed_passages = lambda texts, progress=None: (calls.append(len(texts)),  # type: ignore[method-assign]
                                                                          original(texts, progress))[1]
    try:
        added = engine.add_document(text=NEW, doc_id="installments")
    finally:
        del engine.indexer.embedder.embed_passages
    assert sum(calls) == 1  # only the new passage was embedded
    m = _manifest(engine.data_dir, added.index_version)
    assert m["segments"]["base_version"] == base_version and m["segments"]["delta_rows"] == 1
    base_file = engine.data_dir / SNAPSHOTS / base_version / "dense.npy"
    assert (engine.data_dir / SNAPSHOTS / added.index_version / "dense.npy").stat().st_ino == base_file.stat().st_ino
    assert engine.search("账单分期手续费", top_k=1).hits[0].doc_id == "installments"
    assert verify_data_dir(engine.data_dir, DB_NAME).ok


def test_delta_results_match_a_full_rebuild(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = fake_engine_factory()
    engine.ingest([corpus])
    engine.add_document(text=NEW, doc_id="installments")
    changed = (corpus / "credit-card-product-manager.txt").read_text(encoding="utf-8").replace(
        "消费卡、商务卡、联名卡", "消费卡、商务卡、联名卡、虚拟卡")
    (corpus / "credit-card-product-manager.txt").write_text(changed, encoding="utf-8")
    (corpus / "bank-product-manager-skills.txt").unlink()
    report = engine.ingest([corpus])
    m = _manifest(engine.data_dir, report.index_version)
    assert m["segments"]["delta_rows"] > 0
    assert sorted(m["segments"]["deleted_docs"]) == ["bank-product-manager-skills", "credit-card-product-manager"]
    delta = {q: [h.passage_id for h in engine.search(q, top_k=3).hits] for q in QUERIES}
    assert {d["doc_id"] for d in engine.documents()} == {"credit-card-product-manager", "installments"}
    assert any("虚拟卡" in h.text for h in engine.search("虚拟卡", top_k=3).hits)  # the changed text is served
    assert all(not h.doc_id.startswith("bank") for q in QUERIES for h in engine.search(q, top_k=10).hits)

    full = fake_engine_factory(tmp_path / "full", config=IndexConfig(delta_min_rows=0, delta_max_share=0.0))
    full.ingest([corpus, tmp_path / "no-such"])  # corpus only (the missing path is just reported)
    full.add_document(text=NEW, doc_id="installments")
    rebuilt = {q: [h.passage_id for h in full.search(q, top_k=3).hits] for q in QUERIES}
    assert delta == rebuilt


def test_large_changes_compact_into_a_full_build(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = fake_engine_factory(config=IndexConfig(delta_min_rows=0, delta_max_share=0.1))
    engine.ingest([corpus])
    small = engine.add_document(text=NEW, doc_id="installments")
    assert _manifest(engine.data_dir, small.index_version)["segments"]["delta_rows"] == 1
    sections = [f"{'一二三四五六七八九十'[i]}、第{i}节\n\n" + f"第{i}节讲信用卡年费和积分的规则，内容各不相同{i}。" * 3
                for i in range(10)]
    big = "\n\n".join(["长文章", *sections])
    version = engine.add_document(text=big, doc_id="long").index_version
    m = _manifest(engine.data_dir, version)
    assert m["segments"]["delta_rows"] == 0 and m["segments"]["base_version"] == version
    assert m["counts"]["documents"] == 4
    assert verify_data_dir(engine.data_dir, DB_NAME).ok
