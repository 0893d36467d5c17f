"""How similar an index's passages are to questions about nothing it covers: the baseline a match must beat."""

from __future__ import annotations

import threading

import numpy as np

from index.backend import SearchIndex
from ingest.embedders import Embedder

# Everyday questions from many fields, none about finance or careers. Their best cosine against an index
# is what a query that the articles don't cover scores there; the model's and the corpus' own scale.
# (Kept apart from eval/offtopic.jsonl, which measures the result.)
PROBES: tuple[str, ...] = (
    "今天的天气预报怎么样?", "周末去哪里爬山比较好?", "番茄炒蛋先放什么?", "篮球比赛一节有多少分钟?",
    "怎么给自行车补胎?", "熊猫主要吃什么?", "感冒了要多喝水吗?", "钢琴初学者每天练多久?",
    "宇宙中有多少颗星星?", "孩子晚上不睡觉怎么办?", "如何清洗羽绒服?", "火车站几点开门?",
    "世界上最高的山是哪座?", "怎样养好一盆绿萝?", "电影院的爆米花为什么贵?", "唐朝的首都在哪里?",
    "手机屏幕碎了怎么修?", "跑马拉松前要吃什么?", "What time does the museum open?",
    "How do I cook rice without a rice cooker?",
)

_lock = threading.Lock()
_vectors: dict[str, np.ndarray] = {}  # embedder id → probe query vectors (the same for every index)


def probe_vectors(embedder: Embedder) -> np.ndarray:
    """The probes' query vectors, embedded once per process and embedder."""
    with _lock:
        vecs = _vectors.get(embedder.id)
    if vecs is None:
        vecs = np.stack([embedder.embed_query(q) for q in PROBES]).astype(np.float32)
        with _lock:
            _vectors[embedder.id] = vecs
    return vecs


def background_similarity(index: SearchIndex, embedder: Embedder) -> float:
    """The median best dense score of the probes against the index (0.0 for an empty index)."""
    if index.size == 0:
        return 0.0
    tops = []
    for vec in probe_vectors(embedder):
        found = index.search_dense(vec, 1)
        if len(found):
            tops.append(float(found.dense.max()))
    return float(np.median(tops)) if tops else 0.0
