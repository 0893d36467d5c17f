"""The Milvus backend on Milvus Lite (embedded): same results as the snapshot backend, incremental
updates without re-embedding, full builds behind an alias, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.config import IndexConfig
from index.engine import Engine
from index.errors import BackendUnavailable, IndexUnusable
from index.evaluation import load_questions
from index.milvus.backend import MilvusBackend
from index.milvus.client import row_key
from index.milvus.sparse import passage_weights, query_weights, sparse_dot
from index.snapshots.keyword import KeywordIndex
from index.store import Store
from ingest.segmenter import JiebaSegmenter
from tests.conftest import CORPUS, EVAL

NEW = "分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算，联名卡的积分也可以抵扣分期手续费。"


@pytest.fixture()
def milvus_engine(tmp_path: Path, fake_embedder, segmenter):  # type: ignore[no-untyped-def]
    """Factory of engines on the Milvus backend (Lite, under tmp_path), closed at the end; the fake embedder
    unless told another: these tests are of the backend's mechanics, which hold for any embedder."""
    made: list[Engine] = []

    def make(data_dir: Path | None = None, config: IndexConfig | None = None, embedder_=None,
             segmenter_=None, **backend_kwargs) -> Engine:  # type: ignore[no-untyped-def]
        data = data_dir or tmp_path / "data"
        emb, seg, cfg = embedder_ or fake_embedder, segmenter_ or segmenter, config or IndexConfig()
        latent = backend_kwargs.get("latent")
        backend = MilvusBackend(str(data / "milvus.db"), emb, seg, cfg, **backend_kwargs)
        engine = Engine(data, emb, seg, config=cfg, backend=backend, latent=latent)
        made.append(engine)
        return engine

    yield make
    for e in made:
        e.close()


def _counting(engine: Engine) -> list[int]:
    calls: list[int] = []
    original = engine.embedder.embed_passages
    engine.indexer.embedder.embed_passages = lambda texts, progress=None: (  # type: ignore[method-assign]
        calls.append(len(texts)), original(texts, progress))[1]
    return calls


def test_bm25_as_sparse_vectors_equals_bm25s() -> None:
    docs = [["信用卡", "年费", "信用卡", "积分"], ["高铁", "票价"], ["信用卡", "风险", "管理", "风险", "审批"],
            ["积分"]]
    kw = KeywordIndex.build(docs)
    store_like = {t: (i + 1, sum(t in d for d in docs)) for i, t in enumerate(sorted({t for d in docs for t in d}))}
    ids = {t: v[0] for t, v in store_like.items()}
    avgdl = sum(map(len, docs)) / len(docs)
    for query in (["信用卡", "积分"], ["风险", "风险", "高铁"], ["不存在", "年费"]):
        q = query_weights(query, store_like, len(docs))
        ours = [sparse_dot(q, passage_weights(d, ids, avgdl)) for d in docs]
        assert np.allclose(ours, kw.scores(query), atol=1e-5), query
    with pytest.raises(ValueError, match="avgdl"):
        passage_weights(["a"], {"a": 1}, 0.0)


