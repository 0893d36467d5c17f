"""The jieba Segmenter: domain words, stopwords, width and case normalisation, offsets, its hash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.segmenter import JiebaSegmenter, normalize


def test_domain_words_stay_whole(segmenter: JiebaSegmenter) -> None:
    for word in ("产品经理", "信用卡", "联名卡", "信用评分", "风险管理", "用户体验"):
        assert word in segmenter.tokenize(f"我们讨论{word}的问题"), word


def test_search_mode_adds_sub_words_of_compounds(segmenter: JiebaSegmenter) -> None:
    terms = segmenter.tokenize("信用卡产品经理的职责")
    assert {"信用卡", "产品经理", "产品", "经理"} <= set(terms)


def test_stopwords_and_punctuation_dropped(segmenter: JiebaSegmenter) -> None:
    terms = segmenter.tokenize("信用卡一般分为哪几类?")
    assert "哪" not in terms and "?" not in terms and "的" not in segmenter.tokenize("我的信用卡")
    assert segmenter.tokenize("，。！？、") == []


def test_full_width_and_case_normalised(segmenter: JiebaSegmenter) -> None:
    assert segmenter.tokenize("ＣＲＭ系统") == segmenter.tokenize("crm系统")
    assert "crm" in segmenter.tokenize("CRM系统")


@settings(max_examples=60, deadline=None)
@given(st.text(st.sampled_from(list("信用卡ＡＢＣabcＸ产品经理　 ，。1２")), max_size=60))
def test_spans_point_into_the_original_text(text: str) -> None:
    seg = _shared()
    for term, start, end in seg.spans(text):
        assert normalize(text[start:end]) == term
    assert len(normalize(text)) == len(text)


_SEG: list[JiebaSegmenter] = []


def _shared() -> JiebaSegmenter:
    if not _SEG:
        _SEG.append(JiebaSegmenter())
    return _SEG[0]


def test_dictionary_hash_follows_the_dictionary(tmp_path: Path, segmenter: JiebaSegmenter) -> None:
    custom = tmp_path / "dict.txt"
    custom.write_text("测试专用词 100 n\n", encoding="utf-8")
    other = JiebaSegmenter(user_dict=custom)
    assert other.dictionary_hash != segmenter.dictionary_hash
    assert JiebaSegmenter().dictionary_hash == segmenter.dictionary_hash
    assert "测试专用词" in other.tokenize("这是测试专用词")


def test_term_weights_favour_informative_words(segmenter: JiebaSegmenter) -> None:
    assert segmenter.weight("侵权") > segmenter.weight("产品") > segmenter.weight("做")


def test_tags_cover_the_text_and_tell_nouns_from_verbs(segmenter: JiebaSegmenter) -> None:
    text = "那工资呢?搞清楚这些有啥用?信用卡产品经理"
    tags = segmenter.tags(text)
    assert "".join(w for w, _ in tags) == normalize(text)  # word for word, so offsets add up
    tag = dict(tags)
    assert tag["工资"].startswith("n") or tag["工资"] == "vn"
    assert tag["搞清楚"][0] not in "nt" and tag["这些"] == "r"
    assert tag["信用卡产品经理"] == "n"  # the domain dictionary's tag


def test_warm_tags_loads_the_tagger_once() -> None:
    seg = JiebaSegmenter()
    seg.warm_tags()
    tagger = seg._pos
    assert tagger is not None and seg.tags("") == []
    assert seg.tags("那工资呢") and seg._pos is tagger
