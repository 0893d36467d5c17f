"""Passage counts of character bigrams: exactly what `bigrams` finds in each text, counted once per text."""

from __future__ import annotations

import pytest

import index.bigram_frequency as module
from index.bigram_frequency import BigramFrequency
from index.text_match import bigrams

TEXTS = ["信用卡产品经理需要了解市场。", "产品经理，需要 沟通！", "一", "，。", "", "Ａb c 信用", "信用信用信用"]


@pytest.mark.parametrize("chunk", [4096, 2, 1])
def test_counts_equal_a_count_of_bigrams_per_text(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(module, "_CHUNK", chunk)  # texts counted across several chunks sum the same
    frequency = BigramFrequency.count(TEXTS)
    expected: dict[str, int] = {}
    for text in TEXTS:
        for gram in bigrams(text):
            expected[gram] = expected.get(gram, 0) + 1
    assert frequency.passages == len(TEXTS)
    assert {g: frequency.frequency(g) for g in expected} == expected
    assert len(frequency.codes) == len(expected)
    assert frequency.frequency("信用") == 3  # once per text, however often a text repeats it
    assert frequency.frequency("一") == 1  # a one-character text is its own bigram
    assert frequency.frequency("ab") == 1  # squashed: half-width, lower-cased, the space gone
    assert frequency.frequency("银行") == 0


def test_idf_is_one_for_an_unseen_bigram_and_falls_with_frequency() -> None:
    frequency = BigramFrequency.count(TEXTS)
    assert frequency.idf("银行") == pytest.approx(1.0)
    assert 0.0 < frequency.idf("信用") < frequency.idf("市场") < 1.0


def test_an_empty_index_and_bad_bigrams() -> None:
    empty = BigramFrequency.count([])
    assert empty.passages == 0 and empty.frequency("信用") == 0
    with pytest.raises(ValueError, match="one or two characters"):
        BigramFrequency.count(TEXTS).frequency("信用卡")
