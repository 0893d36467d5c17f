"""The typed manifest: the saved form round-trips, and a missing or mistyped field is named on load."""

from __future__ import annotations

from typing import Any

import pytest

from index.errors import IndexUnusable
from index.manifest import Counts, EmbedderInfo, Manifest, SegmenterInfo


def _manifest() -> Manifest:
    return Manifest(version="000003", created_at="2026-12-01T13:00:00+00:00", backend="faiss",
                    embedder=EmbedderInfo("test:hash-bigrams-64", 64), segmenter=SegmenterInfo("jieba", "abcd"),
                    chunking={"max_chars": 320}, dense={"kind": "flat"}, keyword={"k1": 1.2},
                    counts=Counts(2, 57), store_generation=9, extra={"format": 2, "files": {}})


def test_saved_form_round_trips_with_the_backend_fields_beside_the_shared_ones() -> None:
    saved = _manifest().to_dict()
    assert saved["embedder"] == {"id": "test:hash-bigrams-64", "dim": 64} and saved["files"] == {}
    assert "extra" not in saved
    assert Manifest.from_dict(saved, "snapshot 000003") == _manifest()


@pytest.mark.parametrize(("path", "value", "message"), [
    (("embedder", "dim"), "64", r"manifest field 'embedder\.dim' is '64', expected int"),
    (("counts",), None, r"manifest field 'counts' is None, expected an object"),
    (("store_generation",), True, r"manifest field 'store_generation' is True, expected int"),
])
def test_a_missing_or_mistyped_field_is_named(path: tuple[str, ...], value: Any, message: str) -> None:
    saved = _manifest().to_dict()
    target = saved
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(IndexUnusable, match=rf"^snapshot 000003: {message}"):
        Manifest.from_dict(saved, "snapshot 000003")


def test_another_embedder_or_dictionary_is_refused_naming_it() -> None:
    m = _manifest()
    m.check_compatible(embedder_id="test:hash-bigrams-64", dim=64, dictionary_hash="abcd", where="x")
    with pytest.raises(IndexUnusable, match="dimension 64, the embedder produces 384"):
        m.check_compatible(embedder_id=None, dim=384, dictionary_hash=None, where="x")
    with pytest.raises(IndexUnusable, match="segmenter dictionary 'abcd'"):
        m.check_compatible(embedder_id=None, dim=None, dictionary_hash="ffff", where="x")
