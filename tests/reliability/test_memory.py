"""Resident memory: the service caps glibc's malloc arenas, and the soak's memory verdict reads RSS right."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.soak import MemorySample, memory_verdict, verdict_line
from service.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]

# Twelve threads alive at once, each allocating through glibc malloc (bytearrays over 512 bytes bypass
# pymalloc), like request threads of the server; then glibc's own report counts the arenas in use.
_PROBE = textwrap.dedent("""
    import ctypes, sys, threading
    from pathlib import Path
    if sys.argv[1] == "app":
        from service.app import create_app
        from tests.helpers.live_server import make_settings
        create_app(make_settings(Path(sys.argv[2])))
    barrier = threading.Barrier(12)
    def work():
        kept = [bytearray(64 * 1024) for _ in range(8)]
        barrier.wait()
        del kept
    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = ctypes.CDLL("libc.so.6")
    libc.open_memstream.restype = ctypes.c_void_p
    libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(ctypes.string_at(buf, size.value).decode().count("<heap nr="))
""")


def _arenas(mode: str, tmp_path: Path, **env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    run = subprocess.run([sys.executable, "-c", _PROBE, mode, str(tmp_path / "data")], cwd=ROOT,
                         env={**clean, **env}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return int(run.stdout.split()[-1])


def test_service_caps_malloc_arenas_unless_the_operator_chose(tmp_path: Path) -> None:
    # Without the cap each of the twelve threads gets an arena of its own, and its freed memory stays resident.
    assert _arenas("plain", tmp_path) > 4
    assert _arenas("app", tmp_path) <= 2
    assert 2 < _arenas("app", tmp_path, MALLOC_ARENA_MAX="4") <= 4


def _samples(rss: list[float], every_s: float = 10.0) -> list[MemorySample]:
    return [MemorySample(i * every_s, r, 8) for i, r in enumerate(rss)]


def test_growth_during_warm_up_is_not_held_against_the_run() -> None:
    mem = memory_verdict(_samples([170, 220, 231, 232, 231, 233, 232]), warmup_s=20, tolerance_mb=5)
    assert mem["rss_start_mb"] == 170 and mem["rss_after_warmup_mb"] == 231 and mem["rss_end_mb"] == 232
    assert mem["warmup_growth_mb"] == 61 and mem["growth_after_warmup_mb"] == 1
    assert mem["flat"] is True


def test_steady_growth_after_warm_up_is_growing() -> None:
    mem = memory_verdict(_samples([170, 230, 236, 242, 248, 254, 260]), warmup_s=10, tolerance_mb=10)
    assert mem["growth_after_warmup_mb"] == 30 and mem["flat"] is False
    assert mem["second_half_slope_mb_per_min"] == pytest.approx(36.0)


def test_a_peak_that_falls_back_still_counts() -> None:
    mem = memory_verdict(_samples([170, 230, 290, 231]), warmup_s=10, tolerance_mb=10)
    assert mem["rss_peak_after_warmup_mb"] == 290 and mem["flat"] is False


def test_verdict_line_names_errors_and_memory() -> None:
    mem = memory_verdict(_samples([170, 230, 231]), warmup_s=10, tolerance_mb=10)
    report = {"errors": 0, "requests": 6000, "warmup_s": 10.0, "memory": mem,
              "load_average_start": 1.5, "load_average_end": 2.0}
    assert verdict_line(report).startswith("verdict: PASS: 0 errors in 6000 requests; RSS 170 MB at start, 230 MB")
    assert "flat" in verdict_line(report)
    failed = verdict_line({**report, "errors": 3})
    assert failed.startswith("verdict: FAIL: 3 errors")


def test_metrics_expose_the_resident_memory_operators_watch() -> None:
    lines = Metrics().render().decode().splitlines()
    rss = float(next(line for line in lines if line.startswith("process_resident_memory_bytes ")).split()[1])
    status = Path("/proc/self/status").read_text().splitlines()
    own = int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) * 1024
    assert 0.5 * own < rss < 2 * own  # this process' RSS, as the soak and /proc see it
