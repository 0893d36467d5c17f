"""The one jieba Segmenter used at index and query time, with the domain dictionary and stopwords."""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable

import jieba
import jieba.posseg

jieba.setLogLevel(logging.WARNING)

_DATA = resources.files("ingest") / "data"
# Bump when the way terms are cut changes: stored tokens and snapshots then count as stale.
ALGORITHM_VERSION = 2

# Length-preserving normalisation: full-width ASCII and the ideographic space map to
# half-width one character for one, so token offsets stay offsets into the original text.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalize(text: str) -> str:
    """Full-width → half-width and lower-case, keeping the length (and so every offset) unchanged."""
    out = text.translate(_WIDTH)
    lowered = out.lower()
    # A handful of characters change length when lower-cased (e.g. 'İ'); keep those as they are.
    return lowered if len(lowered) == len(out) else "".join(c.lower() if len(c.lower()) == 1 else c for c in out)


@runtime_checkable
class Segmenter(Protocol):
    """Turns text into index terms; the same instance serves ingest and queries."""

    @property
    def id(self) -> str: ...

    @property
    def dictionary_hash(self) -> str: ...

    def tokenize(self, text: str) -> list[str]: ...

    def spans(self, text: str) -> list[tuple[str, int, int]]: ...

    def weight(self, term: str) -> float: ...

    def tags(self, text: str) -> list[tuple[str, str]]: ...


class JiebaSegmenter:
    """jieba in search mode over normalised text, with a user dictionary and a stopword list."""

    def __init__(
        self,
        user_dict: Path | None = None,
        stopwords: Path | None = None,
        *,
        mode: str = "search",
    ) -> None:
        if mode not in ("search", "default"):
            raise ValueError(f"segmenter mode must be 'search' or 'default', got {mode!r}")
        self.mode = mode
        dict_bytes = (Path(user_dict).read_bytes() if user_dict else (_DATA / "userdict.txt").read_bytes())
        stop_bytes = (Path(stopwords).read_bytes() if stopwords else (_DATA / "stopwords.txt").read_bytes())
        self._dict_lines = [ln for ln in dict_bytes.decode("utf-8").splitlines() if ln.strip()]
        self.stopwords = frozenset(
            normalize(w.strip()) for w in stop_bytes.decode("utf-8").splitlines() if w.strip()
        )
        h = hashlib.sha256()
        h.update(dict_bytes)
        h.update(b"\x00")
        h.update(stop_bytes)
        h.update(f"\x00jieba-{jieba.__version__}-{mode}-v{ALGORITHM_VERSION}".encode())
        self._hash = h.hexdigest()[:16]
        self._tokenizer = jieba.Tokenizer()
        self._lock = threading.Lock()
        self._ready = False
        self._pos: jieba.posseg.POSTokenizer | None = None
        self._pos_lock = threading.Lock()

    @property
    def id(self) -> str:
        return f"jieba-{jieba.__version__}-{self.mode}"

    @property
    def dictionary_hash(self) -> str:
        return self._hash

    @property
    def user_words(self) -> list[str]:
        """The words of the domain dictionary (for engines that segment with their own jieba)."""
        return [normalize(line.split()[0]) for line in self._dict_lines]

    def warm(self) -> None:
        """Load jieba's dictionary and ours now (about a second) instead of on the first query."""
        with self._lock:
            if self._ready:
                return
            self._tokenizer.initialize()
            for line in self._dict_lines:
                parts = line.split()
                word = parts[0]
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                tag = parts[2] if len(parts) > 2 else None
                self._tokenizer.add_word(normalize(word), freq, tag)
            self._ready = True

    def warm_tags(self) -> None:
        """Load jieba's part-of-speech table now (about half a second) instead of on the first `tags` call."""
        self.tags("")

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """(term, start, end) for every index term; offsets point into `text` itself."""
        if not self._ready:
            self.warm()
        norm = normalize(text)
        out = []
        freq = self._tokenizer.FREQ
        for word, start, end in self._tokenizer.tokenize(norm, mode="default"):
            if self.mode == "search" and end - start > 2:
                # Like jieba's search mode, but for sub-words of every length: a query for
                # 产品经理 must match 信用卡产品经理 and 银行产品经理.
                for n in range(2, end - start):
                    for i in range(start, end - n + 1):
                        sub = norm[i : i + n]
                        if freq.get(sub) and sub not in self.stopwords:
                            out.append((sub, i, i + n))
            term = word.strip()
            if not term or term in self.stopwords or not any(c.isalnum() for c in term):
                continue
            out.append((term, start, end))
        return out

    def weight(self, term: str) -> float:
        """How informative a term is in general Chinese (IDF from jieba's dictionary counts).

        Corpus-independent, so it also weighs terms that no article contains: 做 or 什么 weigh
        little, 侵权 or a name jieba has never seen weigh a lot."""
        if not self._ready:
            self.warm()
        freq = self._tokenizer.FREQ.get(term, 0)
        total = self._tokenizer.total
        w = math.log(total / (freq + 1)) if freq else math.log(total / 2)
        return w * (0.5 if len(term) == 1 else 1.0)

    def tags(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) for the words of `text` in order, covering it character for character (so
        offsets add up), jieba's tags: n… nouns and names, t time, v verb, d adverb, r pronoun, x punctuation…;
        the domain dictionary's words carry theirs."""
        if not self._ready:
            self.warm()
        with self._pos_lock:  # jieba's tagger keeps state while it loads and cuts
            if self._pos is None:
                self._pos = jieba.posseg.POSTokenizer(self._tokenizer)  # reads the tags of jieba's dictionary
            return [(w.word, w.flag) for w in self._pos.cut(normalize(text))] if text else []

    def tokenize(self, text: str) -> list[str]:
        """Index terms of `text` in order (search mode adds the sub-words of long words)."""
        return [t for t, _, _ in self.spans(text)]

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.tokenize(t) for t in texts]
