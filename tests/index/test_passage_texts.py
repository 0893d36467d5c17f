"""Both backends list every live passage's text (the answer's bigram statistics are counted from it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.engine import Engine
from index.milvus.backend import MilvusBackend

EXTRA = "分期付款\n\n信用卡分期的手续费按期收取，提前还款可以减免部分手续费。"


@pytest.mark.parametrize("backend_name", ["snapshots", "milvus"])
def test_passage_texts_follow_additions_and_deletions(tmp_path: Path, fake_embedder, segmenter,  # type: ignore[no-untyped-def]
                                                      tiny_corpus: Path, backend_name: str) -> None:
    data = tmp_path / "data"
    backend = MilvusBackend(str(data / "milvus.db"), fake_embedder, segmenter) if backend_name == "milvus" else None
    engine = Engine(data, fake_embedder, segmenter, backend=backend)
    try:
        engine.ingest([tiny_corpus])
        before = engine.searcher().index.passage_texts()
        assert len(before) == engine.searcher().index.size > 0
        engine.add_document(text=EXTRA, doc_id="installments")
        searcher = engine.searcher()
        after = searcher.index.passage_texts()
        assert sorted(after) == sorted([*before, "信用卡分期的手续费按期收取，提前还款可以减免部分手续费。"])
        assert searcher.bigram_frequency().frequency("分期") == 1  # a new version counts its own passages
        engine.delete_document("installments")
        assert sorted(engine.searcher().index.passage_texts()) == sorted(before)
        assert engine.searcher().bigram_frequency().frequency("分期") == 0
    finally:
        engine.close()


def test_milvus_reads_articles_in_batches_under_its_query_limit() -> None:
    from index.milvus.reader import _article_batches

    docs = [{"doc_id": d, "passages": n} for d, n in [("a", 3), ("b", 4), ("c", 9), ("d", 1), ("e", 2)]]
    assert list(_article_batches(docs, 8)) == [["a", "b"], ["c"], ["d", "e"]]  # c alone: more than 8 passages
    assert list(_article_batches(docs, 100)) == [["a", "b", "c", "d", "e"]]
    assert list(_article_batches([], 8)) == []
