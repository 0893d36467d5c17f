"""Turn a POST /documents request (JSON or multipart file) into one checked, size-capped article upload."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from ingest.decoding import is_probably_gb18030
from ingest.readers import SUPPORTED_SUFFIXES, ArticleError, doc_id_for
from service.models import DocumentIn, UploadFields

MAX_FILENAME_CHARS = 150
_UNSAFE_NAME = re.compile(r"[^\w.\-() ]+")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Upload:
    """One article to index: exactly one of `text` (JSON) or `data` (file bytes)."""

    name: str
    doc_id: str
    title: str = ""
    url: str = ""
    text: str | None = None
    data: bytes | None = None


def safe_filename(raw: str | None) -> str:
    """The base name only, NFKC-normalised, without control or shell characters; `.txt` if untyped."""
    name = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" ._")
    if not name:
        return "upload.txt"
    path = PurePosixPath(name)
    if not path.suffix:
        path = path.with_name(f"{path.name}.txt")
    if len(path.name) > MAX_FILENAME_CHARS:
        path = path.with_name(path.stem[: MAX_FILENAME_CHARS - len(path.suffix)] + path.suffix)
    return path.name


def derive_doc_id(title: str, text: str) -> str:
    """A deterministic id for a JSON upload: a slug of the title, else a short hash of the text."""
    if title.strip():
        try:
            return doc_id_for(title.replace("/", "-").replace("\\", "-") + ".txt")
        except ArticleError:
            pass
    return "doc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def encoding_of(data: bytes) -> str:
    """The encoding the reader decoded these bytes with (call after a successful read)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "gb18030" if is_probably_gb18030(data) else "utf-8"


def too_large(size: int, limit: int) -> HTTPException:
    return HTTPException(413, f"the article is {size} bytes; the limit is {limit} bytes "
                              "(ARTICLEQA_MAX_UPLOAD_BYTES)")


def _invalid(exc: ValidationError, where: str) -> RequestValidationError:
    errors: list[dict[str, Any]] = [
        {"type": e["type"], "loc": (where, *e["loc"]), "msg": e["msg"]} for e in exc.errors(include_url=False)
    ]
    return RequestValidationError(errors)


def _validate(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, where) from None


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """Parse the body by Content-Type; 413 over `max_bytes`, 415 other content types, 422 bad fields."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return await _read_json(request, max_bytes)
    if content_type == "multipart/form-data":
        return await _read_multipart(request, max_bytes)
    raise HTTPException(415, "send the article as application/json {\"text\": …} or as multipart/form-data "
                             f"with a file in field `file` (got Content-Type {content_type or 'none'!r})")


async def _read_json(request: Request, max_bytes: int) -> Upload:
    body = await request.body()
    try:
        doc = DocumentIn.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc, "body") from None
    size = len(doc.text.encode("utf-8"))
    if size > max_bytes:
        raise too_large(size, max_bytes)
    doc_id = doc.doc_id or derive_doc_id(doc.title, doc.text)
    return Upload(name=f"{doc_id}.txt", doc_id=doc_id, title=doc.title, url=doc.url, text=doc.text)


async def _read_multipart(request: Request, max_bytes: int) -> Upload:
    async with request.form(max_files=1, max_fields=10) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(422, "the multipart upload needs the article as a file in field `file`")
        extra = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
        fields = _validate(UploadFields, extra, "body")
        data = await file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large(len(data) + await _rest(file), max_bytes)
        name = safe_filename(file.filename)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise HTTPException(422, f"{name}: unsupported file type {suffix!r}; upload one of "
                                 + ", ".join(SUPPORTED_SUFFIXES))
    doc_id = fields.doc_id or doc_id_for(name)
    return Upload(name=name, doc_id=doc_id, title=fields.title, url=fields.url, data=data)


async def _rest(file: UploadFile) -> int:
    """Bytes left in an over-limit file (already on the server's disk, bounded by the body cap)."""
    total = 0
    while chunk := await file.read(1 << 20):
        total += len(chunk)
    return total
