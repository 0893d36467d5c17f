"""The Milvus connection: the client (unreachable-server errors as BackendUnavailable), row keys, filters."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from index.errors import BackendUnavailable


def is_local(uri: str) -> bool:
    """A Milvus Lite .db path rather than a server's address."""
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def connect(uri: str, token: str) -> Guarded:
    """The MilvusClient of `uri`; BackendUnavailable names the URI and the cause."""
    try:  # imported here: the FAISS backend never needs pymilvus
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise BackendUnavailable(
            f"the Milvus backend needs pymilvus (and milvus-lite for a local .db): "
            f"pip install -e '.[milvus]' ({exc})") from exc

    # pymilvus gives its loggers a console handler of its own at import; without it their records go where
    # the application's logging sends everything else (one JSON line each under `articleqa serve`).
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    local = is_local(uri)
    if local:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # Lite's gRPC server runs in this process and logs a traceback for every call it
        # does not implement (pymilvus asks AllocTimestamp when an index is created, then
        # carries on); the client side gets each error anyway.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    try:
        return Guarded(MilvusClient(uri=uri, token=token, timeout=30), uri)
    except Exception as exc:  # pymilvus raises its own hierarchy, Lite a DataDirLockedError inside
        hint = ("Milvus Lite lets one process open a .db at a time: stop the other process (the "
                "service?) or send articles through the API (POST /documents, POST /reindex)"
                if local else "check ARTICLEQA_MILVUS_URI and ARTICLEQA_MILVUS_TOKEN")
        raise BackendUnavailable(f"cannot open Milvus at {uri}: {exc}; {hint}") from exc


def disconnect(client: Any, uri: str) -> None:
    """Close the client; for Lite, also release its embedded server (and the .db lock)."""
    with contextlib.suppress(Exception):
        client.close()
    if is_local(uri):
        # Lite keeps its embedded server (and the .db lock) until the process exits unless released.
        with contextlib.suppress(Exception):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)


def row_key(passage_id: str) -> int:
    """The collection's primary key of a passage: 63 bits of its id's hash, the same in every build."""
    return int.from_bytes(hashlib.blake2b(passage_id.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def quote(values: Iterable[str]) -> str:
    """A Milvus filter list literal; JSON's string escapes are the filter language's."""
    return json.dumps(list(values), ensure_ascii=False)


class Guarded:
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
