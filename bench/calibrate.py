"""Calibrating derived vectors: derived passages embedded for real, a fitted noise model, and the checks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.base import cache_key
from bench.corpus import SIGMA, NoiseModel, derive_fitted, derive_paragraphs, derive_vectors, mean_part
from bench.textgen import TextPool
from ingest.embedders import Embedder
from ingest.types import passage_context

CAL_PARENTS = 120  # parents of the calibration set ...
CAL_CHILDREN = 8  # ... with this many derived children each, embedded for real (siblings are what HNSW must
#                   tell apart at 1M: about 500 children share each parent there)
FIT_SHARE = 0.7  # parents whose children fit the model; the rest only check it
LID_K = 20


@dataclass
class Calibration:
    """Derived passages embedded for real: their mix rows (parent, other, w_p, w_q) and real vectors."""

    mix: np.ndarray
    vectors: np.ndarray
    cached: bool


def calibration_set(pool: TextPool, base: list[tuple[int, ...]], parents: int = CAL_PARENTS,
                    children: int = CAL_CHILDREN, seed: int = 31) -> tuple[list[str], np.ndarray]:
    """Texts (with a section heading, as passages are embedded) and mix rows of the calibration passages."""
    rng = random.Random(seed)
    chosen = rng.sample(range(len(base)), parents)
    paragraphs, mix = derive_paragraphs(pool, base, parents * children, seed=seed,
                                        parents=[p for p in chosen for _ in range(children)])
    headings = [f"{'一二三四五六七八九'[rng.randrange(9)]}、{rng.choice(pool.headings)}" for _ in paragraphs]
    # About one passage in ten opens an article (no heading), as in group_articles.
    texts = [pool.text(p) if rng.random() < 0.1 else passage_context(h, pool.text(p))
             for p, h in zip(paragraphs, headings, strict=True)]
    return texts, mix


def ensure_calibration(pool: TextPool, base: list[tuple[int, ...]], embedder: Embedder,
                       cache_dir: Path | None) -> Calibration:
    """Embed the calibration passages for real (about 100 s at 10 passages/s), or load them from the cache."""
    texts, mix = calibration_set(pool, base)
    key = cache_key(embedder.id, *texts)
    path = cache_dir / f"calibration-{key}.npy" if cache_dir is not None else None
    if path is not None and path.exists():
        return Calibration(mix, np.load(path), cached=True)
    vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return Calibration(mix, vectors, cached=False)


def _factor(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric square root of a covariance (negative eigenvalues of an estimate clipped) and its spectrum."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    vals = np.clip(vals, 0.0, None)
    return ((vecs * np.sqrt(vals)) @ vecs.T).astype(np.float32), vals


def fit_noise(base_vecs: np.ndarray, mix: np.ndarray, real: np.ndarray) -> NoiseModel:
    """Residuals r = e·|m| − m of each real embedding e around its mix m (e rescaled to m's length, so that
    normalising m + r gives back e), split by parent into a shared and a per-passage part (one-way random
    effects: the between-parent covariance of the parent means, less what within-parent noise adds to them)."""
    mean = mean_part(base_vecs, mix).astype(np.float64)
    resid = real.astype(np.float64) * np.linalg.norm(mean, axis=1, keepdims=True) - mean
    shift = resid.mean(axis=0)
    resid -= shift
    parent = mix[:, 0].astype(np.int64)
    groups = [np.flatnonzero(parent == p) for p in np.unique(parent)]
    per_group = float(np.mean([len(g) for g in groups]))
    means = np.stack([resid[g].mean(axis=0) for g in groups])
    dev = np.concatenate([resid[g] - resid[g].mean(axis=0) for g in groups])
    within_cov = dev.T @ dev / max(len(dev) - len(groups), 1)
    between_cov = means.T @ means / max(len(groups) - 1, 1) - within_cov / per_group
    within, _ = _factor(within_cov)
    between, _ = _factor(between_cov)
    _, vals = _factor(resid.T @ resid / max(len(resid) - 1, 1))
    return NoiseModel(shift.astype(np.float32), between, within, float(np.median(np.linalg.norm(resid, axis=1))),
                      float(vals.sum() ** 2 / max(float((vals**2).sum()), 1e-30)))


def _q(values: np.ndarray) -> dict[str, float]:
    return {f"p{p}": round(float(np.percentile(values, p)), 4) for p in (10, 50, 90)}


def _lid(sims: np.ndarray, k: int = LID_K) -> np.ndarray:
    """MLE local intrinsic dimensionality from each row's k largest cosines (unit vectors: d = √(2 − 2cos))."""
    top = -np.sort(-sims, axis=1)[:, :k]
    dist = np.sqrt(np.clip(2.0 - 2.0 * top, 1e-12, None))
    ratio = np.log(dist / dist[:, -1:])[:, :-1]
    return -1.0 / np.minimum(ratio.mean(axis=1), -1e-9)


