"""The Milvus backend: passages with their dense and BM25 sparse vectors in a Milvus collection.

Works the same on a Milvus server or cluster (`http://host:19530`) and on Milvus Lite (a local
`.db` path, embedded, one process at a time). SQLite stays the source of truth: a publish pushes the
articles changed since the collection's recorded store generation (upsert, then delete what the
article no longer has), and deletes the tombstoned ones. A full build (first build, another
embedder, dictionary or chunking, or BM25's average length drifting) fills a new collection and
switches the alias to it in one step, so readers never see a half-built index.

The keyword side is BM25 over our own Segmenter's terms as sparse vectors (see index/bm25_sparse.py),
so the domain dictionary applies and the scores are bm25s' scores. `keyword_mode="server"` instead
lets Milvus analyse the text with its jieba analyzer (and our dictionary's words) and score BM25
itself; those scores are only used as ranks (Milvus Lite returns negative, per-segment scores).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.backend import BackendUnavailable, Candidates, Progress
from index.bm25_sparse import passage_weights, query_weights, sparse_dot
from index.config import IndexConfig
from index.dense import (
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_PER_K,
    HNSW_EF_SEARCH,
    HNSW_M,
    IVF_NPROBE,
    ivf_lists,
    resolve_kind,
)
from index.gate import Gate, GateRefused, GateVerdict, Published
from index.segment import PassageRow
from index.snapshot import SnapshotError, check_compatible
from index.store import PassageRecord, Store
from index.verify import VerifyReport
from ingest.embedders import Embedder
from ingest.segmenter import Segmenter
from ingest.types import passage_context

FORMAT_VERSION = 1
KEYWORD_MODES = ("client", "server")
PROPERTY = "articleqa.manifest"  # the manifest travels with the collection, as a collection property
_FIELDS = ("passage_id", "doc_id", "section", "paragraph", "char_start", "char_end", "text", "tokens", "title", "url")
_BATCH = 1000
_AVGDL_DRIFT = 0.1  # rebuild when BM25's average passage length moved by more than this share


def row_key(passage_id: str) -> int:
    """The collection's primary key of a passage: 63 bits of its id's hash, the same in every build."""
    return int.from_bytes(hashlib.blake2b(passage_id.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def _quote(values: Iterable[str]) -> str:
    """A Milvus filter list literal; JSON's string escapes are the filter language's."""
    return json.dumps(list(values), ensure_ascii=False)


# The sparse vector of a passage without any term (an article of punctuation): Milvus refuses an empty
# one, so it gets a negligible weight on an id no term has (ids count up from 0; Milvus' largest is 2^32-2).
_NO_TERMS = {2**32 - 2: 1e-6}

class MilvusBackend:
    """Publishes the store into a Milvus collection (through an alias) and opens it for reading."""

    name = "milvus"

    def __init__(self, uri: str, embedder: Embedder, segmenter: Segmenter, config: IndexConfig | None = None,
                 *, token: str = "", collection: str = "articleqa", keyword_mode: str = "client",
                 dictionary_words: Sequence[str] = (), refresh_seconds: float = 1.0) -> None:
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
        self._client: Any = None
        self._lock = threading.Lock()
        self._version: tuple[float, str | None] = (0.0, None)

    # -- connection ---------------------------------------------------------------------------

    @property
    def local(self) -> bool:
        return not self.uri.startswith(("http://", "https://", "tcp://", "unix:"))

    def client(self) -> Any:
        """The MilvusClient, connected on first use; BackendUnavailable names the URI and the cause."""
        with self._lock:
            if self._client is None:
                try:  # imported here: the FAISS backend never needs pymilvus
                    from pymilvus import MilvusClient
                except ImportError as exc:
                    raise BackendUnavailable(
                        f"the Milvus backend needs pymilvus (and milvus-lite for a local .db): "
                        f"pip install -e '.[milvus]' ({exc})") from exc

                if self.local:
                    Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
                    # Lite's gRPC server runs in this process and logs a traceback for every call it
                    # does not implement (pymilvus asks AllocTimestamp when an index is created, then
                    # carries on); the client side gets each error anyway.
                    logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
                try:
                    self._client = _Guarded(MilvusClient(uri=self.uri, token=self.token, timeout=30), self.uri)
                except Exception as exc:  # pymilvus raises its own hierarchy, Lite a DataDirLockedError inside
                    hint = ("Milvus Lite lets one process open a .db at a time: stop the other process (the "
                            "service?) or send articles through the API (POST /documents, POST /reindex)"
                            if self.local else "check ARTICLEQA_MILVUS_URI and ARTICLEQA_MILVUS_TOKEN")
                    raise BackendUnavailable(f"cannot open Milvus at {self.uri}: {exc}; {hint}") from exc
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.close()
        if self.local:
            # Lite keeps its embedded server (and the .db lock) until the process exits unless released.
            with contextlib.suppress(Exception):
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(self.uri)

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

    def open(self, version: str, store: Store) -> MilvusIndex:
        manifest = self.manifest()
        if manifest is None:
            raise SnapshotError(f"Milvus collection {self.alias!r} at {self.uri} has no articleqa manifest")
        if manifest.get("format") != FORMAT_VERSION:
            raise SnapshotError(f"Milvus collection {self.alias!r}: format {manifest.get('format')!r}, "
                                f"this articleqa reads {FORMAT_VERSION}")
        check_compatible(manifest, embedder_id=self.embedder.id, dim=self.embedder.dim,
                         dictionary_hash=self.segmenter.dictionary_hash, where=f"Milvus collection {self.alias!r}")
        c = self.client()
        c.load_collection(manifest["collection"])  # a reopened collection must be loaded again (Lite)
        return MilvusIndex(self, manifest, store)

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
        if deleted:
            c.delete(name, filter=f"doc_id in {_quote(deleted)}")
        done = 0
        for batch in _doc_batches(store, self.embedder.id, changed):
            new_keys = self._upsert(name, store, batch, manifest["keyword"]["avgdl"])
            docs = sorted({r.doc_id for r, _ in batch})
            old = c.query(name, filter=f"doc_id in {_quote(docs)}", output_fields=["doc_id"])
            stale = [int(r["pk"]) for r in old if int(r["pk"]) not in new_keys]
            if stale:
                c.delete(name, ids=stale)
            done += len(batch)
            if progress:
                progress("index", done, done)
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
                    and manifest.get("keyword", {}).get("mode") == self.keyword_mode)

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
        for leftover in c.list_collections():  # a killed build's collection is never aliased: drop it
            if leftover.startswith(f"{self.alias}__") and leftover != (previous or {}).get("collection"):
                c.drop_collection(leftover)
        passages, tokens = store.keyword_totals()
        avgdl = tokens / passages if passages else 1.0
        dense = self._create_collection(name, store.counts()[1])
        total = store.counts()[1]
        done = 0
        for batch in store.iter_records(self.embedder.id):
            self._upsert(name, store, batch, avgdl)
            done += len(batch)
            if progress:
                progress("index", done, total)
        c.flush(name)
        manifest = self._set_manifest(name, store, None, version=version, avgdl=avgdl, dense=dense, announce=False)
        if gate is not None:
            verdict = self._judge(gate, name, manifest, store, previous)
            if not verdict.accepted:
                c.drop_collection(name)
                raise GateRefused(verdict.message)
            manifest = self._set_manifest(name, store, None, version=version, avgdl=avgdl, dense=dense,
                                          announce=False, quality=verdict.figures)
        if previous is None and not c.has_collection(self.alias):
            c.create_alias(name, self.alias)
        else:
            c.alter_alias(name, self.alias)
        self._version = (time.monotonic(), version)
        if previous is not None and previous.get("collection") != name:
            with contextlib.suppress(Exception):  # readers moved on with the alias; a leftover is dropped later
                c.drop_collection(previous["collection"])
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
        # The same kinds and parameters as the snapshot backend's DenseIndex (index/dense.py).
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

    def _judge(self, gate: Gate, name: str, manifest: dict[str, Any], store: Store,
               previous: dict[str, Any] | None) -> GateVerdict:
        """The gate's verdict on a built, unaliased collection against the published one."""
        c = self.client()
        c.load_collection(name)

        def load() -> MilvusIndex | None:
            if previous is None or not self._compatible(previous):
                return None
            c.load_collection(previous["collection"])
            return MilvusIndex(self, previous, store)

        return gate(MilvusIndex(self, manifest, store), Published(previous, load) if previous else None)

    def _set_manifest(self, name: str, store: Store, previous: dict[str, Any] | None, version: str,
                      avgdl: float | None = None, dense: dict[str, Any] | None = None, announce: bool = True,
                      quality: dict[str, Any] | None = None) -> dict[str, Any]:
        documents, passages = store.counts()
        manifest = {
            "format": FORMAT_VERSION,
            "version": version,
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "backend": self.name,
            "collection": name,
            "uri": self.uri if self.local else self.uri.split("@")[-1],
            "embedder": {"id": self.embedder.id, "dim": self.embedder.dim},
            "segmenter": {"id": self.segmenter.id, "dictionary_hash": self.segmenter.dictionary_hash},
            "chunking": asdict(self.config.chunking),
            "dense": dense if dense is not None else (previous or {})["dense"],
            "keyword": {"mode": self.keyword_mode, "method": "lucene", "k1": self.config.bm25_k1,
                        "b": self.config.bm25_b,
                        "avgdl": avgdl if avgdl is not None else (previous or {})["keyword"]["avgdl"]},
            "counts": {"documents": documents, "passages": passages},
            "store_generation": store.generation(),
        }
        if quality is not None:  # only the build the gate judged: later updates change the figures
            manifest["quality"] = quality
        self.client().alter_collection_properties(name, properties={PROPERTY: json.dumps(manifest, ensure_ascii=False)})
        if announce:
            self._version = (time.monotonic(), version)
        return manifest


