"""`python -m bench.quick --json` runs end to end at a tiny size and prints every figure (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.quick import KEYS, main


@pytest.mark.slow
def test_quick_benchmark_reports_positive_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--json", "--passages", "300", "--workdir", str(tmp_path)])  # what `python -m bench.quick --json` runs
    result = json.loads(capsys.readouterr().out)
    assert set(result) == set(KEYS)
    assert result["passages"] == 300
    for key in KEYS:
        assert isinstance(result[key], int | float), key
        assert result[key] > 0, key
