"""What a question asks for (a list, a reason, a way, or a fact), and the cues of a sentence that gives it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

QuestionKind = Literal["example", "list", "reason", "how", "time", "number", "place", "fact"]

# General Chinese question vocabulary, not this corpus' wording: the order matters ("为什么要包括…" asks why).
_KINDS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    ("example", re.compile(r"例子|举例|比如|例如|案例|for example|an example", re.I)),
    ("reason", re.compile(r"为什么|为何|为啥|原因|好处|作用|意义|有什么用|有何用|有什么帮助|why", re.I)),
    ("list", re.compile(r"哪些|哪几|几种|几类|几个方面|包括什么|包含什么|有什么|组成|构成|种类|类型|方面|"
                        r"what (are|kinds?|types?|skills)|which", re.I)),
    ("how", re.compile(r"怎么|怎样|如何|怎么办|办法|方法|途径|how(?! many| much| long)", re.I)),
    # The answer-type questions (a date, an amount, a place): their answer sentence carries the type itself.
    ("time", re.compile(r"什么时候|什么时间|何时|哪一?年|哪一?天|哪个月|几月|几号|几点|日期|"
                        r"时间$|时间[?？]|when", re.I)),
    ("number", re.compile(r"多少|多大|多高|多长|多远|多重|多久|几[个次名位岁倍天年]|how (many|much|long)", re.I)),
    ("place", re.compile(r"哪里|哪儿|何地|何处|在哪|什么地方|地点|位于|哪个(?:国家|城市|省|地区)|where", re.I)),
)

# Sentence cues per kind: an example is introduced as one (例如/比如), a list names its items (包括/分为,
# enumeration commas), a reason states a purpose or consequence, a way states means or steps.
_CUES: dict[QuestionKind, re.Pattern[str]] = {
    "example": re.compile(r"例如|比如|譬如|举例|例子|案例"),
    "list": re.compile(r"包括|包含|分为|有以下|如下|[、]"),
    "reason": re.compile(r"因为|所以|因此|帮助|有助于|能够|才能|确保|以便|从而|避免|关键|重要"),
    "how": re.compile(r"通过|可以|需要|应当|应该|首先|其次|最后|方式|方法"),
    "time": re.compile(r"\d{1,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*[日号]|[〇零一二三四五六七八九十]+[年月]|世纪|年代|时期|"
                       r"\d{1,2}[:：]\d{2}|[上下]午|凌晨|傍晚|春季|夏季|秋季|冬季"),
    "number": re.compile(r"\d+(?:\.\d+)?|[一二三四五六七八九十百千万亿两]+(?=[个种名位岁倍万亿元吨米人次年天])"),
    "place": re.compile(r"[省市县区州镇村岛]|国(?!际)|位于|坐落|地处"),
    "fact": re.compile(r"(?!)"),
}
# Cues a sentence needs to carry the kind fully: one date or amount is the answer; a list needs several marks.
_SATURATION: dict[QuestionKind, int] = {"time": 1, "number": 1, "place": 1}

# Words that carry the question rather than its topic: wh-words, particles and framing adverbs.
INTERROGATIVE = re.compile(r"哪|什么|怎|几|多少|多[大长高远重久宽深厚]|如何|为何|为什么|为啥|吗|呢|啥|是否|有没有|"
                           r"能否|请问|具体|一般|主要|平时|通常")


# Wh-words. After a determiner (什么, 哪个, 几种, 多少, 何种) the next word names the kind of answer wanted
# (什么时间, 哪个城市), which the answering text rarely repeats ("于1820年病逝" answers "在什么时间病逝");
# after an adverbial one (怎么, 如何, 何时) it is the question's verb, its topic ("怎么免掉").
WH = re.compile(r"(?:哪|几)[个些本种类位家条年天次所座部]?|什么样?|多少|多[大长高远重久宽深厚]|何种|何时|何地|何处|"
                r"何人|为何|如何|谁|啥|"
                r"怎么样?|怎样")
WH_DETERMINER = re.compile(r"(?:哪|几)[个些本种类位家条年天次所座部]?|什么样?|多少|何种")
_BETWEEN = re.compile(r"[的\s]*")


def topic_terms(spans: list[tuple[str, int, int]], text: str) -> list[str]:
    """The terms of a question (`spans`: its segmenter spans over `text`) without those that only frame
    it: interrogatives and the words inside them, and the answer-type word right after a determiner."""
    asks = [m.span() for m in INTERROGATIVE.finditer(text)] + [m.span() for m in WH.finditer(text)]
    wh_ends = [m.end() for m in WH_DETERMINER.finditer(text)]
    out = []
    for term, s, e in spans:
        if any(s < b and a < e for a, b in asks):
            continue
        if any(end <= s and _BETWEEN.fullmatch(text[end:s]) for end in wh_ends):
            continue
        out.append(term)
    return out


# Characters between the word asked about and the wh-word, never that word themselves ("体长是多少", "天敌有哪些").
_LINKS = frozenset("的是有要会能得都还该应")
_WORD = re.compile(r"\w")
_ADVERBIAL_WH = re.compile(r"怎么样?|怎样|如何|为什么|为何|为啥")


def question_focus(question: str, words: Sequence[str]) -> str:
    """The word a question asks about: the last word before its first wh-word, past linking characters (体长
    in "前肛鳗的体长是多少?", 天敌 in "马来穿山甲的天敌有哪些?"); "" when the wh-word opens the question or that
    word has one character. Before an adverbial wh-word (怎么, 如何, 为什么) stands the subject, and what is asked
    follows ("信用卡产品经理怎么保证质量?"): "" too. `words`: the question's words in order, covering it
    (`Segmenter.tags`)."""
    asked = WH.search(question) or INTERROGATIVE.search(question)
    if asked is None or any(a.start() <= asked.start() < a.end() for a in _ADVERBIAL_WH.finditer(question)):
        return ""
    at, focus = 0, ""
    for word in words:
        end = at + len(word)
        if end > asked.start():
            break
        if _WORD.search(word) and not set(word) <= _LINKS:
            focus = question[at:end]
        at = end
    return focus if len(focus) >= 2 else ""


def question_kind(question: str) -> QuestionKind:
    """The kind of answer a question wants; "fact" when no cue says otherwise."""
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return "fact"


def cue_strength(kind: QuestionKind, sentence: str) -> float:
    """0–1: how many of the kind's cues the sentence carries (three or more count fully, one for a date,
    an amount or a place)."""
    full = _SATURATION.get(kind, 3)
    return min(len(_CUES[kind].findall(sentence)), full) / full
