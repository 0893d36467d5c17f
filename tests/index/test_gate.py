"""The quality gate refuses a broken build and the current snapshot keeps serving."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.errors import GateRefused
from index.evaluation import load_questions
from index.gate import question_gate
from index.snapshots.files import MANIFEST, SNAPSHOTS, read_current
from ingest.embedders import ProgressFn
from tests.conftest import CORPUS, EVAL


class BrokenEmbedder:
    """A deliberately wrong embedder: vectors that carry no meaning."""

    id = "test:random"
    dim = 384

    def __init__(self) -> None:
        self._rng = np.random.default_rng(7)

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        v = self._rng.normal(size=(len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


def test_gate_records_figures_then_refuses_a_wrong_embedder(engine_factory, segmenter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    questions = load_questions(EVAL / "dev_questions.jsonl")
    good = engine_factory()
    gate = question_gate(questions, good.embedder, segmenter, min_hit5=0.9)
    report = good.ingest([corpus], gate=gate)
    manifest = json.loads((good.data_dir / SNAPSHOTS / report.index_version / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["quality"]["hit@5"] == 1.0

    broken = engine_factory(good.data_dir, embedder_=BrokenEmbedder())
    bad_gate = question_gate(questions, broken.embedder, segmenter, min_hit5=0.5)
    with pytest.raises(GateRefused, match=r"below the current snapshot's 1\.000"):
        broken.ingest([corpus], gate=bad_gate)
    assert read_current(good.data_dir) == report.index_version
    assert not list((good.data_dir / SNAPSHOTS).glob(".build-*"))  # the refused build is gone
    assert "消费卡" in good.search("信用卡一般分为哪几类?").hits[0].text


def test_gate_minimum_applies_to_the_first_build(engine_factory, segmenter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"id": "x", "q": "高铁票价", "answers": ["这句话不在任何文章里"]}, ensure_ascii=False),
                     encoding="utf-8")
    engine = engine_factory()
    gate = question_gate(load_questions(qfile), engine.embedder, segmenter, min_hit5=0.5)
    with pytest.raises(GateRefused, match="below the gate's minimum"):
        engine.ingest([corpus], gate=gate)
    assert read_current(engine.data_dir) is None
    # The store keeps the articles: a run without the gate publishes them.
    assert engine.ingest([corpus]).passages > 0
