"""The atheris fuzz target of the readers runs clean, and what it found stays fixed."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.reader_invariants import check_article_bytes, check_fuzz_input
from ingest.decoding import DecodeError
from ingest.readers import read_article_bytes

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "fuzz" / "fuzz_readers.py"
SEEDS = ROOT / "fuzz" / "seeds" / "readers"
CARD = "信用卡的种类\n\n一、按用途分类\n\n信用卡按用途可以分为消费卡、商务卡和联名卡。"


@pytest.mark.slow
def test_fuzz_target_finds_no_crash(tmp_path: Path) -> None:
    corpus, artifacts = tmp_path / "corpus", tmp_path / "artifacts"
    corpus.mkdir()
    artifacts.mkdir()
    # New inputs go to the first folder (tmp), never into the seeds shipped in the repository.
    run = subprocess.run(
        [sys.executable, str(TARGET), str(corpus), str(SEEDS), "-runs=50000", "-max_total_time=20",
         f"-artifact_prefix={artifacts}/", "-print_final_stats=1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    crashes = sorted(p.name for p in artifacts.iterdir())
    assert run.returncode == 0 and not crashes, f"{crashes}\n{run.stderr[-4000:]}"
    assert "stat::number_of_executed_units" in run.stderr  # it really fuzzed


# Found by the fuzz target: a byte-order mark followed by bytes that are not in its encoding escaped as a
# bare UnicodeDecodeError (a 500 over HTTP) instead of the DecodeError that names the file.
@pytest.mark.parametrize(
    ("data", "encoding", "byte"),
    [
        (codecs.BOM_UTF8 + CARD.encode()[:20] + b"\xa7" + CARD.encode()[20:], "UTF-8", 23),
        (codecs.BOM_UTF8 + b"\xff\xfe", "UTF-8", 3),
        (CARD.encode("utf-16") + b"\x00", "UTF-16", len(CARD.encode("utf-16"))),
        (codecs.BOM_UTF16_LE + b"\x00\xd8a\x00", "UTF-16", 2),
    ],
    ids=["utf8-bom-bad-byte", "utf8-bom-then-utf16-bom", "utf16-odd-length", "utf16-lone-surrogate"],
)
def test_text_not_matching_its_byte_order_mark_is_a_decode_error(data: bytes, encoding: str, byte: int) -> None:
    with pytest.raises(DecodeError) as caught:
        read_article_bytes(data, name="bom.txt", doc_id="bom")
    message = str(caught.value)
    assert "bom.txt" in message and f"{encoding} byte-order mark" in message and f"byte {byte}:" in message
    assert check_article_bytes(data, name="bom.txt") is None


@pytest.mark.parametrize("seed", sorted(SEEDS.iterdir()), ids=lambda p: p.name)
def test_every_seed_is_read_and_keeps_the_invariants(seed: Path) -> None:
    article = check_fuzz_input(seed.read_bytes())
    assert article is not None and article.sections and article.title


# Found by the fuzz target: an unknown marked section ("<![doctype html>") made Python's html.parser raise
# AssertionError, a crash instead of an article or a refusal.
@pytest.mark.parametrize("page", [
    "<![doctype html><html><head><title>卡</title></head><body><h1>信用卡</h1><p>联名卡可以积分。</p></body></html>",
    "<html><body><h1>信用卡</h1><![ 坏的声明 <p>联名卡可以积分。</p></body></html>",
    "<html><body><h1>信用卡</h1><![cdata-x 坏的声明]> <p>联名卡可以积分。</p></body></html>",  # the fallback
    "<html><body><h1>信用卡</h1><p>联名卡可以积分。</p><![CDATA[x]]></body></html>",
])
def test_malformed_marked_sections_are_read_as_text(page: str) -> None:
    article = check_article_bytes(page.encode("utf-8"), name="page.html")
    assert article is not None and "联名卡可以积分" in article.text
