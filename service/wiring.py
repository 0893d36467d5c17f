"""Build the core from settings: the one place that turns configuration into objects."""

from __future__ import annotations

from index.engine import Engine
from index.fusion import FusionParams
from index.indexer import IndexConfig
from index.milvus_backend import MilvusBackend
from index.searcher import SearchParams
from ingest.chunking import ChunkParams
from ingest.embedders import make_embedder
from ingest.segmenter import JiebaSegmenter
from service.settings import Settings


def build_engine(settings: Settings) -> Engine:
    """An Engine over settings.data_dir with the configured embedder, segmenter and parameters."""
    segmenter = JiebaSegmenter()
    config = IndexConfig(
        chunking=ChunkParams(max_chars=settings.chunk_max_chars, min_chars=settings.chunk_min_chars),
        dense_kind=settings.dense_kind,
        lock_timeout=settings.lock_timeout,
    )
    params = SearchParams(fusion=FusionParams(method=settings.fusion_method, keyword_weight=settings.keyword_weight))
    embedder = make_embedder(settings.embedder, settings.query_prompt)
    backend = None
    if settings.backend == "milvus":
        backend = MilvusBackend(
            settings.milvus_uri or str(settings.data_dir / "milvus.db"), embedder, segmenter, config,
            token=settings.milvus_token.get_secret_value() if settings.milvus_token else "",
            collection=settings.milvus_collection, keyword_mode=settings.milvus_keyword,
            dictionary_words=segmenter.user_words)
    return Engine(settings.data_dir, embedder, segmenter, config=config, search_params=params, backend=backend)
