"""Process memory (RSS, peak RSS) and the machine's memory bandwidth measured with a numpy copy."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import numpy as np


def _status_mb(field: str, pid: int | None = None) -> float | None:
    path = Path(f"/proc/{pid or os.getpid()}/status")
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of a process (this one by default), MiB, from /proc."""
    return _status_mb("VmRSS", pid) or 0.0


def rss_split_mb(pid: int | None = None) -> dict[str, float]:
    """RSS split into anonymous memory (the process' own) and file pages (memory-mapped index files: page
    cache, shared by every process that maps the same snapshot)."""
    return {"anon": round(_status_mb("RssAnon", pid) or 0.0, 1), "file": round(_status_mb("RssFile", pid) or 0.0, 1)}


def peak_rss_mb() -> float:
    """Peak resident set size of this program, MiB: VmHWM (getrusage's ru_maxrss would also count the
    parent's memory at fork time, which Linux carries across exec)."""
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def memory_bandwidth_gbs(megabytes: int = 512, repeats: int = 5) -> dict[str, float]:
    """Copy bandwidth of a large numpy array: bytes read + bytes written per second (GB/s, best and median)."""
    src = np.ones(megabytes * 1024 * 1024 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in first
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        rates.append(2 * src.nbytes / (time.perf_counter() - start) / 1e9)
    return {"best": round(max(rates), 2), "median": round(float(np.median(rates)), 2), "buffer_mb": megabytes}
