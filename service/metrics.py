"""Prometheus metrics of one app instance (own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Request latency by path template and status, search latency, index size, writes and process memory."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # process_resident_memory_bytes and friends: what an operator watches for memory growth.
        ProcessCollector(registry=self.registry)
        self.requests = Histogram(
            "articleqa_http_request_duration_seconds", "HTTP request latency by route template and status",
            ["method", "path", "status"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.search = Histogram(
            "articleqa_search_duration_seconds", "Engine time of /search and /ask calls",
            ["endpoint"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.documents = Gauge("articleqa_index_documents", "Documents in the current snapshot",
                               registry=self.registry)
        self.passages = Gauge("articleqa_index_passages", "Passages in the current snapshot",
                              registry=self.registry)
        self.ready = Gauge("articleqa_index_ready", "1 when a snapshot is loaded and serving",
                           registry=self.registry)
        self.writes = Counter("articleqa_document_writes", "Document writes through the API by outcome",
                              ["status"], registry=self.registry)
        self.reindex_running = Gauge("articleqa_reindex_running", "1 while a background rebuild runs",
                                     registry=self.registry)

    def set_index(self, documents: int, passages: int) -> None:
        self.documents.set(documents)
        self.passages.set(passages)
        self.ready.set(1)

    def set_not_ready(self) -> None:
        self.ready.set(0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
