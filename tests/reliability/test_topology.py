"""One writer, two stateless API replicas and a Milvus server, as separate processes on loopback.

Milvus Lite runs as a server (`python -m milvus_lite server`); the writer and the replicas are
`articleqa serve` (real uvicorn), each with its own data folder, the replicas' empty and read-only."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO, TINY_ARTICLES
from tests.helpers.live_server import ADMIN, ADMIN_KEY

# What docs/scaling.md promises: a replica serves a publish within ARTICLEQA_MILVUS_REFRESH seconds of it.
REFRESH_S = 1.0
SLACK_S = 2.0  # request round trips and a loaded machine on top of the promise
QUERIES = ("信用卡按等级分为哪几类?", "银行怎样控制信用风险?", "手机银行的转账流程")
ADDED = ("分期付款\n\n一、手续费\n\n账单分期的手续费率按月计算，分期付款的手续费可以用积分抵扣。",
         "分期付款的手续费怎么算?")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Processes:
    """Child processes of one test, their logs under a folder; all are stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((name, proc))
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        for _, proc in self.running:
            proc.terminate()
        for _, proc in self.running:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture()
def processes(tmp_path: Path) -> Iterator[Processes]:
    (tmp_path / "logs").mkdir()
    procs = Processes(tmp_path / "logs")
    yield procs
    procs.stop()


