"""What every backend's manifest records, typed, and the check that an index fits the embedder and dictionary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from index.errors import IndexUnusable


@dataclass(frozen=True)
class EmbedderInfo:
    id: str
    dim: int


@dataclass(frozen=True)
class SegmenterInfo:
    id: str
    dictionary_hash: str


@dataclass(frozen=True)
class Counts:
    documents: int
    passages: int


@dataclass(frozen=True)
class Manifest:
    """The fields both backends record; what only one backend records (a snapshot's files and segments,
    a collection's name and URI) travels in `extra`, beside them in the saved JSON."""

    version: str
    created_at: str
    backend: str
    embedder: EmbedderInfo
    segmenter: SegmenterInfo
    chunking: dict[str, Any]
    dense: dict[str, Any]
    keyword: dict[str, Any]
    counts: Counts
    store_generation: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The saved form: the shared fields first, then the backend's own."""
        shared = {name: value for name, value in asdict(self).items() if name != "extra"}
        return {**shared, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> Manifest:
        """Read a saved manifest; IndexUnusable names the first missing or mistyped field."""
        embedder = _section(data, "embedder", where)
        segmenter = _section(data, "segmenter", where)
        counts = _section(data, "counts", where)
        return cls(
            version=_field(data, "version", str, where),
            created_at=_field(data, "created_at", str, where),
            backend=_field(data, "backend", str, where),
            embedder=EmbedderInfo(_field(embedder, "id", str, where, "embedder."),
                                  _field(embedder, "dim", int, where, "embedder.")),
            segmenter=SegmenterInfo(_field(segmenter, "id", str, where, "segmenter."),
                                    _field(segmenter, "dictionary_hash", str, where, "segmenter.")),
            chunking=_section(data, "chunking", where),
            dense=_section(data, "dense", where),
            keyword=_section(data, "keyword", where),
            counts=Counts(_field(counts, "documents", int, where, "counts."),
                          _field(counts, "passages", int, where, "counts.")),
            store_generation=_field(data, "store_generation", int, where),
            extra={k: v for k, v in data.items() if k not in _SHARED},
        )

    def check_compatible(self, *, embedder_id: str | None, dim: int | None, dictionary_hash: str | None,
                         where: str) -> None:
        """Raise IndexUnusable naming the field when the index was built with another embedder or dictionary."""
        if embedder_id is not None and self.embedder.id != embedder_id:
            raise IndexUnusable(
                f"{where} was built with embedder {self.embedder.id!r}, but queries would use {embedder_id!r}; "
                "rebuild the index (articleqa ingest --rebuild) or configure the same embedder"
            )
        if dim is not None and self.embedder.dim != dim:
            raise IndexUnusable(f"{where} has dimension {self.embedder.dim}, the embedder produces {dim}")
        if dictionary_hash is not None and self.segmenter.dictionary_hash != dictionary_hash:
            raise IndexUnusable(
                f"{where} was built with segmenter dictionary {self.segmenter.dictionary_hash!r}, the current one "
                f"is {dictionary_hash!r}; rebuild the index so keywords are cut the same way"
            )


_SHARED = frozenset(name for name in Manifest.__dataclass_fields__ if name != "extra")


def check_compatible(manifest: dict[str, Any], *, embedder_id: str | None, dim: int | None,
                     dictionary_hash: str | None, where: str) -> None:
    """Read a saved manifest (failing on a missing or mistyped shared field) and check it fits."""
    Manifest.from_dict(manifest, where).check_compatible(embedder_id=embedder_id, dim=dim,
                                                         dictionary_hash=dictionary_hash, where=where)


def _section(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise IndexUnusable(f"{where}: manifest field {name!r} is {value!r}, expected an object")
    return value


def _field(data: dict[str, Any], name: str, kind: type, where: str, prefix: str = "") -> Any:
    value = data.get(name)
    # bool is an int to Python, never a count or a dimension here
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise IndexUnusable(f"{where}: manifest field {prefix + name!r} is {value!r}, expected {kind.__name__}")
    return value
