"""Coverage-guided fuzz target (atheris) for the article readers: decoding, web page text, Markdown and HTML.

python fuzz/fuzz_readers.py NEW_INPUTS_DIR fuzz/seeds/readers -max_total_time=60 -artifact_prefix=/tmp/
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["ingest"]):
    from fuzz.reader_invariants import check_fuzz_input


def test_one_input(data: bytes) -> None:
    check_fuzz_input(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
