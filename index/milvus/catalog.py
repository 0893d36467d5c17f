"""The Catalog of a Milvus deployment: the side data of whatever build the alias currently serves."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from index.catalog import DocumentRow, PassageSpan
from index.errors import BackendUnavailable
from index.milvus.side import SideReader
from index.store import StoredArticle
from ingest.types import Article


class PublishedManifest(Protocol):
    """What the catalog needs of the Milvus backend: the served version, its manifest, the client."""

    alias: str
    uri: str

    def current_version(self) -> str | None: ...

    def manifest(self) -> dict[str, Any] | None: ...

    def client(self) -> Any: ...


class MilvusCatalog:
    """Reads articles and term statistics from Milvus only, so an API replica needs no SQLite store.

    Follows the published version as the backend sees it (asked at most once per its refresh period):
    a new build's side collections are read from the moment its manifest is."""

    def __init__(self, backend: PublishedManifest) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._reader: tuple[str, SideReader] | None = None

    def reader(self) -> SideReader:
        """The side data of the published version; BackendUnavailable before the first publish."""
        version = self.backend.current_version()
        if version is None:
            raise BackendUnavailable(f"nothing is published in Milvus collection {self.backend.alias!r} at "
                                     f"{self.backend.uri} yet: run `articleqa ingest` on the writer")
        with self._lock:
            cached = self._reader
        if cached is not None and cached[0] == version:
            return cached[1]
        manifest = self.backend.manifest()
        if manifest is None:
            raise BackendUnavailable(f"Milvus collection {self.backend.alias!r} at {self.backend.uri} lost its "
                                     "manifest: run `articleqa migrate --to milvus` on the writer")
        try:
            reader = SideReader(self.backend.client, manifest)
        except ValueError as exc:
            raise BackendUnavailable(str(exc)) from exc
        reader.load()  # this process may not have opened the build for searching yet
        with self._lock:
            self._reader = (str(manifest["version"]), reader)
        return reader

    def generation(self) -> int:
        return self.reader().generation()

    def counts(self) -> tuple[int, int]:
        return self.reader().counts()

    def term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        return self.reader().term_stats(terms)

    def get_article(self, doc_id: str) -> Article | None:
        return self.reader().get_article(doc_id)

    def list_articles(self) -> list[StoredArticle]:
        return self.reader().list_articles()

    def documents_table(self, doc_ids: Sequence[str] | None = None) -> list[DocumentRow]:
        return self.reader().documents_table(doc_ids)

    def passages_of(self, doc_id: str) -> list[PassageSpan]:
        return self.reader().passages_of(doc_id)
