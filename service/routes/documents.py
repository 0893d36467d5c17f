"""List, add (JSON or file upload) and delete articles; writes need the admin key."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request, Response

from index.engine import Engine
from index.filters import DocFilters
from service.auth import require_admin, require_read
from service.filters import query_filters
from service.models import DocumentIn, DocumentInfo, DocumentOut, DocumentWritten, UploadFields, wire
from service.routes.docs import ADMIN, READ, errors
from service.state import get_engine, get_state
from service.uploads import Upload, encoding_of, read_upload

router = APIRouter(tags=["documents"])

_UPLOAD_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the article (.txt, .md, .markdown, .html, .htm; UTF-8 or GB18030)"},
        **UploadFields.model_json_schema()["properties"],
    },
}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {"schema": _UPLOAD_FORM},
        },
    }
}


@router.get("/documents", response_model=list[DocumentInfo], dependencies=[Depends(require_read)],
            responses=errors(*READ, 503), summary="The documents of the current snapshot")
def list_documents(engine: Annotated[Engine, Depends(get_engine)],
                   filters: Annotated[DocFilters | None, Depends(query_filters)]) -> list[dict[str, Any]]:
    """Optionally narrowed by publisher, source and publication dates (the filters of /search)."""
    return engine.documents(filters)


@router.post(
    "/documents", status_code=201, response_model=DocumentWritten, dependencies=[Depends(require_admin)],
    openapi_extra=_UPLOAD_BODY, summary="Add or replace an article; searchable when this returns",
    responses={200: {"model": DocumentWritten, "description": "updated, unchanged or duplicate"},
               **errors(*ADMIN, 409, 415, 503)},
)
async def add_document(request: Request, response: Response,
                       engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """JSON `{"text", "title"?, "url"?, "doc_id"?}` or a multipart file in field `file`.

    201 when the document is new; 200 when it replaced an older version (`updated`), had the same
    content already (`unchanged`) or repeats another document's content (`duplicate`, see `duplicate_of`).
    Without `doc_id` a JSON upload gets a slug of its title (or a hash of its text), a file its file name."""
    state = get_state(request)
    upload = await read_upload(request, state.settings.max_upload_bytes)
    result = await anyio.to_thread.run_sync(_add, engine, upload)
    state.metrics.writes.labels(result.status).inc()
    response.status_code = 201 if result.status == "created" else 200
    return {
        "doc_id": result.doc_id, "passages": result.passages, "index_version": result.index_version,
        "status": result.status, "duplicate_of": result.duplicate_of,
        "encoding": encoding_of(upload.data) if upload.data is not None else None,
    }


def _add(engine: Engine, upload: Upload) -> Any:
    return engine.add_document(text=upload.text, data=upload.data, name=upload.name, doc_id=upload.doc_id,
                               title=upload.title, url=upload.url)


@router.get("/documents/{doc_id}", response_model=DocumentOut, dependencies=[Depends(require_read)],
            responses=errors(*READ, 404), summary="One article: metadata, cleaned text, sections and passages")
def get_document(doc_id: str, engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """`text[char_start:char_end]` reproduces every citation of this article that a search or an answer
    gives (passages and quoted sentences alike)."""
    document = engine.document(doc_id)
    if document is None:
        raise HTTPException(404, f"no document with doc_id {doc_id!r}")
    return wire(DocumentOut, document)


@router.delete("/documents/{doc_id}", status_code=204, dependencies=[Depends(require_admin)],
               responses=errors(401, 403, 404, 409), summary="Remove an article from the index")
def delete_document(doc_id: str, request: Request,
                    engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    version = engine.delete_document(doc_id)
    if version is None:
        raise HTTPException(404, f"no document with doc_id {doc_id!r}")
    get_state(request).metrics.writes.labels("deleted").inc()
    return Response(status_code=204)
