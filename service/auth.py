"""Key checks: the admin key for writes, the optional read key (or the admin key) for reads; reads also take
the key as `Authorization: Bearer <key>` (what OpenAI, Dify and MCP clients send)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from index.engine import READ_ONLY
from service.settings import Settings

HEADER = "X-API-Key"
api_key_header = APIKeyHeader(name=HEADER, auto_error=False, description="read key or admin key")
bearer_header = HTTPBearer(auto_error=False, description="read key or admin key as `Authorization: Bearer <key>`")

WRITES_DISABLED = (
    "writes are disabled on this server: set ARTICLEQA_ADMIN_KEY and send that key in the X-API-Key header"
)
_CHALLENGE = {"WWW-Authenticate": f'ApiKey header="{HEADER}"'}


def _secret(value: SecretStr | None) -> bytes | None:
    """The configured key as bytes; an empty key counts as not configured."""
    if value is None:
        return None
    raw = value.get_secret_value()
    return raw.encode("utf-8") if raw else None


def _matches(given: str, *secrets: bytes | None) -> bool:
    try:
        given_bytes = given.encode("latin-1")  # header values arrive latin-1 decoded: the bytes as sent
    except UnicodeEncodeError:
        given_bytes = given.encode("utf-8")
    ok = False
    for secret in secrets:
        if secret is not None:
            ok |= hmac.compare_digest(given_bytes, secret)  # no early exit: same time for every key
    return ok


def check_read(settings: Settings, given: str | None) -> None:
    """Reads are open unless ARTICLEQA_API_KEY is set; then the read key or the admin key is needed."""
    read_key = _secret(settings.api_key)
    if read_key is None:
        return
    if not given:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            f"missing API key: send it in the {HEADER} header or as Authorization: Bearer <key>",
                            headers=_CHALLENGE)
    if not _matches(given, read_key, _secret(settings.admin_key)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong API key")


def check_admin(settings: Settings, given: str | None) -> None:
    """Writes need ARTICLEQA_ADMIN_KEY to be configured and sent, and a writer (not a read-only replica)."""
    if settings.read_only:  # first: whatever key was sent, this server cannot write
        raise HTTPException(status.HTTP_403_FORBIDDEN, READ_ONLY)
    admin_key = _secret(settings.admin_key)
    if admin_key is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, WRITES_DISABLED)
    if not given:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            f"missing admin key: send ARTICLEQA_ADMIN_KEY in the {HEADER} header",
                            headers=_CHALLENGE)
    if not _matches(given, admin_key):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"wrong admin key in the {HEADER} header")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.articleqa.settings
    return settings


def given_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The key a client sent: X-API-Key, else the token of `Authorization: Bearer <token>`."""
    if x_api_key:
        return x_api_key
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def require_read(request: Request, key: Annotated[str | None, Depends(api_key_header)],
                       bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_header)]) -> None:
    check_read(_settings(request), key or (bearer.credentials if bearer else None))


async def require_admin(request: Request, key: Annotated[str | None, Depends(api_key_header)]) -> None:
    check_admin(_settings(request), key)
