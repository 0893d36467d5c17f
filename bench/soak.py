"""Soak benchmark: mixed /search and /ask at a fixed rate against real uvicorn; errors, latency and memory over time."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "信用卡一般分为哪几类?", "银行产品经理需要了解哪些银行业务?", "领导力包括哪些方面?", "产品经理如何释放压力?",
    "怎样提升客户的使用体验?", "信用卡产品为什么受到严格监管?", "上海到杭州的高铁要多久?", "风险管理能力",
    "How can a credit card product manager keep learning?", "数据分析", "市场营销能力包括什么?", "联名卡",
]


@dataclass(frozen=True)
class MemorySample:
    """The server's resident memory and thread count at `t_s` seconds into the soak."""

    t_s: float
    rss_mb: float
    threads: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def memory_verdict(samples: Sequence[MemorySample], warmup_s: float, tolerance_mb: float) -> dict[str, Any]:
    """RSS at start, after warm-up, at its highest after warm-up and at the end; `flat` when the end and the
    highest point after warm-up stay within `tolerance_mb` of the after-warm-up figure.

    The after-warm-up figure is the first sample at or past `warmup_s` (loading pages, caches and the
    allocator's first arenas happen before it); the slope of the second half shows a slow leak that the
    tolerance would hide in a short run."""
    if not samples:
        raise ValueError("no memory samples")
    after = [s for s in samples if s.t_s >= warmup_s] or [samples[-1]]
    warm, end = after[0], samples[-1]
    peak = max(s.rss_mb for s in after)
    half = [s for s in after if s.t_s >= (warm.t_s + end.t_s) / 2]
    slope = _slope_mb_per_min(half)
    growth = end.rss_mb - warm.rss_mb
    return {
        "rss_start_mb": round(samples[0].rss_mb, 1),
        "rss_after_warmup_mb": round(warm.rss_mb, 1),
        "rss_peak_after_warmup_mb": round(peak, 1),
        "rss_end_mb": round(end.rss_mb, 1),
        "warmup_growth_mb": round(warm.rss_mb - samples[0].rss_mb, 1),
        "growth_after_warmup_mb": round(growth, 1),
        "second_half_slope_mb_per_min": round(slope, 2),
        "threads_max": max(s.threads for s in samples),
        "tolerance_mb": tolerance_mb,
        "flat": growth <= tolerance_mb and peak - warm.rss_mb <= tolerance_mb,
    }


def _slope_mb_per_min(samples: Sequence[MemorySample]) -> float:
    """Least-squares slope of RSS over time, in MB per minute (0 with fewer than two samples)."""
    if len(samples) < 2:
        return 0.0
    ts = [s.t_s for s in samples]
    mean_t = sum(ts) / len(ts)
    mean_r = sum(s.rss_mb for s in samples) / len(samples)
    var = sum((t - mean_t) ** 2 for t in ts)
    if var == 0:
        return 0.0
    return 60.0 * sum((s.t_s - mean_t) * (s.rss_mb - mean_r) for s in samples) / var


def verdict_line(report: dict[str, Any]) -> str:
    """One line: PASS when there were no errors and memory stayed flat after warm-up, FAIL otherwise."""
    mem = report["memory"]
    ok = report["errors"] == 0 and mem["flat"]
    return (
        f"verdict: {'PASS' if ok else 'FAIL'}: {report['errors']} errors in {report['requests']} requests; "
        f"RSS {mem['rss_start_mb']} MB at start, {mem['rss_after_warmup_mb']} MB after the "
        f"{report['warmup_s']:g} s warm-up, {mem['rss_end_mb']} MB at the end "
        f"({mem['growth_after_warmup_mb']:+.1f} MB after warm-up, peak {mem['rss_peak_after_warmup_mb']} MB, "
        f"tolerance {mem['tolerance_mb']:g} MB, second half {mem['second_half_slope_mb_per_min']:+.2f} MB/min): "
        f"{'flat' if mem['flat'] else 'GROWING'}; "
        f"load average {report['load_average_start']} at start, {report['load_average_end']} at the end"
    )


