"""Swap under load: searches in many threads while snapshots are published over and over."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from index.engine import Engine
from index.indexer import IndexConfig
from index.snapshots.files import SNAPSHOTS
from index.snapshots.snapshot import Snapshot
from tests.helpers.live_server import copy_data_dir

QUERIES = ("信用卡一般分为哪几类?", "风险管理", "学习能力", "积分兑换", "联名卡")


def _passage_ids(snapshot: Snapshot) -> set[str]:
    """Live passage ids of a snapshot: its base (less replaced or deleted articles) and its delta."""
    ids: set[str] = set()
    for segment in snapshot.segments:
        conn = sqlite3.connect(f"file:{segment.folder / 'meta.sqlite'}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT passage_id, doc_id FROM passages").fetchall()
        finally:
            conn.close()
        dead = snapshot.deleted_docs if segment is snapshot.base else frozenset()
        ids |= {pid for pid, doc in rows if doc not in dead}
    return ids


def test_searches_during_repeated_publishes(built_data_dir: Path, tmp_path: Path, embedder, segmenter) -> None:  # type: ignore[no-untyped-def]
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    engine = Engine(data, embedder, segmenter, config=IndexConfig(keep_snapshots=2))
    engine.searcher()
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[tuple[str, list[str]]] = []
    lock = threading.Lock()
    snapshot_ids: dict[str, set[str]] = {}

    def reader(n: int) -> None:
        i = n
        while not stop.is_set():
            try:
                searcher = engine.searcher()
                version = searcher.index.version
                with lock:
                    if version not in snapshot_ids:
                        snapshot_ids[version] = _passage_ids(searcher.index)
                result = searcher.search(QUERIES[i % len(QUERIES)], top_k=5)
                assert result.index_version == version
                with lock:
                    seen.append((version, [h.passage_id for h in result.hits]))
            except BaseException as exc:  # every failure is the finding
                errors.append(exc)
                return
            i += 1

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    publishes = 0
    try:
        for round_ in range(6):
            text = f"积分说明{round_}\n\n一、积分\n\n第{round_}版：信用卡积分可以兑换里程、礼品和年费减免。"
            version = engine.add_document(text=text, doc_id=f"points-{round_}").index_version
            publishes += 1
            if round_ % 2:
                version = engine.delete_document(f"points-{round_ - 1}") or version
                publishes += 1
            deadline = time.monotonic() + 10
            while not any(v == version for v, _ in list(seen)) and time.monotonic() < deadline and not errors:
                time.sleep(0.01)  # let the readers reach the new snapshot before the next publish
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors[:3]
    versions = {v for v, _ in seen}
    assert len(versions) >= 7, (len(seen), versions)
    # No result mixes two snapshots: every passage comes from the snapshot the result names.
    for version, ids in seen:
        assert set(ids) <= snapshot_ids[version], version
    left = [p for p in (data / SNAPSHOTS).iterdir() if p.name.isdigit()]
    assert publishes == 9 and len(left) <= 3
    engine.close()
