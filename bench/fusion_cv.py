"""Choosing the fusion by cross-validation over several sets, so the gain we report is a held-out one:

    python -m bench.fusion_cv --questions /tmp/seed:../shared/eval/dev_questions.jsonl \
        --questions /tmp/seed:eval/paraphrases.jsonl --beir INDEXED_DIR:../shared/eval/cmrc2018_dev_trial

Each set is split into `--folds` folds. For every held-out fold, the fusion (method × keyword weight)
with the best mean over all *other* folds of all sets (each set weighing the same) is chosen, then
scored on the held-out fold beside dense-only and BM25-only. Question sets score MRR@10 of the first
passage holding an answer span; BEIR sets nDCG@10 of documents ranked by their best passage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality_sets import engine_for, ndcg_at_10
from index.beir import load_beir
from index.evaluation import load_questions
from index.fusion import FusionParams
from index.searcher import Searcher, SearchParams
from index.text_match import squash

WEIGHTS = (0.2, 0.3, 0.35, 0.4, 0.44, 0.5, 0.6)
METHODS = ("zscore", "rrf", "minmax")


def configs(base: SearchParams) -> dict[str, SearchParams]:
    out = {"dense": replace(base, mode="dense"), "bm25": replace(base, mode="keyword")}
    for m in METHODS:
        for w in WEIGHTS:
            out[f"{m}@{w}"] = replace(base, mode="hybrid", fusion=FusionParams(method=m, keyword_weight=w, adapt=0.0))
    for w in (0.3, 0.35, 0.4, 0.44):
        for a in (0.1, 0.2):
            out[f"zscore@{w}+{a}"] = replace(base, mode="hybrid",
                                             fusion=FusionParams(method="zscore", keyword_weight=w, adapt=a))
    return out


def _fold(key: str, folds: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % folds


def question_scores(searcher: Searcher, path: Path, cfgs: dict[str, SearchParams], folds: int
                    ) -> tuple[list[int], dict[str, list[float]]]:
    """Per answerable question: its fold and its reciprocal rank (top 10) under each configuration."""
    qs = [q for q in load_questions(path) if not q.ood]
    fold_of = [_fold(q.id, folds) for q in qs]
    scores: dict[str, list[float]] = {name: [] for name in cfgs}
    for q in qs:
        wanted = [squash(a) for a in q.answers]
        for name, p in cfgs.items():
            res = searcher.search(q.q, top_k=10, params=p)
            rank = next((i for i, h in enumerate(res.hits, 1) if any(w in squash(h.text) for w in wanted)), 0)
            scores[name].append(1.0 / rank if rank else 0.0)
    return fold_of, scores


def beir_scores(searcher: Searcher, folder: Path, cfgs: dict[str, SearchParams], folds: int,
                limit: int = 0) -> tuple[list[int], dict[str, list[float]]]:
    """Per query with judgements (the first `limit` in id-hash order, when given): its fold and its
    nDCG@10 under each configuration."""
    _, queries, qrels = load_beir(folder)
    ids = sorted((q for q in qrels if q in queries), key=lambda q: hashlib.sha256(q.encode()).hexdigest())
    ids = ids[:limit] if limit else ids
    fold_of = [_fold(q, folds) for q in ids]
    scores: dict[str, list[float]] = {name: [] for name in cfgs}
    for qid in ids:
        rel = qrels[qid]
        for name, p in cfgs.items():
            scores[name].append(ndcg_at_10(searcher, searcher.rank(queries[qid], 100, params=p).rows, rel))
    return fold_of, scores


def cross_validate(sets: dict[str, tuple[list[int], dict[str, list[float]]]], folds: int) -> dict[str, Any]:
    """Leave one fold out: choose the fusion on the rest (sets weigh the same), score it on the fold."""
    rows: list[dict[str, Any]] = []
    fusions = [n for n in next(iter(sets.values()))[1] if n not in ("dense", "bm25")]
    for held_set, (fold_of, _) in sets.items():
        for f in range(folds):
            def train_mean(name: str, held_set: str = held_set, f: int = f) -> float:
                means = []
                for s, (fo, sc) in sets.items():
                    vals = [v for v, k in zip(sc[name], fo, strict=True) if not (s == held_set and k == f)]
                    means.append(float(np.mean(vals)) if vals else 0.0)
                return float(np.mean(means))
            chosen = max(fusions, key=train_mean)
            sc = sets[held_set][1]
            pick = [i for i, k in enumerate(fold_of) if k == f]
            if not pick:
                continue
            mean = {n: float(np.mean([sc[n][i] for i in pick])) for n in (chosen, "dense", "bm25")}
            best_single = max(mean["dense"], mean["bm25"])
            rows.append({"set": held_set, "fold": f, "n": len(pick), "chosen": chosen,
                         "hybrid": round(mean[chosen], 4), "dense": round(mean["dense"], 4),
                         "bm25": round(mean["bm25"], 4), "gain": round(mean[chosen] - best_single, 4)})
    summary = {}
    for s in sets:
        gains = [r["gain"] for r in rows if r["set"] == s]
        summary[s] = {"mean_gain": round(float(np.mean(gains)), 4), "min_gain": round(min(gains), 4),
                      "max_gain": round(max(gains), 4), "sd_gain": round(float(np.std(gains)), 4)}
    overall = {n: round(float(np.mean([np.mean(sc[n]) for _, sc in sets.values()])), 4) for n in fusions}
    return {"folds": rows, "per_set": summary, "all_data_best": max(overall, key=lambda n: overall[n]),
            "all_data_means": overall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", action="append", default=[], help="DATA_DIR:QUESTION_FILE")
    ap.add_argument("--beir", action="append", default=[], help="INDEXED_DATA_DIR:BEIR_FOLDER")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--beir-limit", type=int, default=600, help="queries per BEIR set (0: all)")
    ap.add_argument("--scores", type=Path, default=None, help="folder keeping each set's per-query scores")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    sets: dict[str, tuple[list[int], dict[str, list[float]]]] = {}
    for spec, kind in [(s, "q") for s in args.questions] + [(s, "b") for s in args.beir]:
        data_dir, path = spec.split(":", 1)
        saved = args.scores / f"{Path(path).stem}-{args.folds}.json" if args.scores else None
        if saved is not None and saved.exists():
            fold_of, scores = json.loads(saved.read_text(encoding="utf-8"))
            sets[Path(path).stem] = (fold_of, scores)
            continue
        engine = engine_for(data_dir)
        searcher = engine.searcher()
        cfgs = configs(engine.search_params)
        if kind == "q":
            sets[Path(path).stem] = question_scores(searcher, Path(path).expanduser(), cfgs, args.folds)
        else:
            sets[Path(path).stem] = beir_scores(searcher, Path(path).expanduser(), cfgs, args.folds, args.beir_limit)
        engine.close()
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(json.dumps(sets[Path(path).stem]), encoding="utf-8")
        print(f"scored {Path(path).stem}", flush=True)
    out = cross_validate(sets, args.folds)
    for r in out["folds"]:
        print(f"{r['set']:>22} fold {r['fold']} (n={r['n']:>3}): {r['chosen']:>12} {r['hybrid']:.4f}  "
              f"dense {r['dense']:.4f}  bm25 {r['bm25']:.4f}  gain {r['gain']:+.4f}")
    for s, v in out["per_set"].items():
        print(f"{s:>22}: held-out gain over the better single retriever {v['mean_gain']:+.4f} "
              f"(folds {v['min_gain']:+.4f} … {v['max_gain']:+.4f}, sd {v['sd_gain']:.4f})")
    print("best on all data:", out["all_data_best"])
    if args.out:
        args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
