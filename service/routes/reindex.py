"""Full rebuild from the corpus folder as a background job (admin key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from index.engine import Engine
from service.auth import require_admin
from service.models import ReindexStatus
from service.routes.docs import errors
from service.state import get_engine, get_state

router = APIRouter(tags=["admin"], dependencies=[Depends(require_admin)], responses=errors(401, 403))


@router.post("/reindex", status_code=202, response_model=ReindexStatus, responses=errors(409),
             summary="Start a full rebuild from the corpus folder")
def start_reindex(request: Request, response: Response,
                  engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """Re-reads every article of ARTICLEQA_CORPUS_DIR in a background thread; the current snapshot keeps
    serving until the new one is published. Poll GET /reindex; a second POST while it runs is a 409."""
    state = get_state(request)
    corpus = state.settings.corpus_dir
    if not corpus.is_dir():
        raise HTTPException(409, f"the corpus folder {str(corpus)!r} does not exist: "
                                 "set ARTICLEQA_CORPUS_DIR")
    started = state.reindex.start(engine, corpus)
    response.headers["Location"] = "/reindex"
    return started.to_dict()


@router.get("/reindex", response_model=ReindexStatus, summary="Status, progress and report of the rebuild")
def reindex_status(request: Request) -> dict[str, Any]:
    return get_state(request).reindex.state().to_dict()
