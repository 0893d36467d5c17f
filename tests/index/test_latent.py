"""Latent terms in the index: stored per passage, encoded once, published with each segment, fused as a third leg."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.engine import DB_NAME
from index.errors import IndexUnusable
from index.fusion import FusionParams, fuse
from index.searcher import SearchParams
from index.snapshots.files import MANIFEST, SNAPSHOTS
from index.snapshots.latent import LATENT_DIR, LatentMatrix
from index.snapshots.verify import verify_data_dir
from ingest.latent_terms import LatentTerms
from tests.conftest import CORPUS
from tests.helpers.fake_latent import HashLatentTerms

NEW = "分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算，联名卡的积分也可以抵扣分期手续费。"


def _manifest(data: Path, version: str) -> dict:  # type: ignore[type-arg]
    return json.loads((data / SNAPSHOTS / version / MANIFEST).read_text(encoding="utf-8"))


def _corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CORPUS, tmp_path / "corpus"))


def test_a_latent_matrix_scores_each_asked_row_as_its_dot_product(tmp_path: Path) -> None:
    enc = HashLatentTerms()
    texts = ["信用卡的种类很多", "风险管理能力", "", "联名卡积分可以抵扣年费"]
    rows = enc.encode(texts)
    matrix = LatentMatrix.build(rows, enc.dim)
    query = enc.encode_query("联名卡的积分")
    asked = np.array([3, 0, 2, 3])
    expected = [rows[i].dot(query) for i in asked]
    assert matrix.scores(query, asked).tolist() == pytest.approx(expected)
    assert matrix.scores(query, asked)[0] > 0 and matrix.scores(query, asked)[2] == 0  # the empty text
    matrix.save(tmp_path / LATENT_DIR)
    loaded = LatentMatrix.load(tmp_path / LATENT_DIR, enc.dim)
    assert len(loaded) == 4 and loaded.scores(query, asked).tolist() == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"feature ids must lie in \[0, 8\)"):
        LatentMatrix.build(rows, 8)


def test_ingest_encodes_latent_terms_once_and_publishes_them(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latent = HashLatentTerms()
    engine = fake_engine_factory(latent=latent)
    report = engine.ingest([_corpus(tmp_path)])
    m = _manifest(engine.data_dir, report.index_version)
    assert m["latent"] == {"id": latent.id, "dim": latent.dim}
    assert {f"{LATENT_DIR}/indptr.npy", f"{LATENT_DIR}/indices.npy", f"{LATENT_DIR}/weights.npy"} <= set(m["files"])
    assert latent.encoded == report.passages
    # Nothing changed: nothing is encoded again.
    engine.ingest([tmp_path / "corpus"])
    assert latent.encoded == report.passages
    # One new article: only its passage, in a delta segment that has latent terms of its own.
    added = engine.add_document(text=NEW, doc_id="installments")
    assert latent.encoded == report.passages + 1
    m = _manifest(engine.data_dir, added.index_version)
    assert m["segments"]["delta_rows"] == 1 and f"delta/{LATENT_DIR}/weights.npy" in m["files"]
    searcher = engine.searcher()
    assert searcher.latent is latent
    ranking = searcher.rank("联名卡积分抵扣分期手续费", 10, params=SearchParams(mode="latent"))
    top = engine.searcher().index.rows([int(ranking.rows[0])])[0]
    assert top.doc_id == "installments"  # the delta row, scored from the delta segment's latent terms
    assert verify_data_dir(engine.data_dir, DB_NAME, latent_id=latent.id).checked["latent_terms"] == latent.id


def test_an_edited_article_re_encodes_only_its_changed_passages(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus(tmp_path)
    latent = HashLatentTerms()
    engine = fake_engine_factory(latent=latent)
    first = engine.ingest([corpus]).passages
    path = corpus / "credit-card-product-manager.txt"
    edited = path.read_text(encoding="utf-8").replace("消费卡、商务卡、联名卡", "消费卡、商务卡、联名卡、虚拟卡")
    path.write_text(edited, encoding="utf-8")
    engine.ingest([corpus])
    assert latent.encoded == first + 1  # the one passage whose text changed
    assert engine.store.passages_without_vector(latent.id) == []


def test_latent_terms_move_the_hybrid_ranking_only_with_their_weight(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latent = HashLatentTerms()
    engine = fake_engine_factory(latent=latent)
    engine.ingest([_corpus(tmp_path)])
    searcher = engine.searcher()
    query = "产品经理需要懂哪些法律法规"
    without = searcher.rank(query, 20, params=SearchParams(fusion=FusionParams(latent_weight=0.0)))
    found = searcher.index.search_hybrid(searcher.query_vector(query), searcher.segmenter.tokenize(query), 100)
    scores = searcher.index.latent_scores(latent.encode_query(query), found.rows)
    assert scores is not None and scores.max() > 0
    always = FusionParams(latent_weight=0.5, latent_full_at=0.0)  # in full whatever the query's words
    expected = fuse(found.dense, found.keyword, always, scores)
    with_ = searcher.rank(query, 20, params=SearchParams(fusion=always))
    assert with_.rows.tolist() == found.rows[np.argsort(-expected, kind="stable")].tolist()
    assert with_.rows.tolist() != without.rows.tolist()


def test_latent_terms_join_only_queries_with_words_the_articles_lack(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latent = HashLatentTerms()
    engine = fake_engine_factory(latent=latent)
    engine.ingest([_corpus(tmp_path)])
    searcher = engine.searcher()
    gated = SearchParams(fusion=FusionParams(latent_weight=0.5, latent_full_at=0.5))
    plain = SearchParams(fusion=FusionParams(latent_weight=0.0))
    known = "信用卡产品经理"  # every word is in the articles: the two other legs decide, nothing is encoded
    assert all(searcher.index.known([t]) for t in searcher.segmenter.tokenize(known))
    assert searcher.rank(known, 20, params=gated).rows.tolist() == searcher.rank(known, 20, params=plain).rows.tolist()
    assert latent.queries == 0
    odd = "信用卡产品经理需要哪些软实力"  # 软实力 is in no passage: a share of the weight
    terms = searcher.segmenter.tokenize(odd)
    unknown = sum(not searcher.index.known([t]) for t in terms) / len(terms)
    assert 0 < unknown < 0.5
    share = gated.fusion.latent_share(unknown)
    assert share == pytest.approx(unknown / 0.5)
    found = searcher.index.search_hybrid(searcher.query_vector(odd), terms, 100)
    scores = searcher.index.latent_scores(latent.encode_query(odd), found.rows)
    expected = found.rows[np.argsort(-fuse(found.dense, found.keyword, gated.fusion, scores, share), kind="stable")]
    assert searcher.rank(odd, 20, params=gated).rows.tolist() == expected.tolist()
    assert latent.queries == 2  # the search's own encoding, and the test's


def test_an_index_without_latent_terms_serves_and_the_next_ingest_adds_them(fake_engine_factory,  # type: ignore[no-untyped-def]
                                                                            tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    old = fake_engine_factory()
    passages = old.ingest([corpus]).passages
    old.close()
    latent = HashLatentTerms()
    engine = fake_engine_factory(latent=latent)
    assert engine.searcher().latent is None  # loads; searches go with dense and keywords only
    assert engine.search("风险管理", top_k=2).hits
    report = verify_data_dir(engine.data_dir, DB_NAME, latent_id=latent.id)
    assert report.ok and any("no latent terms" in w for w in report.warnings)
    version = engine.ingest([corpus]).index_version  # nothing changed, but the index lacks them: rebuilt
    assert latent.encoded == passages and _manifest(engine.data_dir, version)["latent"]["id"] == latent.id
    assert engine.searcher().latent is latent


def test_an_index_of_other_latent_terms_or_without_their_files_is_refused(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory(latent=HashLatentTerms())
    version = engine.ingest([_corpus(tmp_path)]).index_version
    engine.close()

    class OtherHead(HashLatentTerms):
        id = "test:another-head"

    other = fake_engine_factory(latent=OtherHead())
    with pytest.raises(IndexUnusable, match="built with latent terms 'test:hash-latent-1024'"):
        other.searcher()
    other.close()
    shutil.rmtree(engine.data_dir / SNAPSHOTS / version / LATENT_DIR)
    broken = fake_engine_factory(latent=HashLatentTerms())
    with pytest.raises(IndexUnusable, match="latent"):
        broken.searcher()


def test_fusion_without_latent_scores_is_the_two_leg_fusion() -> None:
    rng = np.random.default_rng(3)
    dense, keyword, latent = rng.random(30), rng.random(30) * 9, rng.random(30) * 4
    for method in ("zscore", "minmax", "rrf"):
        two = fuse(dense, keyword, FusionParams(method=method, latent_weight=0.0))
        assert fuse(dense, keyword, FusionParams(method=method, latent_weight=0.3)).tolist() == two.tolist()
        three = fuse(dense, keyword, FusionParams(method=method, latent_weight=0.3), latent)
        assert three.tolist() != two.tolist()
        none_of_it = fuse(dense, keyword, FusionParams(method=method, latent_weight=0.3), latent, 0.0)
        assert none_of_it.tolist() == two.tolist()
    with pytest.raises(ValueError, match="keyword_weight \\+ latent_weight <= 1"):
        FusionParams(keyword_weight=0.8, latent_weight=0.3)
    with pytest.raises(ValueError, match="latent_full_at must be within"):
        FusionParams(latent_full_at=1.5)
    assert FusionParams(latent_full_at=0.2).latent_share(0.1) == pytest.approx(0.5)
    assert FusionParams(latent_full_at=0.2).latent_share(0.6) == 1.0


def test_stored_latent_terms_are_kept_apart_from_the_dense_vectors(fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latent = HashLatentTerms()
    engine = fake_engine_factory(latent=latent)
    engine.ingest([_corpus(tmp_path)])
    pid = engine.store.passage_spans("credit-card-product-manager")[0][0]
    blob = engine.store.vector_blobs(latent.id, [pid])[pid]
    text = engine.searcher().index.rows([0])[0]
    assert isinstance(LatentTerms.from_bytes(blob), LatentTerms) and text.passage_id
    dense = engine.store.vector_blobs(engine.embedder.id, [pid])[pid]
    assert len(dense) == 4 * engine.embedder.dim