class _Sampler(threading.Thread):
    """Samples the server's RSS and thread count every `every_s` seconds, independent of the request loop."""

    def __init__(self, pid: int, start: float, every_s: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.start_t, self.every_s = pid, start, every_s
        self.samples: list[MemorySample] = []
        self.stop = threading.Event()

    def read(self) -> MemorySample:
        status = _proc_status(self.pid)
        return MemorySample(round(time.monotonic() - self.start_t, 1), int(status["VmRSS"].split()[0]) / 1024,
                            int(status["Threads"]))

    def run(self) -> None:
        while not self.stop.wait(self.every_s):
            try:
                self.samples.append(self.read())
            except (OSError, KeyError):  # the server is gone; the request loop reports the errors
                return


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def soak(minutes: float, rate: float, window_s: float, workers: int, warmup_s: float, sample_s: float,
         tolerance_mb: float, server_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the soak and return per-window figures, memory samples, totals and the memory verdict."""
    work = Path(tempfile.mkdtemp(prefix="articleqa-soak-"))
    env = {**os.environ, "ARTICLEQA_DATA_DIR": str(work / "data"), **(server_env or {})}
    exe = [sys.executable, "-m", "service.cli"]
    subprocess.run([*exe, "ingest", str(ROOT / "corpus")], check=True, env=env, cwd=ROOT, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([*exe, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        client = httpx.Client(base_url=base, timeout=30)
        lock = threading.Lock()
        samples: list[tuple[float, float, bool]] = []  # (t, ms, ok)
        rng = random.Random(0)

        def one(q: str, ask: bool) -> None:
            t0 = time.perf_counter()
            try:
                r = client.post("/ask", json={"question": q}) if ask else client.post("/search", json={"query": q})
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            with lock:
                samples.append((time.monotonic(), (time.perf_counter() - t0) * 1000, ok))

        windows: list[dict[str, Any]] = []
        load_start = _load()
        start = time.monotonic()
        sampler = _Sampler(server.pid, start, sample_s)
        sampler.samples.append(sampler.read())  # before the first request: the loaded, idle server
        sampler.start()
        end = start + minutes * 60
        next_window = start + window_s
        sent = 0
        with ThreadPoolExecutor(workers) as pool:
            while (now := time.monotonic()) < end:
                if now >= next_window:
                    windows.append(_window(samples, lock, next_window - window_s, next_window, start,
                                           sampler.read()))
                    print(json.dumps(windows[-1]), flush=True)
                    next_window += window_s
                due = start + sent / rate
                if now < due:
                    time.sleep(min(due - now, 0.05))
                    continue
                pool.submit(one, rng.choice(QUESTIONS), rng.random() < 0.3)
                sent += 1
        sampler.stop.set()
        sampler.join()
        sampler.samples.append(sampler.read())  # after the last answer
        # The last window also holds the requests that queued in the client and finished after the planned end.
        windows.append(_window(samples, lock, next_window - window_s, float("inf"), start, sampler.samples[-1]))
        print(json.dumps(windows[-1]), flush=True)
        lat = [ms for _, ms, _ in samples]
        report: dict[str, Any] = {
            "minutes": minutes, "rate_per_s": rate, "warmup_s": warmup_s, "requests": len(samples),
            # past minutes * 60 when the server could not keep up and requests queued in the client
            "duration_s": round(time.monotonic() - start, 1),
            "errors": sum(1 for *_, ok in samples if not ok),
            "p50_ms": round(_pct(lat, 0.5), 1), "p90_ms": round(_pct(lat, 0.9), 1),
            "p99_ms": round(_pct(lat, 0.99), 1), "max_ms": round(max(lat, default=0.0), 1),
            "load_average_start": load_start, "load_average_end": _load(), "cpus": os.cpu_count(),
            "server_env": dict(server_env or {}),
            "memory": memory_verdict(sampler.samples, warmup_s, tolerance_mb),
            "windows": windows,
            "memory_samples": [s.__dict__ for s in sampler.samples],
        }
        return report
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server was not ready within 120 s")


def _window(samples: list[tuple[float, float, bool]], lock: threading.Lock, since: float, until: float,
            start: float, mem: MemorySample) -> dict[str, Any]:
    with lock:
        recent = [s for s in samples if since <= s[0] < until]
    lat = [ms for _, ms, _ in recent]
    return {"t_s": round(min(until, time.monotonic()) - start), "requests": len(recent),
            "errors": sum(1 for *_, ok in recent if not ok),
            "p50_ms": round(_pct(lat, 0.5), 1), "p90_ms": round(_pct(lat, 0.9), 1),
            "p99_ms": round(_pct(lat, 0.99), 1), "rss_mb": round(mem.rss_mb, 1), "threads": mem.threads,
            "load": _load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per reported window")
    parser.add_argument("--workers", type=int, default=8, help="client threads (requests in flight at most)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before memory must stay flat")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--tolerance-mb", type=float, default=10.0,
                        help="largest RSS growth after warm-up still called flat")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment of the server, e.g. MALLOC_ARENA_MAX=8 to compare allocators")
    parser.add_argument("--out", type=Path, help="write the JSON report (with windows and samples) here")
    args = parser.parse_args()
    server_env = dict(kv.split("=", 1) for kv in args.server_env)
    report = soak(args.minutes, args.rate, args.window, args.workers, args.warmup, args.sample,
                  args.tolerance_mb, server_env)
    summary = {k: v for k, v in report.items() if k not in ("windows", "memory_samples")}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print(verdict_line(report), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    sys.exit(0 if report["errors"] == 0 and report["memory"]["flat"] else 1)


if __name__ == "__main__":
    main()
