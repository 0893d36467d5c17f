"""Liveness, readiness and Prometheus metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from index.engine import NotReady
from index.errors import IndexUnusable
from service.models import Health, ReadyStatus
from service.state import get_state

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=ReadyStatus, summary="The index is loaded (503 until it is)",
            responses={503: {"model": ReadyStatus, "description": "no index loaded yet; `detail` says why"}})
def readyz(request: Request) -> ReadyStatus | JSONResponse:
    state = get_state(request)
    engine = state.engine
    if engine is None:
        return _not_ready(ReadyStatus(ready=False, detail="the service is starting"))
    try:
        stats = engine.stats()
    except (NotReady, IndexUnusable) as exc:
        state.metrics.set_not_ready()
        return _not_ready(ReadyStatus(ready=False, embedder=engine.embedder.id, backend=engine.backend.name,
                                      detail=str(exc)))
    state.metrics.set_index(int(stats["documents"]), int(stats["passages"]))
    warning = engine.last_load_error
    return ReadyStatus(
        ready=True, documents=stats["documents"], passages=stats["passages"],
        index_version=stats["index_version"], embedder=stats["embedder"], backend=stats["backend"],
        latent_terms=stats["latent_terms"],
        detail=f"a newer snapshot failed to load, still serving this one: {warning}" if warning else "",
    )


def _not_ready(status: ReadyStatus) -> JSONResponse:
    return JSONResponse(status.model_dump(), status_code=503, headers={"Retry-After": "5"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def metrics(request: Request) -> Response:
    state = get_state(request)
    engine = state.engine
    if engine is not None:
        try:
            stats = engine.stats()
        except (NotReady, IndexUnusable):
            state.metrics.set_not_ready()
        else:
            state.metrics.set_index(int(stats["documents"]), int(stats["passages"]))
    return Response(state.metrics.render(), media_type=state.metrics.content_type)
