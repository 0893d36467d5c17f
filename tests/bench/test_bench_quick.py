"""The quick benchmark runs end to end at a tiny size and reports every figure (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.quick import KEYS, run_quick


@pytest.mark.slow
def test_quick_benchmark_reports_positive_figures(tmp_path: Path) -> None:
    result = run_quick(tmp_path, passages=300)
    assert set(result) == set(KEYS)
    assert result["passages"] == 300
    for key in KEYS:
        assert isinstance(result[key], int | float), key
        assert result[key] > 0, key
