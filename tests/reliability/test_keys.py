"""Keys are compared in constant time: every check goes through hmac.compare_digest, against every configured key."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest
from fastapi import HTTPException
from pydantic import SecretStr

import service.auth as auth
from tests.helpers.live_server import make_settings


@pytest.fixture()
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every (given, secret) pair the auth checks compare, recorded around the real compare_digest."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest  # auth.hmac is the hmac module: keep the original before patching it

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    return calls


def test_wrong_admin_key_is_403_through_compare_digest(tmp_path: Path, compared: list[tuple[bytes, bytes]]) -> None:
    settings = make_settings(tmp_path, admin_key=SecretStr("admin-secret"))
    with pytest.raises(HTTPException) as refused:
        auth.check_admin(settings, "admin-secreT")
    assert refused.value.status_code == 403
    assert compared == [(b"admin-secreT", b"admin-secret")]


def test_read_check_compares_against_both_keys_without_early_exit(
        tmp_path: Path, compared: list[tuple[bytes, bytes]]) -> None:
    settings = make_settings(tmp_path, admin_key=SecretStr("admin-secret"), api_key=SecretStr("read-secret"))
    auth.check_read(settings, "read-secret")  # matches the first key, and still compares the second
    assert compared == [(b"read-secret", b"read-secret"), (b"read-secret", b"admin-secret")]
    compared.clear()
    with pytest.raises(HTTPException) as refused:
        auth.check_read(settings, "guess")
    assert refused.value.status_code == 403 and len(compared) == 2
