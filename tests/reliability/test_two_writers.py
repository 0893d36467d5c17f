"""Two writers at once: real ingest processes serialise on the write lock; a writer that gives up says who holds it."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from index.engine import DB_NAME, Engine
from index.lock import WriteLock
from index.snapshots.verify import verify_data_dir
from ingest.embedders import Embedder
from ingest.segmenter import JiebaSegmenter
from service.cli import app
from tests.conftest import REPO

QUERIES = ("信用卡一般分为哪几类?", "风险管理能力", "数据分析")


def _ingest(corpus: Path, data: Path) -> subprocess.Popen[str]:
    # A generous lock timeout: on a loaded machine one ingest can hold the lock longer than the default 30 s.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ARTICLEQA_")}, "ARTICLEQA_LOCK_TIMEOUT": "600"}
    return subprocess.Popen([sys.executable, "-m", "service.cli", "ingest", str(corpus), "--data-dir", str(data),
                             "--json"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_ingests_at_once_serialise_and_corrupt_nothing(corpus_dir: Path, built_data_dir: Path, tmp_path: Path,
                                                          embedder: Embedder, segmenter: JiebaSegmenter) -> None:
    data = tmp_path / "data"
    # Started together, both reach the lock while the other one may hold it: one waits for the other.
    procs = [_ingest(corpus_dir, data), _ingest(corpus_dir, data)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    reports = sorted((json.loads(out) for out, _ in outs), key=lambda r: len(r["added"]), reverse=True)
    # The first writer added both articles; the second found them all unchanged, nothing added twice.
    assert len(reports[0]["added"]) == 2 and not reports[0]["errors"]
    assert reports[1]["added"] == [] and len(reports[1]["unchanged"]) == 2

    check = verify_data_dir(data, DB_NAME, embedder_id=embedder.id, dim=embedder.dim,
                            dictionary_hash=segmenter.dictionary_hash)
    assert check.ok, check.problems
    both, alone = Engine(data, embedder, segmenter), Engine(built_data_dir, embedder, segmenter)
    try:
        assert both.store.integrity_check() == "ok"
        for q in QUERIES:  # the same index as one uninterrupted ingest of the same corpus
            assert ([h.passage_id for h in both.search(q).hits] == [h.passage_id for h in alone.search(q).hits])
    finally:
        both.close()
        alone.close()


def test_ingest_that_cannot_get_the_lock_exits_3_naming_the_holder(tmp_path: Path, corpus_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ARTICLEQA_LOCK_TIMEOUT", "0.3")
    with WriteLock(data, purpose="backup by the night job"):
        res = CliRunner().invoke(app, ["ingest", str(corpus_dir), "--data-dir", str(data)])
    assert res.exit_code == 3, res.output
    assert f"pid {os.getpid()}" in res.output and "backup by the night job" in res.output
    assert not (data / "CURRENT").exists()  # nothing was published by the writer that gave up


def _open_store(path: str, barrier: Any, results: Any) -> None:
    from index.store import Store

    barrier.wait()  # every process opens the new file at the same moment
    try:
        Store(Path(path)).close()
        results.put("ok")
    except Exception as exc:  # reported to the test, which names it
        results.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_store_at_once_take_turns(tmp_path: Path) -> None:
    # Two ingests (or an ingest and the service) starting on an empty data folder create the SQLite
    # store together: before the fix, one in three such rounds failed with "database is locked"
    # (switching to WAL) or a duplicate schema_version row.
    ctx = multiprocessing.get_context("fork")
    failures = []
    for i in range(15):
        path = str(tmp_path / f"store-{i}.sqlite3")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_open_store, args=(path, barrier, results)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        failures += [r for r in (results.get(timeout=10) for _ in procs) if r != "ok"]
    assert failures == []
