"""The BM25 formula both backends score with (Lucene's IDF, as bm25s computes it)."""

from __future__ import annotations

import numpy as np


def lucene_idf(n: int, df: int) -> float:
    """BM25 IDF as bm25s computes it for method="lucene" (0 for terms no passage contains)."""
    return float(np.log(1 + (n - df + 0.5) / (df + 0.5))) if df > 0 else 0.0
