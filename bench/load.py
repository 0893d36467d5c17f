"""HTTP /search under load: a real uvicorn on 127.0.0.1 started here, and a bounded thread load generator."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.memory import rss_mb
from bench.stats import summary
from bench.textgen import REPO
from index.searcher import Searcher


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`uvicorn --factory bench.server:make_app` over a data folder, in a child process we own."""

    def __init__(self, data_dir: Path, log_path: Path, dense_kind: str = "flat", ready_timeout: float = 300.0):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "BENCH_DATA_DIR": str(data_dir), "BENCH_DENSE_KIND": dense_kind,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
        self._log = log_path.open("wb")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.server:make_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"benchmark server exited with {self.proc.returncode}; see {self._log.name}")
            try:
                if httpx.get(self.base_url + "/readyz", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"benchmark server not ready after {timeout:.0f}s; see {self._log.name}")

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def load(base_url: str, queries: Iterator[str], clients: int, seconds: float, max_requests: int = 100_000,
         top_k: int = 5) -> dict[str, Any]:
    """`clients` threads, each with its own keep-alive connection, POST /search until `seconds` pass."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    deadline = time.monotonic() + seconds

    def next_query() -> str | None:
        nonlocal issued
        with lock:
            if issued >= max_requests or time.monotonic() >= deadline:
                return None
            issued += 1
            return next(queries, None)

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=120.0) as client:
            while (q := next_query()) is not None:
                start = time.perf_counter()
                try:
                    r = client.post("/search", json={"query": q, "top_k": top_k})
                    ok = r.status_code == 200
                    detail = f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    ok, detail = False, type(exc).__name__
                ms = (time.perf_counter() - start) * 1000
                with lock:
                    if ok:
                        latencies.append(ms)
                    else:
                        errors.append(detail)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "qps": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        "latency_ms": summary(latencies),
    }


def paired_overhead(base_url: str, searcher: Searcher, queries: list[str], top_k: int = 5) -> dict[str, Any]:
    """The same distinct query searched in this process and then over HTTP, pair after pair, so both see the
    same machine load (on a shared machine, levels measured minutes apart differ by more than HTTP costs).

    The server and this process each have their own query-vector cache, so both embed every query."""
    inproc, http, took = [], [], []
    with httpx.Client(base_url=base_url, timeout=120.0) as client:
        for q in queries:
            start = time.perf_counter()
            searcher.search(q, top_k=top_k)
            inproc.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            r = client.post("/search", json={"query": q, "top_k": top_k})
            http.append((time.perf_counter() - start) * 1000)
            r.raise_for_status()
            took.append(float(r.json()["took_ms"]))
    return {"pairs": len(queries), "in_process_ms": summary(inproc), "http_ms": summary(http),
            "server_took_ms": summary(took), "http_minus_server_ms": summary([h - t for h, t in zip(http, took,
                                                                                                   strict=True)])}


def http_benchmark(data_dir: Path, log_path: Path, queries: list[str], levels: tuple[int, ...], seconds: float,
                   dense_kind: str = "flat", paired: tuple[Searcher, list[str]] | None = None) -> dict[str, Any]:
    """Start the server, warm it, optionally measure paired in-process/HTTP searches, run each concurrency
    level in turn with distinct queries, stop it."""
    stream = iter(queries)
    with Server(data_dir, log_path, dense_kind=dense_kind) as server:
        rss_idle = server.rss_mb()
        warm = load(server.base_url, stream, clients=1, seconds=60.0, max_requests=3)
        pairs = paired_overhead(server.base_url, *paired) if paired is not None else None
        runs = [load(server.base_url, stream, clients=c, seconds=seconds) for c in levels]
        return {"startup_s": round(server.startup_s, 2), "server_rss_mb": round(server.rss_mb(), 1),
                "server_rss_idle_mb": round(rss_idle, 1), "warmup_errors": warm["errors"], "levels": runs,
                "distinct_queries": True, "paired": pairs}
