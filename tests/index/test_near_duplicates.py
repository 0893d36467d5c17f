"""Near-duplicate articles are reported at ingest; their passages don't appear twice in results."""

from __future__ import annotations

import shutil
from pathlib import Path

from index.near_duplicates import hamming, overlap, simhash, trigrams
from tests.conftest import CORPUS


def test_simhash_separates_copies_from_other_articles(segmenter) -> None:  # type: ignore[no-untyped-def]
    a = segmenter.tokenize((CORPUS / "bank-product-manager-skills.txt").read_text(encoding="utf-8"))
    b = segmenter.tokenize((CORPUS / "credit-card-product-manager.txt").read_text(encoding="utf-8"))
    edited = [*a[:100], "转载", *a[100:300], *a[305:]]
    assert hamming(simhash(a), simhash(edited)) <= 6 < hamming(simhash(a), simhash(b))
    assert overlap(trigrams("信用卡分为消费卡、商务卡"), trigrams("信用卡分为消费卡、商务卡。")) == 1.0
    assert overlap(trigrams("信用卡分为消费卡"), trigrams("高铁从上海到杭州")) == 0.0


def test_repost_is_reported_and_not_returned_twice(engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    original = (corpus / "credit-card-product-manager.txt").read_text(encoding="utf-8")
    repost = original.replace("如何成为信用卡产品经理", "转载：如何成为信用卡产品经理", 1)
    repost = repost.replace("深入的了解", "深入了解")
    (corpus / "repost.txt").write_text(repost, encoding="utf-8")
    engine = engine_factory()
    report = engine.ingest([corpus])
    assert report.near_duplicates == [
        {"doc_id": "repost", "similar_to": "credit-card-product-manager",
         "differing_bits": report.near_duplicates[0]["differing_bits"]}]
    hits = engine.search("信用卡一般分为哪几类?", top_k=5).hits
    listing = [h for h in hits if "消费卡、商务卡、联名卡" in h.text]
    assert len(listing) == 1


def test_one_article_does_not_fill_every_place(seed_engine) -> None:  # type: ignore[no-untyped-def]
    searcher = seed_engine.searcher()
    snap = searcher.index
    checked = 0
    for query in ("产品经理需要具备哪些能力", "风险管理能力", "数据分析能力", "项目管理", "市场分析"):
        ranking = searcher.rank(query, 15)
        in_running = snap.docs_of_rows(ranking.rows[:15])
        hits = searcher.search(query, top_k=5).hits
        docs = [h.doc_id for h in hits]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        if len(set(in_running)) == 2 and min(in_running.count(d) for d in set(in_running)) >= 2:
            checked += 1
            assert max(docs.count(d) for d in set(docs)) <= 3, (query, docs)
    assert checked >= 2
