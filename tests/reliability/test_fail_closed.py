"""The service fails closed on damaged snapshots: it keeps the previous one, or reports not ready."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from index.snapshots.files import MANIFEST, SNAPSHOTS, read_current, write_atomic
from service.settings import Settings
from tests.helpers.live_server import Api, copy_data_dir, make_settings


def _current(data: Path) -> Path:
    return data / SNAPSHOTS / str(read_current(data))


def test_damaged_only_snapshot_means_not_ready(built_data_dir: Path, tmp_path: Path,
                                               start_server: Callable[[Settings], Api]) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    dense = _current(data) / "dense.npy"  # the exact index of a small corpus
    dense.write_bytes(dense.read_bytes()[:100])
    api = start_server(make_settings(data))
    r = httpx.get(f"{api.base_url}/readyz", timeout=10)
    assert r.status_code == 503 and "dense.npy" in r.text
    s = httpx.post(f"{api.base_url}/search", json={"query": "信用卡"}, timeout=10)
    assert s.status_code == 503


def test_foreign_snapshot_published_later_is_not_served(built_data_dir: Path, tmp_path: Path,
                                                        start_server: Callable[[Settings], Api]) -> None:
    data = copy_data_dir(built_data_dir, tmp_path / "data")
    api = start_server(make_settings(data))
    before = httpx.post(f"{api.base_url}/search", json={"query": "信用卡一般分为哪几类?"}, timeout=30).json()
    # Someone publishes a snapshot built with another embedder (a manifest from another model).
    current = _current(data)
    manifest = json.loads((current / MANIFEST).read_text(encoding="utf-8"))
    manifest["embedder"] = {"id": "st:BAAI/bge-small-zh-v1.5", "dim": 512}
    manifest["version"] = "999999"
    foreign = data / SNAPSHOTS / "999999"
    foreign.mkdir()
    for f in current.iterdir():
        if f.is_file():
            (foreign / f.name).write_bytes(f.read_bytes())
    (foreign / "keyword").mkdir()
    for f in (current / "keyword").iterdir():
        (foreign / "keyword" / f.name).write_bytes(f.read_bytes())
    (foreign / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    write_atomic(data / "CURRENT", "999999\n")
    after = httpx.post(f"{api.base_url}/search", json={"query": "信用卡一般分为哪几类?"}, timeout=30)
    assert after.status_code == 200
    assert after.json()["index_version"] == before["index_version"] != "999999"
    assert after.json()["results"][0]["passage_id"] == before["results"][0]["passage_id"]
    assert httpx.get(f"{api.base_url}/readyz", timeout=10).status_code == 200
