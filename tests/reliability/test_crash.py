"""Crash test: SIGKILL an ingest at moments spread over its whole run; the published snapshot must keep
serving the same results, SQLite must stay intact, and a rerun must converge to the state of an
uninterrupted run."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.engine import DB_NAME, Engine
from index.snapshots.files import read_current
from index.snapshots.verify import verify_data_dir
from ingest.chunking import sentence_spans
from tests.conftest import CORPUS, REPO

# Kill i lands at a random moment of slice i of KILLS of an uninterrupted version switch, so the kills cover
# the whole run (start-up, reading and embedding, the store's writes, publishing) on every run of the test.
KILLS = 8
QUERIES = ("信用卡一般分为哪几类?", "风险管理能力", "产品经理如何释放压力?", "数据分析")


def _sentences() -> list[str]:
    out = []
    for path in sorted(CORPUS.iterdir()):
        text = path.read_text(encoding="utf-8").split("相关问答")[0]
        out += [text[s:e] for s, e in sentence_spans(text) if 12 <= e - s <= 120 and "\n" not in text[s:e]]
    return out


def _write_corpus(folder: Path, version: int, articles: int = 16) -> None:
    """Synthetic articles recombined from seed sentences; `version` changes a third of them."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.iterdir():
        f.unlink()
    rng = random.Random(1234)
    sentences = _sentences()
    for a in range(articles):
        body = [f"文章{a}", ""]
        for s in range(3):
            picked = rng.sample(sentences, 4)
            if version and a % 3 == version % 3:
                picked[0] = f"第{version}版修订：" + picked[0]
            body += [f"{'一二三'[s]}、第{s + 1}部分", "", "".join(picked), ""]
        (folder / f"a{a:02d}.txt").write_text("\n".join(body), encoding="utf-8")


def _results(engine: Engine) -> list[list[tuple[str, str]]]:
    return [[(h.passage_id, h.text) for h in engine.search(q, top_k=5).hits] for q in QUERIES]


def _state(engine: Engine) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    docs = sorted((a.doc_id, a.content_hash) for a in engine.store.list_articles())
    return docs, _results(engine)


def _ingest_cmd(corpus: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "service.cli", "ingest", str(corpus), "--data-dir", str(data)]


@pytest.mark.slow
def test_killed_ingests_never_break_the_published_snapshot(tmp_path: Path, embedder, segmenter) -> None:  # type: ignore[no-untyped-def]
    corpora = {v: tmp_path / f"corpus-v{v}" for v in (0, 1)}
    for v, folder in corpora.items():
        _write_corpus(folder, v)
    # References: each corpus version ingested without interruption.
    expected = {}
    for v, folder in corpora.items():
        ref = Engine(tmp_path / f"ref{v}", embedder, segmenter)
        ref.ingest([folder])
        expected[v] = _state(ref)
        ref.close()

    data = tmp_path / "data"
    live = tmp_path / "live"
    shutil.copytree(corpora[0], live)
    subprocess.run(_ingest_cmd(live, data), check=True, cwd=REPO, capture_output=True, timeout=300)
    # How long switching versions takes uninterrupted (what every killed run does): the window the kills cover.
    shutil.rmtree(live)
    shutil.copytree(corpora[1], live)
    started = time.monotonic()
    subprocess.run(_ingest_cmd(live, data), check=True, cwd=REPO, capture_output=True, timeout=300)
    switch_run = time.monotonic() - started
    rng = random.Random(os.getpid())
    survived = interrupted = 0
    published = 1
    for i in range(KILLS):
        version = 1 - published  # always a switch: a run to the version already there would do nothing
        shutil.rmtree(live)
        shutil.copytree(corpora[version], live)
        proc = subprocess.Popen(_ingest_cmd(live, data), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(0.05 + (i + rng.random()) / KILLS * (switch_run - 0.05))
        interrupted += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        report = verify_data_dir(data, DB_NAME, embedder_id=embedder.id, dim=embedder.dim,
                                 dictionary_hash=segmenter.dictionary_hash)
        assert report.ok, (i, report.problems)
        engine = Engine(data, embedder, segmenter)
        try:
            assert engine.store.integrity_check() == "ok"
            served = _results(engine)
        finally:
            engine.close()
        # Whatever is published is one complete corpus version, never a half-ingested one.
        assert served in (expected[0][1], expected[1][1]), (i, read_current(data))
        published = 0 if served == expected[0][1] else 1
        survived += 1

    # A rerun completes and converges to the uninterrupted state.
    shutil.rmtree(live)
    shutil.copytree(corpora[0], live)
    subprocess.run(_ingest_cmd(live, data), check=True, cwd=REPO, capture_output=True, timeout=300)
    engine = Engine(data, embedder, segmenter)
    try:
        assert _state(engine) == expected[0]
    finally:
        engine.close()
    assert survived == KILLS
    assert interrupted >= KILLS // 2, interrupted  # the kills cut runs short, they did not come after the end
    assert not list((data / "snapshots").glob(".build-*"))  # killed builds' leftovers were pruned
