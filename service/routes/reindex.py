"""Re-index from the corpus folder as a background job (admin key): incremental, or a full rebuild."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response

from index.engine import Engine
from service.auth import require_admin
from service.models import ReindexRequest, ReindexStatus
from service.routes.docs import errors
from service.state import ServiceState, get_engine, get_state

router = APIRouter(tags=["admin"], dependencies=[Depends(require_admin)], responses=errors(401, 403))


def _with_watch(state: ServiceState, job: dict[str, Any]) -> dict[str, Any]:
    job["watch"] = state.watcher.state().to_dict() if state.watcher is not None else None
    return job


@router.post("/reindex", status_code=202, response_model=ReindexStatus, responses=errors(409, 422),
             summary="Start a re-index from the corpus folder (incremental; {\"full\": true} rebuilds)")
def start_reindex(request: Request, response: Response, engine: Annotated[Engine, Depends(get_engine)],
                  body: Annotated[ReindexRequest | None, Body()] = None) -> dict[str, Any]:
    """Reads ARTICLEQA_CORPUS_DIR in a background thread: by default only new and changed files are read and
    embedded and articles whose files are gone are removed; `{"full": true}` re-reads and re-embeds
    everything. The current snapshot keeps serving until the new one is published. Poll GET /reindex;
    a second POST while one runs is a 409 naming the running job."""
    state = get_state(request)
    corpus = state.settings.corpus_dir
    if not corpus.is_dir():
        raise HTTPException(409, f"the corpus folder {str(corpus)!r} does not exist: "
                                 "set ARTICLEQA_CORPUS_DIR")
    started = state.reindex.start(engine, corpus, full=body.full if body is not None else False)
    response.headers["Location"] = "/reindex"
    return _with_watch(state, started.to_dict())


@router.get("/reindex", response_model=ReindexStatus,
            summary="The current or last re-index job (progress, report) and the folder watcher")
def reindex_status(request: Request) -> dict[str, Any]:
    state = get_state(request)
    return _with_watch(state, state.reindex.state().to_dict())


@router.get("/reindex/jobs", response_model=list[ReindexStatus],
            summary="Recent re-index jobs with their reports, newest first")
def reindex_jobs(request: Request) -> list[dict[str, Any]]:
    return [job.to_dict() for job in get_state(request).reindex.jobs()]
