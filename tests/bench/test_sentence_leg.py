"""bench/sentence_leg.py: at weight 0 it is the searcher's own ranking; otherwise it re-ranks by best sentences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.sentence_leg import SentenceVectors, question_set, rerank
from ingest.chunking import sentence_spans

QUESTION = "手机银行的转账流程要几步?"


def test_weight_zero_is_the_searcher_s_ranking(fake_engine_factory, tiny_corpus) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    searcher = engine.searcher()
    sentences = SentenceVectors(searcher)
    ranking = rerank(searcher, sentences, QUESTION, 0.0, depth=30)
    assert np.array_equal(ranking.rows, searcher.rank(QUESTION, 100).rows)
    assert sentences.embedded == 0  # nothing to re-rank, nothing embedded


def test_dense_leg_of_best_sentences_orders_the_candidates(fake_engine_factory, tiny_corpus) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    searcher = engine.searcher()
    sentences = SentenceVectors(searcher)
    ranking = rerank(searcher, sentences, QUESTION, 1.0, depth=3, dense_only=True)
    before = searcher.rank(QUESTION, 100)
    assert sorted(ranking.rows.tolist()) == sorted(before.rows.tolist())  # the same candidates, none lost
    assert ranking.rows[3:].tolist() == before.rows[3:].tolist()  # past the depth, the order stays
    query = searcher.query_vector(QUESTION)
    expected = []
    for row in searcher.index.rows([int(r) for r in before.rows[:3]]):
        texts = [row.text[s:e] for s, e in sentence_spans(row.text)]
        expected.append((float((searcher.embedder.embed_passages(texts) @ query).max()), row.row))
    assert ranking.rows[:3].tolist() == [r for _, r in sorted(expected, key=lambda x: -x[0])]
    embedded = sentences.embedded
    assert embedded == sum(len(sentence_spans(r.text)) for r in searcher.index.rows(before.rows[:3].tolist()))
    rerank(searcher, sentences, QUESTION, 1.0, depth=3)
    assert sentences.embedded == embedded  # each passage's sentences are embedded once per run


def test_question_set_reports_both_modes(fake_engine_factory, tiny_corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "t1", "q": QUESTION, "answers": ["三步以内"]}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    out = question_set(engine.searcher(), SentenceVectors(engine.searcher()), path, 0.0, depth=30)
    assert out["hybrid"]["hit@1"] == 1.0 and out["hybrid"]["answer_hit"] == 1.0
    assert set(out["dense"]) == {"hit@1", "hit@5", "mrr@10"}


def test_saved_vectors_load_for_the_same_index_only(fake_engine_factory, tiny_corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_factory()
    engine.ingest([tiny_corpus])
    searcher = engine.searcher()
    sentences = SentenceVectors(searcher)
    rerank(searcher, sentences, QUESTION, 0.5, depth=4)
    sentences.save(tmp_path / "s.npz")
    again = SentenceVectors(searcher)
    again.load(tmp_path / "s.npz")
    assert again.vectors.keys() == sentences.vectors.keys()
    assert all(np.array_equal(again.vectors[r], sentences.vectors[r]) for r in sentences.vectors)
    rerank(searcher, again, QUESTION, 0.5, depth=4)
    assert again.embedded == 0  # every sentence came from the file
    extra = "新文章\n\n信用卡的额度怎么提高?提高额度需要良好的用卡记录。"
    (tiny_corpus / "extra.txt").write_text(extra, encoding="utf-8")
    engine.ingest([tiny_corpus])  # a new index version: the file no longer describes it
    with pytest.raises(SystemExit, match="holds the sentence vectors of"):
        SentenceVectors(engine.searcher()).load(tmp_path / "s.npz")
