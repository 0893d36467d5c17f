"""The targets table: each ratio is computed from the right figures and judged against its bound."""

from __future__ import annotations

from typing import Any

from bench.targets import check


def _summary(median: float, p99: float | None = None, n: int = 100) -> dict[str, float]:
    return {"median": median, "p99": p99 if p99 is not None else median, "mean": median, "n": n}


def _report(whole_p50: float, http_p50: float, add_ms: float, recall: float) -> dict[str, Any]:
    ann = {"hnsw": {"kind": "ivf", "nlist": 1024, "nprobe": 128}, "candidates": 100, "recall_at_10": recall,
           "recall_at_10_within_candidates": recall, "cold_search_hnsw": _summary(20.0, 40.0),
           "hybrid_with_hnsw_ms": {"search_rest": _summary(8.0)}}
    mid = {
        "size": 100_000,
        "latency_ms": {"query_embedding": _summary(10.0), "cold_search": _summary(whole_p50, 4 * whole_p50)},
        "ann": ann,
        "http": {"levels": [{"clients": 1, "latency_ms": _summary(http_p50)}, {"clients": 4,
                                                                                "latency_ms": _summary(999.0)}]},
        "updates": {"index_passages": 100_000, "add_one_ms": _summary(add_ms),
                    "add_one_without_embed_ms": _summary(add_ms / 10), "rebuild_ms": _summary(10_000.0)},
        "build": {"end_to_end_passages_per_s": 400.0},
        "memory": {"probe": {"anon_bytes_per_passage": 1000.0, "file_bytes_per_passage": 2000.0}},
    }
    small = {"size": 10_000, "ann": {**ann, "cold_search_hnsw": _summary(10.0),
                                     "hybrid_with_hnsw_ms": {"search_rest": _summary(4.0)}}}
    large = {"size": 1_000_000, "ann": {**ann, "cold_search_hnsw": _summary(35.0),
                                        "hybrid_with_hnsw_ms": {"search_rest": _summary(16.0)}}}
    return {"sizes": [small, mid, large], "base": {"embed_passages_per_s": 10.0, "ingest": {}}}


def _by_figure(report: dict[str, Any]) -> dict[str, Any]:
    return {t.figure: t for t in check(report)}


def test_each_target_is_judged_from_its_figures() -> None:
    got = _by_figure(_report(whole_p50=18.0, http_p50=20.0, add_ms=400.0, recall=0.97))
    flat = got["100k, exact (flat): whole in-process hybrid search p50 / query embedding p50"]
    assert flat.met is True and flat.measured.startswith("1.80×")
    assert got["100k, exact (flat): whole search p99 / p50 (100 distinct queries)"].met is False  # p99 = 4 × p50
    http = next(t for f, t in got.items() if f.startswith("100k, exact (flat): HTTP"))
    assert http.met is True and http.measured.startswith("+11 %")
    store = [t for f, t in got.items() if "from the store" in f]
    assert [t.met for t in store] == [True, True] and store[0].measured.startswith("4.0 %")
    corpus = [t for f, t in got.items() if "from the corpus" in f]
    # 100k / 10 per s + 100k / 400 per s = 10 250 s: adding one article is a tiny share of it.
    assert all(t.met for t in corpus) and "10250 s" in corpus[0].measured
    growth = got["IVF path: whole search p50 at 1M / at 10k"]
    assert growth.met is False and growth.measured.startswith("3.50×")
    assert got["IVF path: search without the query embedding p50 at 1M / at 10k"].met is False  # 16 / 4
    recall = [t for f, t in got.items() if "recall@10" in f]
    assert len(recall) == 2 and all(t.met for t in recall)
    memory = [t for f, t in got.items() if "resident memory" in f]
    assert memory and memory[0].met is None and "95 MiB own + 191 MiB mapped" in memory[0].measured


def test_missed_targets_are_reported_as_missed() -> None:
    got = _by_figure(_report(whole_p50=25.0, http_p50=40.0, add_ms=900.0, recall=0.90))
    assert got["100k, exact (flat): whole in-process hybrid search p50 / query embedding p50"].met is False
    assert next(t for f, t in got.items() if f.startswith("100k, exact (flat): HTTP")).met is False
    assert [t.met for f, t in got.items() if "from the store" in f] == [False, True]
    assert not any(t.met for f, t in got.items() if "recall@10" in f)


def test_http_overhead_comes_from_the_paired_queries_when_measured() -> None:
    report = _report(whole_p50=18.0, http_p50=40.0, add_ms=400.0, recall=0.97)
    report["sizes"][1]["http"]["paired"] = {"pairs": 100, "in_process_ms": _summary(30.0),
                                            "http_ms": _summary(33.0), "server_took_ms": _summary(29.0),
                                            "http_minus_server_ms": _summary(4.0)}
    http = [t for f, t in _by_figure(report).items() if "HTTP" in f]
    assert len(http) == 1 and "100 queries, each in-process then over HTTP" in http[0].figure
    assert http[0].met is True and http[0].measured.startswith("+10 %")  # 33 / 30, not 40 / 18
