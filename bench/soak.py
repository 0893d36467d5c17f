"""Soak benchmark: mixed /search and /ask at a fixed rate against real uvicorn; errors, latency and memory over time."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "信用卡一般分为哪几类?", "银行产品经理需要了解哪些银行业务?", "领导力包括哪些方面?", "产品经理如何释放压力?",
    "怎样提升客户的使用体验?", "信用卡产品为什么受到严格监管?", "上海到杭州的高铁要多久?", "风险管理能力",
    "How can a credit card product manager keep learning?", "数据分析", "市场营销能力包括什么?", "联名卡",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def soak(minutes: float, rate: float, window_s: float, workers: int) -> dict[str, object]:
    """Run the soak and return per-window figures plus totals."""
    work = Path(tempfile.mkdtemp(prefix="articleqa-soak-"))
    env = {**os.environ, "ARTICLEQA_DATA_DIR": str(work / "data")}
    exe = [sys.executable, "-m", "service.cli"]
    subprocess.run([*exe, "ingest", str(ROOT / "corpus")], check=True, env=env, cwd=ROOT, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([*exe, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
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

        windows = []
        start = time.monotonic()
        end = start + minutes * 60
        next_window = start + window_s
        sent = 0
        with ThreadPoolExecutor(workers) as pool:
            while (now := time.monotonic()) < end:
                due = start + sent / rate
                if now < due:
                    time.sleep(min(due - now, 0.05))
                    continue
                pool.submit(one, rng.choice(QUESTIONS), rng.random() < 0.3)
                sent += 1
                if now >= next_window:
                    with lock:
                        recent = [s for s in samples if s[0] >= next_window - window_s]
                    lat = [ms for _, ms, _ in recent]
                    windows.append({"t_s": round(now - start), "requests": len(recent),
                                    "errors": sum(1 for *_, ok in recent if not ok),
                                    "p50_ms": round(_pct(lat, 0.5), 1), "p99_ms": round(_pct(lat, 0.99), 1),
                                    "rss_mb": round(_rss_mb(server.pid), 1)})
                    print(json.dumps(windows[-1]), flush=True)
                    next_window += window_s
        lat = [ms for _, ms, _ in samples]
        rss = [w["rss_mb"] for w in windows]
        return {
            "minutes": minutes, "rate_per_s": rate, "requests": len(samples),
            "errors": sum(1 for *_, ok in samples if not ok),
            "p50_ms": round(statistics.median(lat), 1) if lat else 0.0, "p99_ms": round(_pct(lat, 0.99), 1),
            "rss_first_window_mb": rss[0] if rss else 0.0, "rss_last_window_mb": rss[-1] if rss else 0.0,
            "windows": windows,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per reported window")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    args = parser.parse_args()
    report = soak(args.minutes, args.rate, args.window, args.workers)
    text = json.dumps({k: v for k, v in report.items() if k != "windows"}, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
