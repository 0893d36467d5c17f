"""An article without a single keyword term (only punctuation) publishes and loads; it was a 500 before."""

from __future__ import annotations

from pathlib import Path

from index.engine import Engine
from ingest.embedders import Embedder
from ingest.segmenter import JiebaSegmenter


def test_article_of_punctuation_publishes_and_reloads(tiny_corpus: Path, engine_factory: type[Engine],
                                                      tmp_path: Path, embedder: Embedder,
                                                      segmenter: JiebaSegmenter) -> None:
    engine = engine_factory()
    engine.ingest([tiny_corpus])
    written = engine.add_document(text=";", doc_id="semi", name="semi.txt")
    assert written.status == "created"
    assert engine.search("联名卡有什么好处", top_k=1).hits[0].doc_id == "card-types"
    again = Engine(tmp_path / "data", embedder, segmenter)  # loads the published snapshot from disk
    try:
        assert again.search("联名卡有什么好处", top_k=1).hits[0].doc_id == "card-types"
        assert "semi" in {d["doc_id"] for d in again.documents()}
    finally:
        again.close()
