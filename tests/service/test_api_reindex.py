"""/readyz before and after an index exists, and the background POST /reindex job (202, 409, progress)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.lock import WriteLock
from service.settings import Settings
from tests.helpers.live_server import ADMIN, Api, make_settings

TINY = """深海探测

一、潜水器

深海载人潜水器可以下潜到一万米,依靠钛合金耐压舱保护潜航员。

二、通信

水下通信主要依靠声学通信,因为电磁波在海水中衰减很快。
"""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, start_server: Callable[[Settings], Api]) -> Api:
    """A server over an empty data folder; its corpus folder holds one small article."""
    root = tmp_path_factory.mktemp("fresh")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "deep-sea.txt").write_text(TINY, encoding="utf-8")
    settings = make_settings(root / "data", corpus_dir=corpus, admin_key=ADMIN["X-API-Key"], lock_timeout=1.0)
    return start_server(settings)


def _wait_for_job(c: httpx.Client, job: int, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, Any] = c.get("/reindex", headers=ADMIN).json()
        if state["job"] == job and state["status"] != "running":
            return state
        time.sleep(0.05)
    raise AssertionError(f"reindex job {job} still running after {timeout} s")


def test_not_ready_until_reindexed(fresh: Api) -> None:
    with fresh.client() as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False
        assert "articleqa ingest" in ready.json()["detail"]
        assert c.post("/search", json={"query": "深海"}).status_code == 503
        assert c.get("/search", params={"q": "深海"}).status_code == 503
        assert c.post("/ask", json={"question": "深海"}).status_code == 503
        assert c.get("/documents").status_code == 503
        assert c.post("/search", json={"query": "  "}).status_code == 422  # bad input stays 422
        assert c.get("/search", params={"q": " "}).status_code == 422
        assert c.get("/reindex", headers=ADMIN).json()["status"] == "idle"

        started = c.post("/reindex", headers=ADMIN)
        assert started.status_code == 202
        assert started.json()["status"] == "running"
        assert started.headers["Location"] == "/reindex"
        done = _wait_for_job(c, started.json()["job"])
        assert done["status"] == "succeeded", done
        assert done["report"]["added"] == ["deep-sea"]
        assert done["report"]["documents"] == 1
        assert done["finished_at"]

        ready = c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["documents"] == 1
        hits = c.post("/search", json={"query": "深海潜水器耐压舱", "top_k": 1}).json()["results"]
        assert hits[0]["doc_id"] == "deep-sea"


def test_second_reindex_while_running_is_409_and_lock_holder_is_named(fresh: Api) -> None:
    data_dir = fresh.settings.data_dir
    with fresh.client() as c:
        if c.get("/readyz").status_code != 200:  # this worker's server has not run the test above: index first
            assert _wait_for_job(c, c.post("/reindex", headers=ADMIN).json()["job"])["status"] == "succeeded"
        with WriteLock(data_dir, timeout=5, purpose="test holds the lock"):
            first = c.post("/reindex", headers=ADMIN)
            assert first.status_code == 202
            second = c.post("/reindex", headers=ADMIN)
            assert second.status_code == 409
            assert "already running" in second.json()["detail"]
            busy = c.post("/documents", json={"text": "另一篇文章\n\n内容。"}, headers=ADMIN)
            assert busy.status_code == 409
            assert "test holds the lock" in busy.json()["detail"]
            failed = _wait_for_job(c, first.json()["job"])
        assert failed["status"] == "failed"
        assert "LockTimeout" in failed["error"]
        # the current snapshot kept serving throughout
        assert c.get("/readyz").status_code == 200

        again = c.post("/reindex", headers=ADMIN)
        assert again.status_code == 202
        ok = _wait_for_job(c, again.json()["job"])
        assert ok["status"] == "succeeded"
        assert ok["stage"] == "done"
        metrics = c.get("/metrics").text
        assert "articleqa_reindex_running 0.0" in metrics


def test_reindex_without_corpus_folder_is_409(client: httpx.Client, api: Api) -> None:
    assert not Path(api.settings.corpus_dir).exists()
    r = client.post("/reindex", headers=ADMIN)
    assert r.status_code == 409
    assert "ARTICLEQA_CORPUS_DIR" in r.json()["detail"]


def test_reindex_is_incremental_by_default_and_full_on_request(fresh: Api) -> None:
    corpus = Path(fresh.settings.corpus_dir)
    with fresh.client() as c:
        first = _wait_for_job(c, c.post("/reindex", headers=ADMIN).json()["job"])
        assert first["status"] == "succeeded" and first["full"] is False
        (corpus / "ocean-current.txt").write_text(
            "洋流\n\n一、成因\n\n洋流主要由盛行风和海水密度差异驱动,墨西哥湾流是著名的暖流。\n", encoding="utf-8")
        started = c.post("/reindex", headers=ADMIN, json={})
        assert started.status_code == 202 and started.json()["full"] is False
        inc = _wait_for_job(c, started.json()["job"])
        assert inc["status"] == "succeeded", inc
        assert inc["report"]["added"] == ["ocean-current"]
        assert inc["report"]["unchanged"] == ["deep-sea"]  # read, same hash, not re-embedded
        assert inc["files_done"] == inc["files_total"] == 2
        assert 0 < inc["passages_total"] <= 2  # only the new article's passages were embedded
        hits = c.post("/search", json={"query": "墨西哥湾流暖流", "top_k": 1}).json()["results"]
        assert hits[0]["doc_id"] == "ocean-current"

        full = _wait_for_job(c, c.post("/reindex", headers=ADMIN, json={"full": True}).json()["job"])
        assert full["status"] == "succeeded" and full["full"] is True
        assert sorted(full["report"]["added"]) == ["deep-sea", "ocean-current"]  # everything re-read as new

        (corpus / "ocean-current.txt").unlink()
        gone = _wait_for_job(c, c.post("/reindex", headers=ADMIN).json()["job"])
        assert gone["report"]["removed"] == ["ocean-current"]
        hits = c.post("/search", json={"query": "墨西哥湾流暖流", "top_k": 3}).json()["results"]
        assert all(h["doc_id"] != "ocean-current" for h in hits)

        jobs = c.get("/reindex/jobs", headers=ADMIN)
        assert jobs.status_code == 200
        listed = jobs.json()
        assert [j["job"] for j in listed[:4]] == [gone["job"], full["job"], inc["job"], first["job"]]
        assert listed[1]["report"]["documents"] == 2 and listed[1]["full"] is True
        assert c.get("/reindex/jobs").status_code == 401  # admin only
        bad = c.post("/reindex", headers=ADMIN, json={"full": "yes please"})
        assert bad.status_code == 422


def test_second_reindex_409_names_the_running_job(fresh: Api) -> None:
    with fresh.client() as c, WriteLock(fresh.settings.data_dir, timeout=5, purpose="test holds the lock"):
        first = c.post("/reindex", headers=ADMIN, json={"full": True}).json()
        second = c.post("/reindex", headers=ADMIN)
        assert second.status_code == 409
        assert f"reindex job {first['job']} (full) is already running" in second.json()["detail"]
        running = c.get("/reindex/jobs", headers=ADMIN).json()[0]
        assert running["job"] == first["job"] and running["status"] == "running"
    with fresh.client() as c:
        _wait_for_job(c, first["job"])  # it ran once the lock was free (or gave up after 1 s)