def statistics(base_vecs: np.ndarray, mix: np.ndarray, vecs: np.ndarray, qvecs: np.ndarray) -> dict[str, Any]:
    """What decides how hard exact and approximate search are, for one set of vectors of the checking
    passages: cosine to the main parent, cosine between siblings (same main parent), the nearest-neighbour
    cosine among base + checking passages, each query's top-10 cosines over the checking passages, and the
    local intrinsic dimensionality (LID, k=20) among base + checking passages."""
    parent = mix[:, 0].astype(np.int64)
    to_parent = np.einsum("ij,ij->i", vecs, base_vecs[parent])
    same = parent[:, None] == parent[None, :]
    np.fill_diagonal(same, False)
    within = vecs @ vecs.T
    siblings = within[same]
    everything = np.vstack([base_vecs, vecs])
    sims = vecs @ everything.T
    sims[np.arange(len(vecs)), len(base_vecs) + np.arange(len(vecs))] = -2.0  # not itself
    sims[np.arange(len(vecs)), parent] = -2.0  # the parent is in the set; a real corpus has no parent copy
    nn = sims.max(axis=1)
    qtop = -np.sort(-(qvecs @ vecs.T), axis=1)[:, :10]
    return {
        "cos_to_parent": _q(to_parent),
        "cos_between_siblings": _q(siblings),
        "nn_cos": _q(nn),
        "query_top10_cos": _q(qtop.ravel()),
        "query_top1_minus_top10": _q(qtop[:, 0] - qtop[:, -1]),
        "lid": _q(_lid(sims)),
    }


def same_size(base_vecs: np.ndarray, sample_mix: np.ndarray, model: NoiseModel,
              qvecs: np.ndarray) -> dict[str, Any]:
    """The real base passages as a corpus against as many derived vectors (no parents among them): the
    nearest-neighbour cosine within each set and each query's top-10 cosines over it."""
    out: dict[str, Any] = {}
    for name, vecs in (("real", base_vecs), ("isotropic", derive_vectors(base_vecs, sample_mix, seed=7)),
                       ("fitted", derive_fitted(base_vecs, sample_mix, model, seed=7))):
        sims = vecs @ vecs.T
        np.fill_diagonal(sims, -2.0)
        qtop = -np.sort(-(qvecs @ vecs.T), axis=1)[:, :10]
        out[name] = {"nn_cos": _q(sims.max(axis=1)), "query_top10_cos": _q(qtop.ravel()),
                     "query_top1_minus_top10": _q(qtop[:, 0] - qtop[:, -1])}
    return out


def calibrate(base_vecs: np.ndarray, cal: Calibration, qvecs: np.ndarray,
              sample_mix: np.ndarray | None = None) -> tuple[NoiseModel, dict[str, Any]]:
    """Check the derivations on held-out parents, and return the model fitted on every calibration passage
    (what the benchmark corpora use) with the report.

    The check fits the noise model on the children of FIT_SHARE of the parents and compares real
    embeddings of the other children with the isotropic derivation and the fitted one, on the same texts."""
    parents = list(dict.fromkeys(cal.mix[:, 0].astype(np.int64).tolist()))
    fit_parents = set(parents[: int(len(parents) * FIT_SHARE)])
    fit = np.array([int(p) in fit_parents for p in cal.mix[:, 0]])
    model = fit_noise(base_vecs, cal.mix[fit], cal.vectors[fit])
    check_mix, check_real = cal.mix[~fit], cal.vectors[~fit]
    iso = derive_vectors(base_vecs, check_mix, seed=5, sigma=SIGMA)
    fitted = derive_fitted(base_vecs, check_mix, model, seed=5)
    out: dict[str, Any] = {
        "parents": len(parents),
        "passages": len(cal.mix),
        "fit_passages": int(fit.sum()),
        "check_passages": int((~fit).sum()),
        "cached": cal.cached,
        "residual_norm_median": round(model.residual_norm, 4),
        "residual_effective_rank": round(model.effective_rank, 1),
        "isotropic_sigma": SIGMA,
        "isotropic_noise_norm": round(SIGMA * np.sqrt(base_vecs.shape[1]), 4),
        "real_vs_derived_cos": {"isotropic": _q(np.einsum("ij,ij->i", iso, check_real)),
                                "fitted": _q(np.einsum("ij,ij->i", fitted, check_real))},
        "stats": {name: statistics(base_vecs, check_mix, v, qvecs)
                  for name, v in (("real", check_real), ("isotropic", iso), ("fitted", fitted))},
    }
    final = fit_noise(base_vecs, cal.mix, cal.vectors)
    if sample_mix is not None:
        out["same_size"] = same_size(base_vecs, sample_mix, final, qvecs)
    return final, out