def test_store_keeps_term_statistics_in_step(tmp_path: Path, fake_engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    store: Store = engine.store

    def recount() -> dict[str, int]:
        df: dict[str, int] = {}
        for batch in store.iter_records("none"):
            for r, _ in batch:
                for t in set(r.tokens.split()):
                    df[t] = df.get(t, 0) + 1
        return df

    def check() -> None:
        df = recount()
        stats = store.term_stats(list(df))
        assert {t: v[1] for t, v in stats.items()} == df
        passages, tokens = store.keyword_totals()
        assert passages == store.counts()[1]
        assert tokens == sum(len(r.tokens.split()) for b in store.iter_records("none") for r, _ in b)

    check()
    card_id = store.term_stats(["信用卡"])["信用卡"][0]
    (tiny_corpus / "ux.html").unlink()
    changed = "# 风险\n\n## 一、信用卡风险\n\n信用卡逾期是常见的信用风险。"
    (tiny_corpus / "risk.md").write_text(changed, encoding="utf-8")
    engine.ingest([tiny_corpus])
    check()
    assert store.term_stats(["信用卡"])["信用卡"][0] == card_id  # term ids never move
    assert store.deleted_since(0) == ["ux"]


def test_milvus_ranks_exactly_like_the_snapshot_backend(milvus_engine, fake_engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    faiss = fake_engine_factory(tmp_path / "faiss")  # the same embedder on both: the backends are compared
    faiss.ingest([corpus])
    milvus = milvus_engine()
    report = milvus.ingest([corpus])
    assert report.index_version == "000001" and milvus.stats()["backend"] == "milvus"
    assert milvus.stats()["passages"] == faiss.stats()["passages"]
    for q in load_questions(EVAL / "dev_questions.jsonl"):
        a, b = faiss.search(q.q, top_k=5), milvus.search(q.q, top_k=5)
        assert [h.passage_id for h in b.hits] == [h.passage_id for h in a.hits], q.q
        assert np.allclose([h.score for h in b.hits], [h.score for h in a.hits], atol=1e-3)
        assert b.low_confidence == a.low_confidence
        assert b.hits[0].citation == a.hits[0].citation
    # The interface's single-retriever searches agree too (rows differ: compare passage ids).
    fs, ms = faiss.searcher(), milvus.searcher()
    qvec, terms = fs.query_vector("风险管理能力"), fs.segmenter.tokenize("风险管理能力")

    def ids(index, found) -> list[str]:  # type: ignore[no-untyped-def]
        return [r.passage_id for r in index.rows([int(r) for r in found.rows])]

    for a, b in ((fs.index.search_dense(qvec, 5), ms.index.search_dense(qvec, 5)),
                 (fs.index.search_keyword(terms, 5), ms.index.search_keyword(terms, 5))):
        assert ids(fs.index, a) == ids(ms.index, b) and len(a) == 5
        assert np.allclose(a.dense, b.dense, atol=1e-5) and np.allclose(a.keyword, b.keyword, atol=1e-4)
    dense_only = ms.index.search_dense(qvec, 5)
    assert list(dense_only.dense) == sorted(dense_only.dense, reverse=True)
    assert (ms.index.search_keyword(terms, 5).keyword > 0).all()
    filtered = milvus.search("风险管理", top_k=5, doc_ids=["bank-product-manager-skills"])
    assert filtered.hits and {h.doc_id for h in filtered.hits} == {"bank-product-manager-skills"}
    assert [d["doc_id"] for d in milvus.documents()] == [d["doc_id"] for d in faiss.documents()]


def test_incremental_add_update_delete_without_reembedding(milvus_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = milvus_engine()
    first = engine.ingest([corpus])
    collection = engine.backend.manifest()["collection"]  # type: ignore[attr-defined]
    calls = _counting(engine)
    try:
        added = engine.add_document(text=NEW, doc_id="installments")
        assert added.status == "created" and added.index_version == "000002"
        assert sum(calls) == 1  # only the new passage was embedded
        assert engine.search("账单分期手续费", top_k=1).hits[0].doc_id == "installments"
        again = engine.add_document(text=NEW, doc_id="installments")
        assert again.status == "unchanged" and again.index_version == "000002"

        edited = (corpus / "credit-card-product-manager.txt").read_text(encoding="utf-8").replace(
            "消费卡、商务卡、联名卡", "消费卡、商务卡、联名卡、虚拟卡")
        (corpus / "credit-card-product-manager.txt").write_text(edited, encoding="utf-8")
        (corpus / "bank-product-manager-skills.txt").unlink()
        report = engine.ingest([corpus])
    finally:
        del engine.indexer.embedder.embed_passages
    assert report.updated == ["credit-card-product-manager"] and report.removed == ["bank-product-manager-skills"]
    assert sum(calls) == 2  # the new article's passage and the one edited passage
    assert engine.backend.manifest()["collection"] == collection  # type: ignore[attr-defined]  # in place
    docs = {d["doc_id"] for d in engine.documents()}
    assert docs == {"credit-card-product-manager", "installments"}
    hit = engine.search("虚拟卡", top_k=1).hits[0]
    assert "虚拟卡" in hit.text
    assert all(h.doc_id != "bank-product-manager-skills" for h in engine.search("领导力", top_k=10).hits)
    client = engine.backend.client()  # type: ignore[attr-defined]
    rows = client.query(collection, filter='doc_id != ""', output_fields=["passage_id"])
    assert len(rows) == engine.store.counts()[1] == engine.stats()["passages"]  # nothing stale left behind
    assert engine.delete_document("installments") is not None
    assert engine.delete_document("installments") is None
    assert all(h.doc_id != "installments" for h in engine.search("账单分期手续费", top_k=10).hits)
    assert int(report.index_version) > int(first.index_version)


def test_full_build_switches_the_alias_and_drops_leftovers(milvus_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = milvus_engine()
    engine.ingest([corpus])
    backend: MilvusBackend = engine.backend  # type: ignore[assignment]
    client = backend.client()
    client.create_collection("articleqa__000099", dimension=4)  # a killed build's leftover
    reader = engine.searcher()
    before = [h.passage_id for h in reader.search("风险管理能力", top_k=3).hits]
    engine.close()

    # Other chunk parameters: every passage is cut again, so the next publish is a full build.
    rechunked = milvus_engine(config=IndexConfig(chunking=type(IndexConfig().chunking)(max_chars=200, min_chars=60)))
    report = rechunked.ingest([corpus])
    manifest = rechunked.backend.manifest()  # type: ignore[attr-defined]
    assert manifest["collection"] == "articleqa__000002" and report.index_version == "000002"
    client = rechunked.backend.client()  # type: ignore[attr-defined]
    # The old build, its side collections and the leftover are gone; the new build and its side data remain.
    assert sorted(client.list_collections()) == ["articleqa__000002", "articleqa__000002_articles",
                                                 "articleqa__000002_terms"]
    assert rechunked.search("风险管理能力", top_k=3).hits and before


def test_mismatched_embedder_fails_loudly(milvus_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = milvus_engine()
    engine.ingest([CORPUS])
    engine.close()

    class Other:
        id = "test:other"
        dim = 384

    backend = MilvusBackend(str(tmp_path / "data" / "milvus.db"), Other(), JiebaSegmenter())  # type: ignore[arg-type]
    try:
        version = backend.current_version()
        assert version == "000001"
        with pytest.raises(IndexUnusable, match=r"built with embedder .test:hash-bigrams.*test:other"):
            backend.open(version, Store(tmp_path / "data" / "articleqa.sqlite3"))
    finally:
        backend.close()


def test_lite_file_held_by_another_process_is_a_clear_error(milvus_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = milvus_engine()
    engine.ingest([CORPUS])
    assert engine.ready()
    script = ("import sys; from index.milvus.backend import MilvusBackend;"
              "from tests.helpers.fake_embedder import HashEmbedder; from ingest.segmenter import JiebaSegmenter;"
              f"b = MilvusBackend({str(tmp_path / 'data' / 'milvus.db')!r}, HashEmbedder(), JiebaSegmenter());"
              "b.current_version()")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode != 0
    assert "BackendUnavailable" in proc.stderr and "one process" in proc.stderr
    engine.close()  # releases the file: another process may open it now
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_row_keys_are_stable_and_collisions_are_refused(milvus_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert row_key("a#0") == row_key("a#0") != row_key("a#1")
    assert 0 <= row_key("信用卡#12") < 2**63
    engine = milvus_engine()
    engine.add_document(text=NEW, doc_id="installments")
    monkeypatch.setattr("index.milvus.backend.row_key", lambda passage_id: row_key("installments#0"))
    with pytest.raises(RuntimeError, match="hash"):
        engine.add_document(text="别的文章\n\n一、内容\n\n完全不同的一段话，讲的是高铁。", doc_id="other")
    monkeypatch.undo()
    assert engine.search("账单分期手续费", top_k=1).hits[0].doc_id == "installments"  # not overwritten


def test_bad_settings_are_refused(fake_embedder, segmenter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="keyword mode"):
        MilvusBackend("x.db", fake_embedder, segmenter, keyword_mode="both")
    with pytest.raises(ValueError, match="collection name"):
        MilvusBackend("x.db", fake_embedder, segmenter, collection="drop table")
    unreachable = MilvusBackend("http://127.0.0.1:9", fake_embedder, segmenter)
    with pytest.raises(BackendUnavailable, match=r"127\.0\.0\.1:9"):
        unreachable.current_version()


def test_unreachable_milvus_makes_the_service_not_ready(tmp_path: Path, start_server) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.live_server import make_settings

    api = start_server(make_settings(tmp_path / "data", backend="milvus", milvus_uri="http://127.0.0.1:9"))
    with api.client() as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["backend"] == "milvus"
        assert "127.0.0.1:9" in ready.json()["detail"]
        r = client.post("/search", json={"query": "信用卡"})
        assert r.status_code == 503 and "127.0.0.1:9" in r.json()["detail"]


def test_verify_finds_missing_rows_and_migrate_repairs_them(milvus_engine) -> None:  # type: ignore[no-untyped-def]
    engine = milvus_engine()
    engine.ingest([CORPUS])
    backend: MilvusBackend = engine.backend  # type: ignore[assignment]
    report = backend.verify(engine.store)
    assert report.ok, report.problems
    assert report.checked["rows"] == report.checked["store"]["passages"] == report.checked["citations"] > 0
    collection = backend.manifest()["collection"]  # type: ignore[index]
    backend.client().delete(collection, filter='doc_id == "bank-product-manager-skills"')
    backend.client().delete(f"{collection}_articles", filter='doc_id == "credit-card-product-manager"')
    damaged = backend.verify(engine.store)
    assert not damaged.ok and "missing" in damaged.problems[0]
    assert "side collection" in damaged.problems[1] and damaged.checked["side_articles"] == 1
    manifest = engine.publish(full=True)  # what `articleqa migrate --to milvus` does
    assert manifest["collection"] != collection
    repaired = backend.verify(engine.store)
    assert repaired.ok and repaired.checked["side_articles"] == 2
    assert any(h.doc_id == "bank-product-manager-skills" for h in engine.search("领导力", top_k=3).hits)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_dense_kinds_build_and_search(milvus_engine, embedder, kind: str) -> None:  # type: ignore[no-untyped-def]
    # The real model: the approximate index must still find the passage that answers by meaning.
    engine = milvus_engine(config=IndexConfig(dense_kind=kind), embedder_=embedder)
    engine.ingest([CORPUS])
    dense = engine.backend.manifest()["dense"]  # type: ignore[attr-defined]
    assert dense["kind"] == kind and dense["requested"] == kind
    hit = engine.search("信用卡一般分为哪几类?", top_k=3).hits[0]
    assert "消费卡" in hit.text


def test_auto_switches_to_the_approximate_kind_past_the_threshold(milvus_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = milvus_engine(config=IndexConfig(dense_kind="auto"))
    engine.ingest([CORPUS])
    first = engine.backend.manifest()  # type: ignore[attr-defined]
    assert first["dense"]["kind"] == "flat"
    monkeypatch.setattr("index.dense_kinds.AUTO_ANN_MIN_ROWS", 50)  # the corpus now counts as large
    report = engine.add_document(text=NEW, doc_id="installments")
    manifest = engine.backend.manifest()  # type: ignore[attr-defined]
    assert manifest["dense"]["kind"] == "ivf" and manifest["collection"] != first["collection"]
    assert report.index_version == manifest["version"]
    engine.add_document(text=NEW.replace("按月", "按日"), doc_id="installments")
    assert engine.backend.manifest()["collection"] == manifest["collection"]  # type: ignore[attr-defined]


def test_backup_of_a_milvus_data_folder_is_the_store(milvus_engine, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from service.cli import app

    engine = milvus_engine(embedder_=embedder)  # the real model: the CLI below opens the index with it
    engine.ingest([CORPUS])
    expected = [h.passage_id for h in engine.search("风险管理能力", top_k=3).hits]
    engine.close()
    runner, env = CliRunner(), {"ARTICLEQA_BACKEND": "milvus"}
    res = runner.invoke(app, ["backup", str(tmp_path / "bak"), "--data-dir", str(tmp_path / "data")], env=env)
    assert res.exit_code == 0 and "the store" in res.output, res.output
    assert not (tmp_path / "bak" / "milvus.db").exists()  # Milvus is rebuilt, not copied
    restored = tmp_path / "restored"
    res = runner.invoke(app, ["restore", str(tmp_path / "bak"), "--data-dir", str(restored)], env=env)
    assert res.exit_code == 0 and "migrate --to milvus" in res.output, res.output
    res = runner.invoke(app, ["migrate", "--to", "milvus", "--data-dir", str(restored)], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["search", "--json", "风险管理能力", "-k", "3", "--data-dir", str(restored)], env=env)
    assert res.exit_code == 0, res.output
    assert [h["passage_id"] for h in json.loads(res.stdout)["results"]] == expected


def test_an_article_without_terms_is_stored_and_found_by_meaning(milvus_engine, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    """Milvus refuses an empty sparse vector; an article of punctuation was a 500 on upload (schemathesis)."""
    engine = milvus_engine()
    engine.ingest([tiny_corpus])
    written = engine.add_document(text=";", doc_id="semi", name="semi.txt")
    assert written.status == "created"
    assert "semi" in {d["doc_id"] for d in engine.documents()}
    hit = engine.search("联名卡有什么好处", top_k=1).hits[0]
    assert hit.doc_id == "card-types" and hit.keyword_score > 0.001


def test_latent_terms_on_milvus_score_as_on_the_snapshot_backend(milvus_engine, fake_engine_factory,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    from tests.helpers.fake_latent import HashLatentTerms

    corpus = Path(shutil.copytree(CORPUS, tmp_path / "corpus"))
    latent = HashLatentTerms()
    engine = milvus_engine(latent=latent)
    engine.ingest([corpus])
    assert engine.backend.manifest()["latent"] == {"id": latent.id, "dim": latent.dim}
    engine.add_document(text=NEW, doc_id="installments")  # updated in place: its latent terms upserted
    snap = fake_engine_factory(tmp_path / "snap", latent=HashLatentTerms())
    snap.ingest([corpus])
    snap.add_document(text=NEW, doc_id="installments")
    question = "联名卡积分抵扣分期手续费"
    query = latent.encode_query(question)
    scored = []
    for e in (engine, snap):
        index = e.searcher().index
        rows = index.search_hybrid(None, e.segmenter.tokenize(question), 50).rows
        scores = index.latent_scores(query, rows)
        assert scores is not None
        scored.append({r.passage_id: s for r, s in zip(index.rows([int(x) for x in rows]), scores, strict=True)})
    assert scored[0] == pytest.approx(scored[1])
    assert max(scored[0], key=lambda pid: scored[0][pid]).startswith("installments")
    assert engine.searcher().latent is latent
    # A collection built without them is rebuilt with them by the next ingest.
    plain = milvus_engine(tmp_path / "plain")
    plain.ingest([corpus])
    plain.close()
    later = milvus_engine(tmp_path / "plain", latent=HashLatentTerms())
    assert later.searcher().latent is None
    later.ingest([corpus])
    assert later.backend.manifest()["latent"]["id"] == latent.id
    assert later.searcher().latent is not None
