"""X-API-Key: reads need the read or admin key when one is set; writes need the admin key or are off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from service.auth import check_admin, check_read
from service.settings import Settings
from tests.helpers.live_server import ADMIN, ADMIN_KEY, READ, Api, make_settings

READS = [
    ("POST", "/search", {"query": "金融"}),
    ("GET", "/search?q=金融", None),
    ("POST", "/ask", {"question": "金融"}),
    ("GET", "/documents", None),
    ("POST", "/feedback", {"question": "q", "answer": "a", "helpful": True}),
]
WRITES = [
    ("POST", "/documents", {"text": "文章内容"}),
    ("DELETE", "/documents/whatever", None),
    ("POST", "/reindex", None),
    ("GET", "/reindex", None),
    ("GET", "/feedback", None),
]


def _call(
    client: httpx.Client, method: str, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), READS)
def test_reads_need_a_key(client: httpx.Client, method: str, path: str, body: object) -> None:
    missing = _call(client, method, path, body, {})
    assert missing.status_code == 401
    assert "X-API-Key" in missing.json()["detail"]
    assert _call(client, method, path, body, {"X-API-Key": "wrong"}).status_code == 403
    assert _call(client, method, path, body, READ).status_code in (200, 201)
    assert _call(client, method, path, body, ADMIN).status_code in (200, 201)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_the_admin_key(client: httpx.Client, method: str, path: str, body: object) -> None:
    assert _call(client, method, path, body, {}).status_code == 401
    assert _call(client, method, path, body, {"X-API-Key": "wrong"}).status_code == 403
    assert _call(client, method, path, body, READ).status_code == 403
    assert _call(client, method, path, body, {"X-API-Key": ADMIN_KEY + "x"}).status_code == 403


def test_health_needs_no_key(client: httpx.Client) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200


@pytest.fixture(scope="module")
def open_api(tmp_path_factory: pytest.TempPathFactory, start_server: Callable[[Settings], Api]) -> Api:
    """No keys configured: reads open, writes refused (on an empty data folder, so not ready)."""
    data_dir: Path = tmp_path_factory.mktemp("open") / "data"
    return start_server(make_settings(data_dir))


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_without_admin_key_writes_are_disabled(open_api: Api, method: str, path: str, body: object) -> None:
    with open_api.client() as c:
        for headers in ({}, ADMIN, {"X-API-Key": ""}):
            r = _call(c, method, path, body, headers)
            assert r.status_code == 403
            assert "ARTICLEQA_ADMIN_KEY" in r.json()["detail"]


def test_without_read_key_reads_are_open(open_api: Api) -> None:
    with open_api.client() as c:
        # open, but this server has no index yet: 503 rather than 401
        r = c.post("/search", json={"query": "金融"})
        assert r.status_code == 503
        assert "articleqa ingest" in r.json()["detail"]
        assert c.post("/feedback", json={"question": "q", "answer": "a", "helpful": False}).status_code == 201


def test_check_functions(tmp_path: Path) -> None:
    s = make_settings(tmp_path, admin_key=SecretStr("adm"), api_key=SecretStr("rd"))
    check_read(s, "rd")
    check_read(s, "adm")
    check_admin(s, "adm")
    for given, status in ((None, 401), ("", 401), ("rd", 403), ("ad", 403)):
        with pytest.raises(Exception) as info:
            check_admin(s, given)
        assert getattr(info.value, "status_code", None) == status
    empty = make_settings(tmp_path, admin_key=SecretStr(""), api_key=SecretStr(""))
    check_read(empty, None)
    with pytest.raises(Exception) as info:
        check_admin(empty, "")
    assert getattr(info.value, "status_code", None) == 403


def test_non_ascii_key(tmp_path: Path) -> None:
    s = make_settings(tmp_path, admin_key=SecretStr("密钥-admin"))
    check_admin(s, "密钥-admin".encode().decode("latin-1"))  # as a header value arrives
