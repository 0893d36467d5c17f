"""OpenAPI response entries for the error statuses each route can answer."""

from __future__ import annotations

from typing import Any

from service.models import ErrorResponse

_WHY = {
    401: "X-API-Key header missing",
    403: "wrong key, or writes disabled (ARTICLEQA_ADMIN_KEY not set)",
    404: "no such document",
    409: "another writer holds the index, or a rebuild is already running",
    413: "body or article over ARTICLEQA_MAX_UPLOAD_BYTES",
    415: "body is neither JSON nor multipart/form-data",
    422: "invalid input (detail names the field or the problem)",
    503: "no index loaded yet (run `articleqa ingest` or POST /reindex)",
}

READ = (401, 403, 413, 422)
ADMIN = (401, 403, 413, 422)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse, "description": _WHY[code]} for code in sorted(set(codes))}
