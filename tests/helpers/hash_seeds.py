"""Running a snippet under several hash seeds: what a set's iteration order may change shows up here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def outputs_across_hash_seeds(code: str, seeds: Iterable[int] = range(12)) -> set[str]:
    """The distinct stdout of `code` run in a fresh interpreter under each PYTHONHASHSEED."""
    outputs = set()
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=60, check=True)
        outputs.add(done.stdout)
    return outputs
