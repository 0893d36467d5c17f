"""Memory of a loaded snapshot, measured in a fresh process: `python -m bench.memprobe SNAPSHOT PROBE.json`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.memory import peak_rss_mb, rss_mb, rss_split_mb
from bench.textgen import REPO


def probe(snapshot_dir: Path, vectors_npy: Path, terms: list[list[str]]) -> dict[str, Any]:
    """RSS before loading, after loading, and after dense + keyword searches touched the indexes."""
    from bench.core import dense_search, keyword_scores
    from index.snapshots.snapshot import Snapshot

    qvecs = np.load(vectors_npy)
    before, before_split = rss_mb(), rss_split_mb()
    snap = Snapshot.load(snapshot_dir)
    loaded = rss_mb()
    for i in range(max(len(qvecs), len(terms))):
        dense_search(snap, qvecs[i % len(qvecs)], 100)
        if terms:
            keyword_scores(snap, terms[i % len(terms)])
    searched, split = rss_mb(), rss_split_mb()
    n = max(snap.size, 1)
    snap.close()
    return {
        "rss_before_mb": round(before, 1),
        "rss_loaded_mb": round(loaded, 1),
        "rss_after_queries_mb": round(searched, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "bytes_per_passage_loaded": round((searched - before) * 1024 * 1024 / n, 1),
        "anon_bytes_per_passage": round((split["anon"] - before_split["anon"]) * 1024 * 1024 / n, 1),
        "file_bytes_per_passage": round((split["file"] - before_split["file"]) * 1024 * 1024 / n, 1),
    }


def run_probe(snapshot_dir: Path, vectors_npy: Path, terms: list[list[str]], workdir: Path) -> dict[str, Any]:
    """Run `probe` in a child process so nothing of the caller counts."""
    spec = workdir / "memprobe.json"
    spec.write_text(json.dumps({"snapshot": str(snapshot_dir), "vectors": str(vectors_npy), "terms": terms},
                               ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bench.memprobe", str(spec)], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-500:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(probe(Path(spec["snapshot"]), Path(spec["vectors"]), spec["terms"])))


if __name__ == "__main__":
    main()
