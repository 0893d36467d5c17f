"""Scale corpora: really embedded base paragraphs plus recombined paragraphs with derived vectors."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.textgen import MAX_CHARS, MIN_CHARS, ArticleSpec, TextPool, group_articles, usable

SIGMA = 0.018  # per-dimension noise of a derived vector (384 dims: noise norm ~0.35 before renormalising)
POOL_SENTENCE_SHARE = 0.3  # derived paragraphs that also take one sentence no base paragraph has


@dataclass
class Corpus:
    """n passages (sentence ids into the pool), their vectors, and the articles they are grouped into.

    Passages 0..len(base)-1 are the base paragraphs with their real vectors; the rest are derived:
    a run of sentences of a parent base paragraph and a run of another one (sometimes plus a sentence
    from the wider pool), with vector normalise(w_p·v_p + w_q·v_q + noise), w = each side's share of
    the characters; the noise is fitted on real embeddings of derived passages (NoiseModel) or, without a
    model, isotropic."""

    pool: TextPool
    paragraphs: list[tuple[int, ...]]
    vectors: np.ndarray
    articles: list[ArticleSpec]
    real: int

    def __len__(self) -> int:
        return len(self.paragraphs)

    def texts(self) -> list[str]:
        return [self.pool.text(p) for p in self.paragraphs]


def derive_paragraphs(pool: TextPool, base: list[tuple[int, ...]], n: int, seed: int = 13,
                      parents: Sequence[int] | None = None) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """n recombined paragraphs (sentence ids) and per paragraph (parent, other, w_parent, w_other).

    With `parents`, paragraph k takes its main run from base paragraph parents[k] (calibration sets
    need several siblings of one parent)."""
    rng = random.Random(seed)
    lengths = [len(s) for s in pool.sentences]
    short_pool = [i for i, n_chars in enumerate(lengths) if 8 <= n_chars <= 60]
    out: list[tuple[int, ...]] = []
    mix = np.zeros((n, 4), dtype=np.float64)
    nb = len(base)
    seen: set[tuple[int, ...]] = set(base)  # every passage text distinct (vectors are looked up by text)
    for k in range(n):
        for _ in range(200):
            p, q = rng.randrange(nb), rng.randrange(nb)
            if parents is not None:
                p = parents[k]
            if p == q:
                continue
            run_p, run_q = _run(rng, base[p]), _run(rng, base[q])
            extra = (rng.choice(short_pool),) if short_pool and rng.random() < POOL_SENTENCE_SHARE else ()
            ce = sum(lengths[i] for i in extra)
            while _chars(lengths, run_p) + _chars(lengths, run_q) + ce > MAX_CHARS and len(run_q) > 1:
                run_q = run_q[:-1]
            while _chars(lengths, run_p) + _chars(lengths, run_q) + ce > MAX_CHARS and len(run_p) > 1:
                run_p = run_p[1:]
            cp, cq = _chars(lengths, run_p), _chars(lengths, run_q)
            if not MIN_CHARS <= cp + cq + ce <= MAX_CHARS:
                continue
            ids = run_p + extra + run_q if rng.random() < 0.5 else run_q + extra + run_p
            if ids in seen or not usable(pool.text(ids)):
                continue
            seen.add(ids)
            out.append(ids)
            mix[k] = (p, q, cp / (cp + cq + ce), cq / (cp + cq + ce))
            break
        else:
            raise RuntimeError(f"could not derive a new distinct paragraph after {k} (base too small?)")
    return out, mix


def _chars(lengths: list[int], ids: tuple[int, ...]) -> int:
    return sum(lengths[i] for i in ids)


def _run(rng: random.Random, ids: tuple[int, ...]) -> tuple[int, ...]:
    """A random run of consecutive sentences (at least half of them, so the parent dominates)."""
    length = rng.randint(max(1, len(ids) // 2), len(ids))
    start = rng.randint(0, len(ids) - length)
    return ids[start : start + length]


def derive_vectors(base_vecs: np.ndarray, mix: np.ndarray, seed: int = 17, sigma: float = SIGMA,
                   chunk: int = 65536) -> np.ndarray:
    """normalise(w_p·v_p + w_q·v_q + sigma·N(0, 1)) per row of `mix`, in chunks to bound memory."""
    rng = np.random.default_rng(seed)
    n, dim = len(mix), base_vecs.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for lo in range(0, n, chunk):
        m = mix[lo : lo + chunk]
        p, q = m[:, 0].astype(np.int64), m[:, 1].astype(np.int64)
        v = base_vecs[p] * m[:, 2:3].astype(np.float32) + base_vecs[q] * m[:, 3:4].astype(np.float32)
        v += rng.standard_normal(v.shape, dtype=np.float32) * np.float32(sigma)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        out[lo : lo + len(m)] = v
    return out


@dataclass
class NoiseModel:
    """normalise(w_p·v_p + w_q·v_q + shift + r_p + r) around the char-weighted mix of the parents' vectors:
    r_p ~ N(0, B·Bᵀ) is drawn once per parent (what its children share beyond the parent's vector: they
    repeat its sentences), r ~ N(0, W·Wᵀ) per passage. Both covariances are fitted on real embeddings."""

    shift: np.ndarray  # mean residual (dim): a systematic pull, e.g. towards what all passages share
    between: np.ndarray  # dim × dim factor B of the per-parent part
    within: np.ndarray  # dim × dim factor W of the per-passage part
    residual_norm: float  # median |residual| of the fitting set
    effective_rank: float  # (Σλ)² / Σλ² of the residual covariance (384 for isotropic noise)


def mean_part(base_vecs: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """w_p·v_p + w_q·v_q per row of `mix` (parent, other, w_parent, w_other)."""
    p, q = mix[:, 0].astype(np.int64), mix[:, 1].astype(np.int64)
    return base_vecs[p] * mix[:, 2:3].astype(np.float32) + base_vecs[q] * mix[:, 3:4].astype(np.float32)



def derive_fitted(base_vecs: np.ndarray, mix: np.ndarray, model: NoiseModel, seed: int = 17,
                  chunk: int = 65536) -> np.ndarray:
    """normalise(w_p·v_p + w_q·v_q + shift + r_p + r) per row of `mix`, in chunks to bound memory; the
    per-parent parts r_p are drawn once for every base passage, so they depend on the seed only."""
    rng = np.random.default_rng(seed)
    n, dim = len(mix), base_vecs.shape[1]
    shared = model.shift + rng.standard_normal((len(base_vecs), dim), dtype=np.float32) @ model.between
    out = np.empty((n, dim), dtype=np.float32)
    for lo in range(0, n, chunk):
        m = mix[lo : lo + chunk]
        v = mean_part(base_vecs, m) + shared[m[:, 0].astype(np.int64)]
        v += rng.standard_normal(v.shape, dtype=np.float32) @ model.within
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        out[lo : lo + len(v)] = v
    return out


def save_model(model: NoiseModel, path: Path) -> None:
    np.save(path, np.vstack([model.shift, model.between, model.within]))
    path.with_suffix(".json").write_text(json.dumps({"residual_norm": model.residual_norm,
                                                     "effective_rank": model.effective_rank}), encoding="utf-8")


def load_model(path: Path) -> NoiseModel:
    info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    rows = np.load(path)
    dim = rows.shape[1]
    return NoiseModel(rows[0], rows[1 : 1 + dim], rows[1 + dim :], float(info["residual_norm"]),
                      float(info["effective_rank"]))


def build_corpus(pool: TextPool, base: list[tuple[int, ...]], base_vecs: np.ndarray, n: int,
                 seed: int = 13, noise: NoiseModel | None = None) -> Corpus:
    """n passages: the base paragraphs first (as many as fit), then derived ones; grouped into articles.

    Derived vectors come from the fitted model when one is given (bench.calibrate), else from the
    isotropic derivation (SIGMA)."""
    real = min(n, len(base))
    paragraphs = list(base[:real])
    vectors = np.empty((n, base_vecs.shape[1]), dtype=np.float32)
    vectors[:real] = base_vecs[:real]
    if n > real:
        derived, mix = derive_paragraphs(pool, base, n - real, seed=seed)
        paragraphs.extend(derived)
        vectors[real:] = (derive_fitted(base_vecs, mix, noise, seed=seed + 4) if noise is not None
                          else derive_vectors(base_vecs, mix, seed=seed + 4))
    return Corpus(pool, paragraphs, vectors, group_articles(n, pool, seed=seed), real)
