"""The Milvus backend: passages with their dense and BM25 sparse vectors in a Milvus collection.

Works the same on a Milvus server or cluster (`http://host:19530`) and on Milvus Lite (a local
`.db` path, embedded, one process at a time). SQLite stays the source of truth: a publish pushes the
articles changed since the collection's recorded store generation (upsert, then delete what the
article no longer has), and deletes the tombstoned ones. A full build (first build, another
embedder, dictionary or chunking, or BM25's average length drifting) fills a new collection and
switches the alias to it in one step, so readers never see a half-built index.

The keyword side is BM25 over our own Segmenter's terms as sparse vectors (see index/milvus/sparse.py),
so the domain dictionary applies and the scores are bm25s' scores. `keyword_mode="server"` instead
lets Milvus analyse the text with its jieba analyzer (and our dictionary's words) and score BM25
itself; those scores are only used as ranks (Milvus Lite returns negative, per-segment scores).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from index.backend import Gate, GateVerdict, Progress, Published, VerifyReport
from index.clock import now_iso
from index.config import IndexConfig
from index.dense_kinds import HNSW_EF_CONSTRUCTION, HNSW_M, ivf_lists, resolve_kind
from index.errors import BackendUnavailable, GateRefused, IndexUnusable
from index.manifest import Counts, EmbedderInfo, Manifest, SegmenterInfo, check_compatible
from index.milvus.client import connect, disconnect, is_local, quote, row_key
from index.milvus.reader import MilvusIndex
from index.milvus.side import SIDE_FORMAT, SideWriter, side_names
from index.milvus.sparse import passage_weights
from index.milvus.verify import verify_collection
from index.store import PassageRecord, Store
from ingest.embedders import Embedder
from ingest.latent_terms import LatentTerms, LatentTermsEncoder
from ingest.segmenter import Segmenter
from ingest.types import passage_context

FORMAT_VERSION = 1
KEYWORD_MODES = ("client", "server")
PROPERTY = "articleqa.manifest"  # the manifest travels with the collection, as a collection property
_BATCH = 1000
_AVGDL_DRIFT = 0.1  # rebuild when BM25's average passage length moved by more than this share


# The sparse vector of a passage without any term (an article of punctuation): Milvus refuses an empty
# one, so it gets a negligible weight on an id no term has (ids count up from 0; Milvus' largest is 2^32-2).
_NO_TERMS = {2**32 - 2: 1e-6}


class MilvusBackend:
    """Publishes the store into a Milvus collection (through an alias) and opens it for reading."""

    name = "milvus"

    def __init__(self, uri: str, embedder: Embedder, segmenter: Segmenter, config: IndexConfig | None = None,
                 *, token: str = "", collection: str = "articleqa", keyword_mode: str = "client",
                 dictionary_words: Sequence[str] = (), refresh_seconds: float = 1.0,
                 latent: LatentTermsEncoder | None = None) -> None:
        if keyword_mode not in KEYWORD_MODES:
            raise ValueError(f"Milvus keyword mode must be one of {KEYWORD_MODES}, got {keyword_mode!r}")
        if not collection.replace("_", "").isalnum() or not collection[0].isalpha():
            raise ValueError(f"Milvus collection name must be letters, digits and _, starting with a letter; "
                             f"got {collection!r}")
        self.uri = uri
        self.token = token
        self.alias = collection
        self.embedder = embedder
        self.segmenter = segmenter
        self.config = config or IndexConfig()
        self.keyword_mode = keyword_mode
        self.dictionary_words = list(dictionary_words)
        self.refresh_seconds = refresh_seconds
        self.latent = latent
        self._client: Any = None
        self._lock = threading.Lock()
        self._version: tuple[float, str | None] = (0.0, None)

    # -- connection ---------------------------------------------------------------------------

    @property
    def local(self) -> bool:
        return is_local(self.uri)

    def client(self) -> Any:
        """The MilvusClient, connected on first use; BackendUnavailable names the URI and the cause."""
        with self._lock:
            if self._client is None:
                self._client = connect(self.uri, self.token)
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            disconnect(client, self.uri)

    # -- reading ------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        """The manifest of the collection the alias points to, or None when there is none yet."""
        c = self.client()
        if not c.has_collection(self.alias):
            return None
        props = c.describe_collection(self.alias).get("properties", {})
        if PROPERTY not in props:
            return None
        manifest: dict[str, Any] = json.loads(props[PROPERTY])
        return manifest

    def current_version(self) -> str | None:
        # Asking Milvus on every request would add a round trip to each search: ask at most once per
        # refresh_seconds (a publish by this process updates it at once).
        checked, version = self._version
        if time.monotonic() - checked < self.refresh_seconds and version is not None:
            return version
        manifest = self.manifest()
        version = str(manifest["version"]) if manifest else None
        self._version = (time.monotonic(), version)
        return version

    def open(self, version: str, store: Store | None) -> MilvusIndex:
        manifest = self.manifest()
        if manifest is None:
            raise IndexUnusable(f"Milvus collection {self.alias!r} at {self.uri} has no articleqa manifest")
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexUnusable(f"Milvus collection {self.alias!r}: format {manifest.get('format')!r}, "
                                 f"this articleqa reads {FORMAT_VERSION}")
        check_compatible(manifest, embedder_id=self.embedder.id, dim=self.embedder.dim,
                         dictionary_hash=self.segmenter.dictionary_hash, where=f"Milvus collection {self.alias!r}")
        built_with = (manifest.get("latent") or {}).get("id")
        if self.latent is not None and built_with is not None and built_with != self.latent.id:
            raise IndexUnusable(f"Milvus collection {self.alias!r} was built with latent terms {built_with!r}, but "
                                f"queries would use {self.latent.id!r}: the writer's next `articleqa ingest` "
                                "rebuilds it")
        if manifest.get("side", {}).get("format") != SIDE_FORMAT:
            raise IndexUnusable(f"Milvus collection {self.alias!r} has no side data of format {SIDE_FORMAT} (built "
                                "by an older articleqa): the writer's next `articleqa ingest` rebuilds it")
        c = self.client()
        for collection in (manifest["collection"], *side_names(manifest["collection"]).values()):
            c.load_collection(collection)  # a reopened collection must be loaded again (Lite)
        return MilvusIndex(self.client, manifest, store)

    def verify(self, store: Store, version: str | None = None) -> VerifyReport:
        """`articleqa verify` on Milvus (always the aliased collection: Milvus keeps no older versions)."""
        report = VerifyReport()
        try:
            current = self.current_version()
            if current is None:
                report.problems.append(f"Milvus collection {self.alias!r} at {self.uri}: nothing published yet")
                return report
            report.version = current
            index = self.open(current, store)
        except (IndexUnusable, BackendUnavailable) as exc:
            report.problems.append(str(exc))
            return report
        return verify_collection(index, store, self.embedder.id, report)

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, store: Store, force: bool, progress: Progress | None = None,
                gate: Gate | None = None, full: bool = False) -> dict[str, Any]:
        """Push what changed in the store since the collection's generation; rebuild when incompatible."""
        manifest = self.manifest()
        if (full or gate is not None or manifest is None or not self._compatible(manifest, store.counts()[1])
                or self._avgdl_drifted(manifest, store)):
            # A gated publish is always a full build: an update in place would reach readers before
            # the gate could judge it.
            return self._full_build(store, manifest, progress, gate)
        generation = store.generation()
        if manifest["store_generation"] == generation and not force:
            return manifest
        base = int(manifest["store_generation"])
        changed = store.changed_since(base)
        deleted = store.deleted_since(base)
        c = self.client()
        name = manifest["collection"]
        side, names = SideWriter(self.client), side_names(name)
        for collection in (name, *names.values()):
            c.load_collection(collection)  # this process may not have opened the build yet (Lite)
        # Terms whose document frequency this publish changes: those of the passages as published, and as
        # they are now; written with the articles before the manifest, so its readers find them.
        terms = side.published_terms(name, [*deleted, *changed])
        if deleted:
            c.delete(name, filter=f"doc_id in {quote(deleted)}")
            side.delete_articles(names, deleted)
        done = 0
        for batch in _doc_batches(store, self.embedder.id, changed):
            terms.update(t for r, _ in batch for t in r.tokens.split())
            new_keys = self._upsert(name, store, batch, manifest["keyword"]["avgdl"])
            docs = sorted({r.doc_id for r, _ in batch})
            old = c.query(name, filter=f"doc_id in {quote(docs)}", output_fields=["doc_id"])
            stale = [int(r["pk"]) for r in old if int(r["pk"]) not in new_keys]
            if stale:
                c.delete(name, ids=stale)
            done += len(batch)
            if progress:
                progress("index", done, done)
        side.write_articles(names, store, changed)
        side.write_terms(names, store, terms)
        return self._set_manifest(name, store, manifest, version=f"{int(manifest['version']) + 1:06d}")

    def _compatible(self, manifest: dict[str, Any], passages: int | None = None) -> bool:
        """Built as this backend would build it now; with `passages`, also the dense kind that `auto`
        picks for that many (crossing the threshold rebuilds once, with the approximate index)."""
        dense = manifest.get("dense", {})
        if passages is not None and dense.get("kind") != resolve_kind(self.config.dense_kind, passages):
            return False
        return bool(manifest.get("format") == FORMAT_VERSION
                    and manifest.get("embedder", {}).get("id") == self.embedder.id
                    and manifest.get("segmenter", {}).get("dictionary_hash") == self.segmenter.dictionary_hash
                    and manifest.get("chunking") == asdict(self.config.chunking)
                    and dense.get("requested") == self.config.dense_kind
                    and manifest.get("keyword", {}).get("mode") == self.keyword_mode
                    and manifest.get("side", {}).get("format") == SIDE_FORMAT
                    and (manifest.get("latent") or {}).get("id") == (self.latent.id if self.latent else None))

    def _avgdl_drifted(self, manifest: dict[str, Any], store: Store) -> bool:
        passages, tokens = store.keyword_totals()
        now = tokens / passages if passages else 0.0
        then = float(manifest.get("keyword", {}).get("avgdl", 0.0))
        return bool(then and now and abs(now - then) / then > _AVGDL_DRIFT)

    def _full_build(self, store: Store, previous: dict[str, Any] | None, progress: Progress | None,
                    gate: Gate | None = None) -> dict[str, Any]:
        c = self.client()
        version = f"{int(previous['version']) + 1:06d}" if previous else "000001"
        name = f"{self.alias}__{version}"
        serving = {previous["collection"], *side_names(previous["collection"]).values()} if previous else set()
        for leftover in c.list_collections():  # a killed build's collections are never aliased: drop them
            if leftover.startswith(f"{self.alias}__") and leftover not in serving:
                c.drop_collection(leftover)
        passages, tokens = store.keyword_totals()
        avgdl = tokens / passages if passages else 1.0
        dense = self._create_collection(name, store.counts()[1])
        side, names = SideWriter(self.client), side_names(name)
        side.create(names)
        total = store.counts()[1]
        done = 0
        terms: set[str] = set()
        for batch in store.iter_records(self.embedder.id):
            self._upsert(name, store, batch, avgdl)
            terms.update(t for r, _ in batch for t in r.tokens.split())
            done += len(batch)
            if progress:
                progress("index", done, total)
        side.write_articles(names, store, sorted(store.doc_ids()))
        side.write_terms(names, store, terms)
        for collection in (name, *names.values()):
            c.flush(collection)
        manifest = self._set_manifest(name, store, None, version=version, avgdl=avgdl, dense=dense, announce=False)
        if gate is not None:
            verdict = self._judge(gate, name, manifest, store, previous)
            if not verdict.accepted:
                c.drop_collection(name)
                side.drop(names)
                raise GateRefused(verdict.message)
            manifest = self._set_manifest(name, store, None, version=version, avgdl=avgdl, dense=dense,
                                          announce=False, quality=verdict.figures)
        if previous is None and not c.has_collection(self.alias):
            c.create_alias(name, self.alias)
        else:
            c.alter_alias(name, self.alias)
        self._version = (time.monotonic(), version)
        if previous is not None and previous.get("collection") != name:
            # Other processes (replicas) move to the new build within their refresh period of the switch and
            # search the old one by name until then: it is dropped only after twice that period.
            time.sleep(2 * self.refresh_seconds)
            with contextlib.suppress(Exception):  # readers moved on with the alias; a leftover is dropped later
                c.drop_collection(previous["collection"])
                side.drop(side_names(previous["collection"]))
        if progress:
            progress("published", done, done)
        return manifest

    def _create_collection(self, name: str, rows: int) -> dict[str, Any]:
        """Create an empty collection for about `rows` passages; returns the dense index it was given."""
        from pymilvus import DataType, Function, FunctionType

        c = self.client()
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("passage_id", DataType.VARCHAR, max_length=1024)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        schema.add_field("section", DataType.VARCHAR, max_length=4096)
        schema.add_field("paragraph", DataType.INT64)
        schema.add_field("char_start", DataType.INT64)
        schema.add_field("char_end", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=65535)
        schema.add_field("tokens", DataType.VARCHAR, max_length=65535)
        schema.add_field("title", DataType.VARCHAR, max_length=4096)
        schema.add_field("url", DataType.VARCHAR, max_length=4096)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.embedder.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        index = c.prepare_index_params()
        # The same kinds and parameters as the snapshot backend's DenseIndex (index/dense_kinds.py).
        kind = resolve_kind(self.config.dense_kind, rows)
        dense: dict[str, Any] = {"kind": kind, "requested": self.config.dense_kind, "metric": "inner_product"}
        if kind == "hnsw":
            index.add_index("dense", index_type="HNSW", metric_type="IP",
                            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
        elif kind == "ivf":
            dense["nlist"] = ivf_lists(rows)
            index.add_index("dense", index_type="IVF_FLAT", metric_type="IP", params={"nlist": dense["nlist"]})
        else:
            index.add_index("dense", index_type="FLAT", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        if self.latent is not None:
            schema.add_field("latent", DataType.SPARSE_FLOAT_VECTOR)
            index.add_index("latent", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        if self.keyword_mode == "server":
            # The heading + passage text, analysed by Milvus' jieba with our dictionary's words.
            analyzer = {"tokenizer": {"type": "jieba", "mode": "search",
                                      "dict": [*self.dictionary_words, "_default_"]},
                        "filter": ["cnalphanumonly"]}
            schema.add_field("context", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                             analyzer_params=analyzer)
            schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                         input_field_names=["context"], output_field_names=["bm25"]))
            index.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        # Strong: a search sees every write acknowledged before it (an added article is searchable
        # as soon as POST /documents returns, from any process); Lite is always this consistent.
        c.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
        return dense

    def _upsert(self, name: str, store: Store, records: list[PassageRecord], avgdl: float) -> set[int]:
        """Write passages (their vectors from the store, none re-embedded); returns their keys."""
        stats = store.term_stats(sorted({t for r, _ in records for t in r.tokens.split()}))
        term_ids = {t: i for t, (i, _) in stats.items()}
        dim = self.embedder.dim
        latent = self._latent_of(store, [r.passage_id for r, _ in records])
        entities = []
        for r, vector in records:
            vec = np.frombuffer(vector or b"", dtype=np.float32)
            if vec.shape != (dim,):
                raise RuntimeError(f"passage {r.passage_id}: stored vector has {vec.size} values, expected {dim}")
            sparse = passage_weights(r.tokens.split(), term_ids, avgdl, self.config.bm25_k1, self.config.bm25_b)
            entity = {"pk": row_key(r.passage_id), "passage_id": r.passage_id, "doc_id": r.doc_id,
                      "section": r.section, "paragraph": r.paragraph, "char_start": r.char_start,
                      "char_end": r.char_end, "text": r.text, "tokens": r.tokens, "title": r.title, "url": r.url,
                      "dense": vec.tolist(), "sparse": sparse or _NO_TERMS}
            if self.keyword_mode == "server":
                entity["context"] = passage_context(r.section, r.text)
            if latent is not None:
                entity["latent"] = latent[r.passage_id].as_dict() or _NO_TERMS
            entities.append(entity)
        keys = {int(e["pk"]) for e in entities}
        if len(keys) != len(entities):
            raise RuntimeError("two passages in one batch hash to the same Milvus key; report this as a bug")
        c = self.client()
        clash = [r for r in c.query(name, ids=sorted(keys), output_fields=["passage_id"])
                 if r["passage_id"] not in {e["passage_id"] for e in entities if e["pk"] == r["pk"]}]
        if clash:
            raise RuntimeError(f"Milvus key {clash[0]['pk']} of passage {clash[0]['passage_id']!r} would be "
                               "overwritten by another passage (a 63-bit hash collision); report this as a bug")
        c.upsert(name, entities)
        return keys

    def _latent_of(self, store: Store, passage_ids: list[str]) -> dict[str, LatentTerms] | None:
        """The passages' stored latent terms (the indexer encodes them before it publishes)."""
        return store.latent_terms(self.latent.id, passage_ids) if self.latent is not None else None

    def _judge(self, gate: Gate, name: str, manifest: dict[str, Any], store: Store,
               previous: dict[str, Any] | None) -> GateVerdict:
        """The gate's verdict on a built, unaliased collection against the published one."""
        c = self.client()
        c.load_collection(name)

        def load() -> MilvusIndex | None:
            if previous is None or not self._compatible(previous):
                return None
            c.load_collection(previous["collection"])
            return MilvusIndex(self.client, previous, store)

        return gate(MilvusIndex(self.client, manifest, store), Published(previous, load) if previous else None)

    def _set_manifest(self, name: str, store: Store, previous: dict[str, Any] | None, version: str,
                      avgdl: float | None = None, dense: dict[str, Any] | None = None, announce: bool = True,
                      quality: dict[str, Any] | None = None) -> dict[str, Any]:
        documents, passages = store.counts()
        kw_passages, kw_tokens = store.keyword_totals()
        manifest = Manifest(
            version=version,
            created_at=now_iso(),
            backend=self.name,
            embedder=EmbedderInfo(self.embedder.id, self.embedder.dim),
            segmenter=SegmenterInfo(self.segmenter.id, self.segmenter.dictionary_hash),
            chunking=asdict(self.config.chunking),
            dense=dense if dense is not None else (previous or {})["dense"],
            keyword={"mode": self.keyword_mode, "method": "lucene", "k1": self.config.bm25_k1, "b": self.config.bm25_b,
                     "avgdl": avgdl if avgdl is not None else (previous or {})["keyword"]["avgdl"]},
            counts=Counts(documents, passages),
            store_generation=store.generation(),
            extra={
                "format": FORMAT_VERSION,
                "collection": name,
                "uri": self.uri if self.local else self.uri.split("@")[-1],
                # The side collections (index/milvus/side.py), and BM25's N and total length for query weights.
                "side": {"format": SIDE_FORMAT, **side_names(name), "passages": kw_passages, "tokens": kw_tokens},
                "latent": {"id": self.latent.id, "dim": self.latent.dim} if self.latent else None,
            },
        ).to_dict()
        if quality is not None:  # only the build the gate judged: later updates change the figures
            manifest["quality"] = quality
        self.client().alter_collection_properties(name, properties={PROPERTY: json.dumps(manifest, ensure_ascii=False)})
        if announce:
            self._version = (time.monotonic(), version)
        return manifest


def _doc_batches(store: Store, embedder_id: str, doc_ids: Sequence[str]) -> Iterable[list[PassageRecord]]:
    """The passages of these articles, about _BATCH at a time, never splitting an article."""
    pending: list[PassageRecord] = []
    for batch in store.iter_records(embedder_id, doc_ids, batch=_BATCH):
        for record in batch:
            if len(pending) >= _BATCH and pending[-1][0].doc_id != record[0].doc_id:
                yield pending
                pending = []
            pending.append(record)
    if pending:
        yield pending


