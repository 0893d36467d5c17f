"""What one app instance holds: settings, the engine (built at startup), metrics and the reindex job."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request

from index.engine import Engine
from index.watcher import FolderWatcher
from service.metrics import Metrics
from service.reindex import ReindexJob
from service.settings import Settings


@dataclass
class ServiceState:
    settings: Settings
    metrics: Metrics
    reindex: ReindexJob
    engine: Engine | None = None
    owns_engine: bool = False
    watcher: FolderWatcher | None = None  # ARTICLEQA_WATCH=true


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.articleqa
    return state


def get_engine(request: Request) -> Engine:
    """The engine, or 503 while the service is still starting."""
    engine = get_state(request).engine
    if engine is None:
        raise HTTPException(503, "the service is starting: the search engine is not built yet")
    return engine
