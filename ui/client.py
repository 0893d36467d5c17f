"""A small typed httpx client for the articleqa HTTP API (the page's only way to the index)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Citation(_Model):
    doc_id: str
    title: str = ""
    url: str = ""
    section: str = ""
    paragraph: int = 0
    char_start: int = 0
    char_end: int = 0


class Quote(Citation):
    """A cited sentence: the citation plus the exact quoted text and its passage."""

    quote: str = ""
    passage_id: str = ""


class Hit(_Model):
    passage_id: str
    doc_id: str
    score: float = 0.0
    text: str
    citation: Citation
    highlights: list[tuple[int, int]] = Field(default_factory=list)


class AskResult(_Model):
    question: str
    answer: str = ""
    answerable: bool
    citations: list[Quote] = Field(default_factory=list)
    passages: list[Hit] = Field(default_factory=list)
    took_ms: float = 0.0
    index_version: str = ""
    searched_query: str = ""
    followup: bool = False


class Message(_Model):
    """One earlier turn of the conversation, as the API's `history` takes it."""

    role: str
    content: str


class DocumentPassage(_Model):
    passage_id: str
    section: str = ""
    paragraph: int = 0
    char_start: int
    char_end: int
    text: str = ""


class DocumentSection(_Model):
    title: str = ""
    start: int
    end: int
    kind: str = "body"


class Document(_Model):
    """GET /documents/{doc_id}: the article's cleaned text, which every citation's offsets point into."""

    doc_id: str
    title: str = ""
    url: str = ""
    text: str
    sections: list[DocumentSection] = Field(default_factory=list)
    passages: list[DocumentPassage] = Field(default_factory=list)


class SearchResult(_Model):
    query: str
    results: list[Hit] = Field(default_factory=list)
    low_confidence: bool = False
    took_ms: float = 0.0
    index_version: str = ""


class ReadyStatus(_Model):
    ready: bool = False
    documents: int = 0
    passages: int = 0
    index_version: str = ""
    embedder: str = ""
    detail: str = ""


class DocumentInfo(_Model):
    doc_id: str
    title: str = ""
    url: str = ""
    passages: int = 0
    updated_at: str | float | None = None
    publisher: str = ""
    published_at: str = ""


class UploadResult(_Model):
    doc_id: str
    passages: int = 0
    index_version: str = ""
    status: str = ""


class Feedback(_Model):
    """Body of POST /feedback."""

    question: str
    answer: str
    helpful: bool
    comment: str = ""
    passage_ids: list[str] = Field(default_factory=list)
    index_version: str = ""


class ApiError(Exception):
    """The API answered with an error (`status`) or could not be reached (`status` is None)."""

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


class ApiUnavailable(ApiError):
    """Nothing answered at the base URL (connection refused, DNS failure, timeout)."""


class ApiNotReady(ApiError):
    """503: the service is up but its index is not loaded yet."""


class ApiAuthError(ApiError):
    """401/403: a key is missing, wrong, or writes are disabled."""


def error_detail(response: httpx.Response) -> str:
    """The human part of an error body `{"detail": ...}` (a string or FastAPI's list of errors)."""
    try:
        detail: Any = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        msgs = [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail]
        return "; ".join(msgs) or response.reason_phrase
    if detail:
        return str(detail)
    return response.text.strip()[:300] or f"HTTP {response.status_code} {response.reason_phrase}"


class ApiClient:
    """Calls the endpoints of DESIGN.md; reads carry the read key, writes the admin key given per call."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ApiUnavailable(f"{self.base_url} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"cannot reach {self.base_url}: {exc}") from exc
        if response.is_success:
            return response
        detail = error_detail(response)
        if response.status_code == 503:
            raise ApiNotReady(detail, 503)
        if response.status_code in (401, 403):
            raise ApiAuthError(detail, response.status_code)
        raise ApiError(detail, response.status_code)

    def readyz(self) -> ReadyStatus:
        """Index status; a 503 comes back as `ready=False` instead of raising."""
        try:
            return ReadyStatus.model_validate(self._request("GET", "/readyz", timeout=5.0).json())
        except ApiNotReady as exc:
            return ReadyStatus(ready=False, detail=exc.detail)

    def documents(self) -> list[DocumentInfo]:
        data = self._request("GET", "/documents", timeout=10.0).json()
        return [DocumentInfo.model_validate(d) for d in data]

    def ask(self, question: str, top_k: int = 5, doc_ids: list[str] | None = None,
            history: list[Message] | None = None, filters: dict[str, str] | None = None) -> AskResult:
        """POST /ask; `history` (earlier turns, oldest first) lets the API read a follow-up in context;
        `filters`: publisher, source, published_after, published_before (ISO dates)."""
        body: dict[str, Any] = {"question": question, "top_k": top_k}
        if doc_ids:
            body["doc_ids"] = list(doc_ids)
        if filters:
            body["filters"] = dict(filters)
        if history:
            body["history"] = [m.model_dump() for m in history]
        return AskResult.model_validate(self._request("POST", "/ask", json=body).json())

    def document(self, doc_id: str) -> Document:
        """GET /documents/{doc_id}: metadata, cleaned text, sections and passages."""
        path = "/documents/" + quote(doc_id, safe="")
        return Document.model_validate(self._request("GET", path, timeout=10.0).json())

    def search(self, query: str, top_k: int = 5, doc_ids: list[str] | None = None) -> SearchResult:
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        if doc_ids:
            body["doc_ids"] = list(doc_ids)
        return SearchResult.model_validate(self._request("POST", "/search", json=body).json())

    def upload(
        self, filename: str, content: bytes, admin_key: str, content_type: str = "text/plain"
    ) -> UploadResult:
        """POST /documents as a multipart file upload (field `file`), authorised by the admin key."""
        response = self._request(
            "POST",
            "/documents",
            files={"file": (filename, content, content_type)},
            headers={"X-API-Key": admin_key},
            timeout=120.0,
        )
        return UploadResult.model_validate(response.json())

    def feedback(self, feedback: Feedback) -> int:
        """POST /feedback; returns the stored feedback id."""
        response = self._request("POST", "/feedback", json=feedback.model_dump())
        return int(response.json()["id"])
