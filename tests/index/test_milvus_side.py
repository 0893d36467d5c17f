"""The side collections of a Milvus build answer what readers asked the SQLite store: the same articles,
listing, passages and term statistics, after additions, changes and deletions, for articles of any length."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.catalog import StoreCatalog
from index.engine import Engine
from index.milvus import side
from index.milvus.backend import MilvusBackend
from index.milvus.side import SIDE_FORMAT, SideReader, SideWriter, side_names


def _manifest(store, collection: str) -> dict:  # type: ignore[no-untyped-def]
    passages, tokens = store.keyword_totals()
    return {"collection": collection, "store_generation": store.generation(),
            "counts": dict(zip(("documents", "passages"), store.counts(), strict=True)),
            "side": {"format": SIDE_FORMAT, **side_names(collection), "passages": passages, "tokens": tokens}}


def _same(reader: SideReader, catalog: StoreCatalog, terms: list[str]) -> None:
    assert reader.list_articles() == catalog.list_articles()
    assert reader.documents_table() == catalog.documents_table()
    some = [a.doc_id for a in catalog.list_articles()][:2]
    assert reader.documents_table(some) == catalog.documents_table(some)
    assert reader.term_stats(terms) == catalog.term_stats(terms)
    assert reader.counts() == catalog.counts() and reader.generation() == catalog.generation()
    for a in catalog.list_articles():
        assert reader.get_article(a.doc_id) == catalog.get_article(a.doc_id)
    assert reader.existing([*some, "no-such-article"]) == sorted(some)
    assert reader.get_article("no-such-article") is None


def test_side_data_matches_the_store(tmp_path: Path, engine_factory, tiny_corpus: Path, embedder,  # type: ignore[no-untyped-def]
                                     segmenter, monkeypatch: pytest.MonkeyPatch) -> None:
    # Parts of 100 characters: the tiny articles are cut into several, as a long article is into 16,000-character ones.
    monkeypatch.setattr(side, "PART_CHARS", 100)
    engine: Engine = engine_factory()
    engine.ingest([tiny_corpus])
    paragraphs = (f"第{i}段：信用卡的年费和积分规则各不相同，“引号”与\\反斜杠。" for i in range(12))
    long_text = "长文章\n\n" + "\n\n".join(paragraphs)
    engine.add_document(text=long_text, doc_id="long", title="长文章")
    store = engine.store
    backend = MilvusBackend(str(tmp_path / "m" / "milvus.db"), embedder, segmenter)
    try:
        name = "side__000001"
        names = side_names(name)
        writer = SideWriter(backend.client)
        writer.create(names)
        docs = [a.doc_id for a in store.list_articles()]
        writer.write_articles(names, store, docs)
        terms = sorted({t for b in store.iter_records(embedder.id) for r, _ in b for t in r.tokens.split()})
        writer.write_terms(names, store, terms)
        catalog = StoreCatalog(store, embedder.id)
        reader = SideReader(backend.client, _manifest(store, name))
        _same(reader, catalog, [*terms[:50], "不存在的词"])
        parts = backend.client().query(names["articles"], filter='doc_id == "long"', output_fields=["part"])
        assert len(parts) > 3

        # The long article shrinks to one part, another is deleted: stale parts and rows go.
        engine.add_document(text="长文章\n\n现在只剩一段：年费。", doc_id="long", title="长文章")
        gone = docs[0]
        engine.delete_document(gone)
        writer.write_articles(names, store, ["long"])
        writer.delete_articles(names, [gone])
        writer.write_terms(names, store, terms)
        reader = SideReader(backend.client, _manifest(store, name))
        _same(reader, catalog, terms[:200])
        assert reader.get_article(gone) is None and gone not in reader.existing([gone])
        assert len(backend.client().query(names["articles"], filter='doc_id == "long"', output_fields=["part"])) == 1
    finally:
        backend.close()
