"""Build the core from settings: the one place that turns configuration into objects."""

from __future__ import annotations

from index.engine import Engine
from index.fusion import FusionParams
from index.indexer import IndexConfig
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
    return Engine(settings.data_dir, make_embedder(settings.embedder, settings.query_prompt), segmenter,
                  config=config, search_params=params)
