"""What the offline quality benchmarks share: an engine over a built data folder, and nDCG@10 of documents."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from index.engine import Engine
from index.searcher import Searcher
from service.settings import Settings
from service.wiring import build_engine


def engine_for(data_dir: str) -> Engine:
    """The engine the service would run over `data_dir` (settings from the environment, this folder)."""
    return build_engine(Settings().model_copy(update={"data_dir": Path(data_dir).expanduser()}))


def ndcg_at_10(searcher: Searcher, rows: np.ndarray, rel: dict[str, int]) -> float:
    """nDCG@10 of the documents in the order of their best passage among `rows`."""
    docs: list[str] = []
    for d in searcher.index.docs_of_rows(rows):
        if d not in docs:
            docs.append(d)
        if len(docs) == 10:
            break
    ideal = sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(sorted(rel.values(), reverse=True)[:10]))
    dcg = sum((2 ** rel.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(docs))
    return dcg / ideal if ideal else 0.0
