"""Answer feedback from the chat page: anyone with read access posts, the admin lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from index.engine import Engine
from service.auth import require_admin, require_read
from service.models import FeedbackCreated, FeedbackIn, FeedbackItem
from service.routes.docs import READ, errors
from service.state import get_engine

router = APIRouter(tags=["feedback"])


@router.post("/feedback", status_code=201, response_model=FeedbackCreated,
             dependencies=[Depends(require_read)], responses=errors(*READ),
             summary="Record whether an answer helped")
def add_feedback(body: FeedbackIn, engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    fid = engine.store.add_feedback(body.question, body.answer, body.helpful, body.comment, body.passage_ids,
                                    body.index_version)
    return {"id": fid}


@router.get("/feedback", response_model=list[FeedbackItem], dependencies=[Depends(require_admin)],
            responses=errors(401, 403, 422), summary="All feedback, oldest first")
def list_feedback(engine: Annotated[Engine, Depends(get_engine)],
                  helpful: Annotated[bool | None, Query(description="only helpful / unhelpful")] = None,
                  ) -> list[dict[str, object]]:
    return engine.store.list_feedback(helpful=helpful)


