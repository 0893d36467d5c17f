"""Scale corpora: really embedded base paragraphs plus recombined paragraphs with derived vectors."""

from __future__ import annotations

import random
from dataclasses import dataclass

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
    the characters."""

    pool: TextPool
    paragraphs: list[tuple[int, ...]]
    vectors: np.ndarray
    articles: list[ArticleSpec]
    real: int

    def __len__(self) -> int:
        return len(self.paragraphs)

    def texts(self) -> list[str]:
        return [self.pool.text(p) for p in self.paragraphs]


def derive_paragraphs(pool: TextPool, base: list[tuple[int, ...]], n: int,
                      seed: int = 13) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """n recombined paragraphs (sentence ids) and per paragraph (parent, other, w_parent, w_other)."""
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


def build_corpus(pool: TextPool, base: list[tuple[int, ...]], base_vecs: np.ndarray, n: int,
                 seed: int = 13) -> Corpus:
    """n passages: the base paragraphs first (as many as fit), then derived ones; grouped into articles."""
    real = min(n, len(base))
    paragraphs = list(base[:real])
    vectors = np.empty((n, base_vecs.shape[1]), dtype=np.float32)
    vectors[:real] = base_vecs[:real]
    if n > real:
        derived, mix = derive_paragraphs(pool, base, n - real, seed=seed)
        paragraphs.extend(derived)
        vectors[real:] = derive_vectors(base_vecs, mix, seed=seed + 4)
    return Corpus(pool, paragraphs, vectors, group_articles(n, pool, seed=seed), real)
