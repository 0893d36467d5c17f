"""Metadata filters at the HTTP edge: the request model or query parameters turned into the core's DocFilters."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError

from index.filters import DocFilters
from service.models import SearchFilters


def doc_filters(filters: SearchFilters | None) -> DocFilters | None:
    """The core's filters for a validated `filters` object (None: no restriction)."""
    if filters is None:
        return None
    return DocFilters(publisher=filters.publisher, source=filters.source, published_after=filters.published_after,
                      published_before=filters.published_before)


def query_filters(
    publisher: Annotated[str, Query(max_length=200, description="only articles of this publisher")] = "",
    source: Annotated[str, Query(max_length=500, description="only articles whose file path, upload name or "
                                                            "URL contains this")] = "",
    published_after: Annotated[date | None, Query(description="published on or after (ISO date)")] = None,
    published_before: Annotated[date | None, Query(description="published on or before (ISO date)")] = None,
) -> DocFilters | None:
    """The same filters as query parameters (GET /search, GET /documents)."""
    if published_after and published_before and published_before < published_after:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "published_before"),
            "msg": f"published_before {published_before.isoformat()} is earlier than published_after "
                   f"{published_after.isoformat()}"}])
    filters = DocFilters(publisher=publisher, source=source, published_after=published_after,
                         published_before=published_before)
    return filters if filters.active else None