class _Guarded:
    """The MilvusClient, with "cannot reach Milvus" errors turned into BackendUnavailable naming the URI
    (the service answers 503 and keeps what it serves); other errors pass through unchanged."""

    def __init__(self, client: Any, uri: str) -> None:
        self._client = client
        self._uri = uri

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            import grpc
            from pymilvus.exceptions import ConnectError, ConnectionNotExistException, MilvusUnavailableException

            try:
                return attr(*args, **kwargs)
            except (ConnectError, ConnectionNotExistException, MilvusUnavailableException) as exc:
                raise BackendUnavailable(f"Milvus at {self._uri} is unreachable ({name}: {exc})") from exc
            except grpc.RpcError as exc:
                code = exc.code() if hasattr(exc, "code") else None
                if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise BackendUnavailable(f"Milvus at {self._uri} is unreachable ({name}: {code})") from exc
                raise

        return call


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


class MilvusIndex:
    """One published version of the collection, read through the alias (the SearchIndex of Milvus)."""

    def __init__(self, backend: MilvusBackend, manifest: dict[str, Any], store: Store) -> None:
        self.backend = backend
        self._manifest = manifest
        self.store = store
        self.collection = str(manifest["collection"])

    @property
    def version(self) -> str:
        return str(self._manifest["version"])

    @property
    def manifest(self) -> dict[str, Any]:
        return self._manifest

    @property
    def size(self) -> int:
        return int(self._manifest["counts"]["passages"])

    def known(self, terms: Sequence[str]) -> list[str]:
        stats = self.store.term_stats(terms)
        return [t for t in terms if t in stats and stats[t][1] > 0]

    def _query_sparse(self, terms: Sequence[str]) -> dict[int, float]:
        passages, _ = self.store.keyword_totals()
        return query_weights(terms, self.store.term_stats(terms), passages)

    def search_hybrid(self, query: np.ndarray | None, terms: Sequence[str] | None, k: int,
                      doc_ids: Sequence[str] | None = None) -> Candidates:
        """Both retrievers in one hybrid call; each candidate comes back with its vectors, so both
        scores are computed here exactly as the snapshot backend computes them."""
        from pymilvus import AnnSearchRequest, RRFRanker

        if self.size == 0:
            return Candidates.empty()
        expr = ""
        if doc_ids:
            # Only ids that exist go into the filter: anything else matches nothing anyway, and an
            # arbitrary string could hold characters the filter language cannot escape.
            existing = self.store.existing(doc_ids)
            if not existing:
                return Candidates.empty()
            expr = f"doc_id in {_quote(existing)}"
        qsparse = self._query_sparse(terms) if terms is not None else {}
        # The mode this collection was built with (a changed setting takes effect at the next full build).
        server = self._manifest["keyword"]["mode"] == "server" and terms is not None and bool(terms)
        requests = []
        if query is not None:
            requests.append(AnnSearchRequest(data=[np.asarray(query, np.float32).tolist()], anns_field="dense",
                                             param=self._dense_params(k), limit=k, expr=expr))
        if server:
            requests.append(AnnSearchRequest(data=[" ".join(terms or ())], anns_field="bm25",
                                             param={"metric_type": "BM25"}, limit=k, expr=expr))
        elif qsparse:
            requests.append(AnnSearchRequest(data=[qsparse], anns_field="sparse", param={"metric_type": "IP"},
                                             limit=k, expr=expr))
        if not requests:
            return Candidates.empty()
        c = self.backend.client()
        out = ["dense", "sparse"]
        if len(requests) == 1:
            r = requests[0]
            hits = c.search(self.collection, data=r.data, anns_field=r.anns_field, search_params=r.param,
                            limit=k, filter=expr, output_fields=out)[0]
        else:
            hits = c.hybrid_search(self.collection, requests, ranker=RRFRanker(60), limit=2 * k,
                                   output_fields=out)[0]
        if not hits:
            return Candidates.empty()
        rows = np.array([int(h["pk"]) for h in hits], dtype=np.int64)
        if query is not None:
            vectors = np.asarray([h["entity"]["dense"] for h in hits], dtype=np.float32)
            dense = vectors @ np.asarray(query, np.float32)
        else:
            dense = np.zeros(len(hits), np.float32)
        if server:
            keyword = self._server_ranks(terms or (), k, expr, rows)
        else:
            keyword = np.array([sparse_dot(qsparse, h["entity"]["sparse"]) for h in hits], dtype=np.float32)
        return Candidates(rows, dense.astype(np.float32), keyword)

    def _dense_params(self, k: int) -> dict[str, Any]:
        kind = self._manifest["dense"]["kind"]
        if kind == "hnsw":
            return {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, HNSW_EF_PER_K * k)}}
        if kind == "ivf":
            return {"metric_type": "IP", "params": {"nprobe": min(IVF_NPROBE, int(self._manifest["dense"]["nlist"]))}}
        return {"metric_type": "IP"}

    def _server_ranks(self, terms: Sequence[str], k: int, expr: str, rows: np.ndarray) -> np.ndarray:
        """Milvus' own BM25, as rank-based scores 1/(60 + rank) (its raw scores are not comparable)."""
        hits = self.backend.client().search(self.collection, data=[" ".join(terms)], anns_field="bm25",
                                            search_params={"metric_type": "BM25"}, limit=k, filter=expr)[0]
        rank = {int(h["pk"]): i for i, h in enumerate(hits)}
        return np.array([1.0 / (61 + rank[int(r)]) if int(r) in rank else 0.0 for r in rows], dtype=np.float32)

    def search_dense(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        found = self.search_hybrid(query, None, k, doc_ids)
        order = np.argsort(-found.dense, kind="stable")[:k]
        return Candidates(found.rows[order], found.dense[order], found.keyword[order])

    def search_keyword(self, terms: Sequence[str], k: int, doc_ids: Sequence[str] | None = None) -> Candidates:
        found = self.search_hybrid(None, terms, k, doc_ids)
        order = np.argsort(-found.keyword, kind="stable")[:k]
        order = order[found.keyword[order] > 0]
        return Candidates(found.rows[order], found.dense[order], found.keyword[order])

    def rows(self, rows: list[int]) -> list[PassageRow]:
        if not rows:
            return []
        found = self.backend.client().query(self.collection, ids=[int(r) for r in rows], output_fields=list(_FIELDS))
        by_key = {int(r["pk"]): r for r in found}
        return [PassageRow(int(r), *(by_key[int(r)][f] for f in _FIELDS)) for r in rows if int(r) in by_key]

    def docs_of_rows(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        if len(rows) == 0:
            return []
        found = self.backend.client().query(self.collection, ids=[int(r) for r in rows], output_fields=["doc_id"])
        by_key = {int(r["pk"]): str(r["doc_id"]) for r in found}
        return [by_key.get(int(r), "") for r in rows]

    def documents(self) -> list[dict[str, Any]]:
        return [{"doc_id": a.doc_id, "title": a.title, "url": a.url, "updated_at": a.updated_at,
                 "passages": a.passages} for a in self.store.list_articles()]

    def close(self) -> None:
        """The client belongs to the backend; nothing to release per version."""


def verify_milvus(backend: MilvusBackend, store: Store) -> VerifyReport:
    """`articleqa verify` on Milvus: the manifest, the row count against the store, every passage's
    text and citation against the store, and the store's SQLite integrity."""
    report = VerifyReport()
    try:
        version = backend.current_version()
        if version is None:
            report.problems.append(f"Milvus collection {backend.alias!r} at {backend.uri}: nothing published yet")
            return report
        report.version = version
        index = backend.open(version, store)
    except (SnapshotError, BackendUnavailable) as exc:
        report.problems.append(str(exc))
        return report
    if (res := store.integrity_check()) != "ok":
        report.problems.append(f"store integrity_check: {res}")
    c = backend.client()
    rows = int(c.get_collection_stats(index.collection).get("row_count", -1))
    docs, passages = store.counts()
    report.checked.update({"collection": index.collection, "rows": rows,
                           "store": {"documents": docs, "passages": passages}})
    current = index.manifest.get("store_generation") == store.generation()
    if not current:
        report.warnings.append("the store has changes that are not published yet (run `articleqa ingest`)")
    missing = differing = 0
    texts: dict[str, str] = {}
    for batch in store.iter_records(backend.embedder.id):
        found = {r.passage_id: r for r in index.rows([row_key(p.passage_id) for p, _ in batch])}
        for p, _ in batch:
            got = found.get(p.passage_id)
            if got is None:
                missing += 1
                continue
            if p.doc_id not in texts:
                article = store.get_article(p.doc_id)
                texts[p.doc_id] = article.text if article else ""
            if (got.text, got.char_start, got.char_end) != (p.text, p.char_start, p.char_end) or \
                    texts[p.doc_id][got.char_start : got.char_end] != got.text:
                differing += 1
    report.checked["citations"] = passages - missing
    if current and (missing or differing or rows != passages):
        report.problems.append(f"Milvus holds {rows} rows for the store's {passages} passages: {missing} missing, "
                               f"{differing} with another text or offsets; `articleqa migrate --to milvus` "
                               "rebuilds the collection from the store")
    return report