def _until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """The first truthy value of check() within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.1f} s: {what}")
        time.sleep(0.1)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _env(data_dir: Path, milvus: str, **env: str) -> dict[str, str]:
    """This environment without ARTICLEQA_* settings, then the Milvus backend at `milvus` and `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEQA_")}
    return {**base, "ARTICLEQA_DATA_DIR": str(data_dir), "ARTICLEQA_BACKEND": "milvus", "ARTICLEQA_MILVUS_URI": milvus,
            "ARTICLEQA_MILVUS_REFRESH": str(REFRESH_S), **env}


def _api(processes: Processes, name: str, data_dir: Path, milvus: str, **env: str) -> str:
    port = _free_port()
    processes.start(name, [sys.executable, "-m", "service.cli", "serve"],
                    _env(data_dir, milvus, ARTICLEQA_PORT=str(port), **env))
    return f"http://127.0.0.1:{port}"


def _up(client: httpx.Client, url: str, processes: Processes, name: str) -> None:
    def healthy() -> bool:
        try:
            return client.get(f"{url}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        _until(healthy, 120, f"{name} answers /healthz")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{processes.log(name)}") from exc


def _search(client: httpx.Client, url: str, query: str) -> dict[str, Any]:
    """The whole answer of GET /search but its timing: passages, scores, citations, confidence, index version."""
    r = client.get(f"{url}/search", params={"q": query, "top_k": 5})
    assert r.status_code == 200, r.text
    return {k: v for k, v in r.json().items() if k != "took_ms"}


def _found(client: httpx.Client, url: str, query: str) -> set[str]:
    return {h["doc_id"] for h in _search(client, url, query)["results"]}


def _docs(client: httpx.Client, url: str) -> list[str]:
    r = client.get(f"{url}/documents")
    assert r.status_code == 200, r.text
    return [d["doc_id"] for d in r.json()]


@pytest.mark.slow
def test_two_replicas_on_milvus_serve_the_writers_publishes(tmp_path: Path, tiny_corpus: Path,
                                                           processes: Processes) -> None:
    milvus_port = _free_port()
    processes.start("milvus", [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus"),
                               "--host", "127.0.0.1", "--port", str(milvus_port)], dict(os.environ))
    _until(lambda: _listening(milvus_port), 60, "the Milvus Lite server listens")
    milvus = f"http://127.0.0.1:{milvus_port}"
    replica_dirs = [tmp_path / "replica-a", tmp_path / "replica-b"]

    # Replica A starts before anything is published; the writer next to it.
    a = _api(processes, "replica-a", replica_dirs[0], milvus, ARTICLEQA_READ_ONLY="true")
    writer = _api(processes, "writer", tmp_path / "writer", milvus, ARTICLEQA_ADMIN_KEY=ADMIN_KEY,
                  ARTICLEQA_CORPUS_DIR=str(tiny_corpus))
    with httpx.Client(timeout=60) as client:
        _up(client, a, processes, "replica-a")
        _up(client, writer, processes, "writer")
        ready = client.get(f"{a}/readyz")
        assert ready.status_code == 503 and "articleqa ingest" in ready.json()["detail"], ready.text
        for path in ("/search?q=信用卡", "/documents", "/documents/card-types"):
            assert client.get(a + path).status_code == 503, path

        started = client.post(f"{writer}/reindex", headers=ADMIN)
        assert started.status_code == 202, started.text
        job = _until(lambda: (s := client.get(f"{writer}/reindex", headers=ADMIN).json())["status"] != "running"
                     and s, 240, "the writer's first ingest finishes")
        assert job["status"] == "succeeded" and len(job["report"]["added"]) == len(TINY_ARTICLES), job

        # Replica A picks the first publish up on its own; replica B starts after it, empty as well.
        _until(lambda: client.get(f"{a}/readyz").status_code == 200, REFRESH_S + SLACK_S, "replica A gets ready")
        b = _api(processes, "replica-b", replica_dirs[1], milvus, ARTICLEQA_READ_ONLY="true")
        _up(client, b, processes, "replica-b")
        _until(lambda: client.get(f"{b}/readyz").status_code == 200, 60, "replica B gets ready")
        replicas = (a, b)

        documents = _docs(client, writer)
        assert len(documents) == len(TINY_ARTICLES)
        for q in QUERIES:
            expected = _search(client, writer, q)
            assert expected["results"], q
            assert [_search(client, r, q) for r in replicas] == [expected, expected], q
        for r in replicas:
            assert _docs(client, r) == documents
            shown = client.get(f"{r}/documents/{documents[0]}").json()
            assert shown == client.get(f"{writer}/documents/{documents[0]}").json()
            assert all(shown["text"][p["char_start"]:p["char_end"]] == p["text"] for p in shown["passages"])

        # An added article: every replica finds it within the promise of the write's return.
        added = client.post(f"{writer}/documents", headers=ADMIN, json={"text": ADDED[0], "doc_id": "instalments"})
        assert added.status_code == 201, added.text
        written = time.monotonic()
        for r in replicas:
            _until(lambda r=r: "instalments" in _found(client, r, ADDED[1]),
                   REFRESH_S + SLACK_S - (time.monotonic() - written), f"{r} finds the added article")
        # Once the replicas serve the writer's new version they answer exactly as the writer does.
        version = added.json()["index_version"]
        for r in replicas:
            _until(lambda r=r: _search(client, r, ADDED[1])["index_version"] == version,
                   REFRESH_S + SLACK_S - (time.monotonic() - written), f"{r} serves version {version}")
        assert [_search(client, r, ADDED[1]) for r in replicas] == [_search(client, writer, ADDED[1])] * 2

        # A full rebuild goes to a new collection behind the alias: the replicas answer throughout, then
        # serve the new build within the promise and answer as the writer does.
        started = client.post(f"{writer}/reindex", headers=ADMIN, json={"full": True})
        assert started.status_code == 202, started.text
        during: list[int] = []
        while (job := client.get(f"{writer}/reindex", headers=ADMIN).json())["status"] == "running":
            during += [client.get(f"{r}/search", params={"q": QUERIES[0]}).status_code for r in replicas]
        rebuilt = time.monotonic()
        assert job["status"] == "succeeded", job
        assert during and set(during) == {200}, during
        version = client.get(f"{writer}/readyz").json()["index_version"]
        for r in replicas:
            _until(lambda r=r: client.get(f"{r}/readyz").json()["index_version"] == version,
                   REFRESH_S + SLACK_S - (time.monotonic() - rebuilt), f"{r} serves the rebuilt version {version}")
        for q in (*QUERIES, ADDED[1]):
            assert [_search(client, r, q) for r in replicas] == [_search(client, writer, q)] * 2, q

        # A deleted article: no replica returns it any more, its page is a 404.
        gone = documents[0]
        assert client.delete(f"{writer}/documents/{gone}", headers=ADMIN).status_code == 204
        deleted = time.monotonic()
        for r in replicas:
            _until(lambda r=r: all(gone not in _found(client, r, q) for q in QUERIES)
                   and client.get(f"{r}/documents/{gone}").status_code == 404,
                   REFRESH_S + SLACK_S - (time.monotonic() - deleted), f"{r} stops returning {gone}")
            assert gone not in _docs(client, r) and "instalments" in _docs(client, r)

        # Replicas refuse writes, naming the reason, and kept nothing of their own.
        for r in replicas:
            refused = client.post(f"{r}/documents", headers=ADMIN, json={"text": ADDED[0]})
            assert refused.status_code == 403 and "read-only replica" in refused.json()["detail"], refused.text
            assert client.post(f"{r}/reindex", headers=ADMIN).status_code == 403
            feedback = client.post(f"{r}/feedback", json={"question": "分期?", "answer": "", "helpful": True})
            assert feedback.status_code == 403 and "read-only replica" in feedback.json()["detail"], feedback.text

        # The command line of a replica: `show` reads the article from Milvus, `ingest` is refused.
        replica_env = _env(replica_dirs[0], milvus, ARTICLEQA_READ_ONLY="true")
        cli = [sys.executable, "-m", "service.cli"]
        shown = subprocess.run([*cli, "show", "instalments", "--json"], env=replica_env, cwd=REPO, capture_output=True,
                               text=True, timeout=120)
        assert shown.returncode == 0 and json.loads(shown.stdout)["text"].startswith("一、手续费"), shown.stderr
        ingest = subprocess.run([*cli, "ingest", str(tiny_corpus)], env=replica_env, cwd=REPO, capture_output=True,
                                text=True, timeout=120)
        assert ingest.returncode == 2 and "read-only replica" in ingest.stderr, ingest.stderr
        assert [sorted(p.name for p in d.rglob("*")) for d in replica_dirs] == [[], []]
