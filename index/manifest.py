"""What every backend's manifest records, and the check that an index fits the embedder and dictionary."""

from __future__ import annotations

from typing import Any

from index.errors import IndexUnusable


def check_compatible(manifest: dict[str, Any], *, embedder_id: str | None, dim: int | None,
                     dictionary_hash: str | None, where: str) -> None:
    """Raise IndexUnusable naming the field when an index was built with another embedder or dictionary."""
    emb = manifest.get("embedder", {})
    if embedder_id is not None and emb.get("id") != embedder_id:
        raise IndexUnusable(
            f"{where} was built with embedder {emb.get('id')!r}, but queries would use {embedder_id!r}; "
            "rebuild the index (articleqa ingest --rebuild) or configure the same embedder"
        )
    if dim is not None and int(emb.get("dim", -1)) != dim:
        raise IndexUnusable(f"{where} has dimension {emb.get('dim')}, the embedder produces {dim}")
    seg = manifest.get("segmenter", {})
    if dictionary_hash is not None and seg.get("dictionary_hash") != dictionary_hash:
        raise IndexUnusable(
            f"{where} was built with segmenter dictionary {seg.get('dictionary_hash')!r}, the current one is "
            f"{dictionary_hash!r}; rebuild the index so keywords are cut the same way"
        )
