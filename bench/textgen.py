"""Realistic Chinese passages for scale runs: sentences of corpus/ and the RGB corpus, recombined."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.blocks import Block
from ingest.chrome import is_end_marker, is_noise_line
from ingest.readers import read_article_file

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
RGB_CORPUS = SHARED / "eval" / "rgb_zh_dev" / "corpus.jsonl"
RGB_QUERIES = SHARED / "eval" / "rgb_zh_dev" / "queries.jsonl"
DEV_QUESTIONS = SHARED / "eval" / "dev_questions.jsonl"
SEEDS = SHARED / "seeds"

MIN_CHARS = 90  # above the chunker's min_chars (80): a paragraph is never merged with a neighbour
MAX_CHARS = 300  # below its max_chars (320): a paragraph is never split, so one paragraph = one passage
_SENTENCE = re.compile(r"[^。！？；!?;]+[。！？；!?;]*[”’」』)）]*")
_ENDS = tuple("。！？；!?;”’」』)）")
_SPACES = re.compile(r"\s+")
_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]\s*(.{2,20})$")
_CN_NUMBERS = "一二三四五六七八九十"
_FALLBACK_HEADINGS = (
    "背景与现状", "主要做法", "风险与挑战", "数据分析", "用户需求", "发展趋势", "案例分析", "注意事项",
)


def clean(text: str) -> str:
    """One line, single spaces: what the readers keep of a paragraph unchanged."""
    return _SPACES.sub(" ", text).strip()


def usable(paragraph: str) -> bool:
    """False for a paragraph the page reader would take for page chrome (it would end the article there)."""
    return not (is_end_marker(paragraph) or is_noise_line(paragraph))


def sentences_of(paragraph: str) -> list[str]:
    """Sentences of a paragraph, each ending with a punctuation mark (one is added when missing)."""
    out = []
    for raw in _SENTENCE.findall(clean(paragraph)):
        s = raw.strip()
        if len(s) < 6 or is_end_marker(s) or is_noise_line(s):
            continue
        out.append(s if s.endswith(_ENDS) else s + "。")
    return out


@dataclass
class TextPool:
    """Every distinct sentence of the sources, source paragraphs as sentence ids, titles and headings."""

    sentences: list[str] = field(default_factory=list)
    sources: list[tuple[int, ...]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)

    def sentence_id(self, s: str) -> int:
        sid = self._ids.get(s)
        if sid is None:
            sid = self._ids[s] = len(self.sentences)
            self.sentences.append(s)
        return sid

    def add_paragraph(self, text: str) -> None:
        ids = tuple(self.sentence_id(s) for s in sentences_of(text))
        if ids:
            self.sources.append(ids)

    def text(self, ids: tuple[int, ...]) -> str:
        return "".join(self.sentences[i] for i in ids)

    def base_paragraphs(self, count: int, seed: int = 7) -> list[tuple[int, ...]]:
        """`count` distinct windows of consecutive sentences of one source, MIN_CHARS..MAX_CHARS long."""
        rng = random.Random(seed)
        windows: list[tuple[int, ...]] = []
        seen: set[tuple[int, ...]] = set()
        lengths = [len(s) for s in self.sentences]
        for src in self.sources:
            start = 0
            while start < len(src):
                target = rng.randint(MIN_CHARS, 240)
                end, total = start, 0
                while end < len(src) and total < target:
                    total += lengths[src[end]]
                    end += 1
                win = src[start:end]
                if MIN_CHARS <= total <= MAX_CHARS and win not in seen:
                    seen.add(win)
                    windows.append(win)
                start = end if total <= MAX_CHARS else start + 1
        rng.shuffle(windows)
        windows = [w for w in windows if usable(self.text(w))]
        if len(windows) < count:
            raise ValueError(f"the sources give {len(windows)} distinct paragraphs, {count} were asked for")
        return windows[:count]


def load_pool(rgb_limit: int | None = None) -> TextPool:
    """The shipped corpus articles, the seed pages and the RGB corpus, cut into sentences."""
    pool = TextPool()
    files = sorted((REPO / "corpus").glob("*.txt")) + sorted(SEEDS.glob("*.txt"))
    for path in files:
        article = read_article_file(path)
        pool.titles.append(article.title)
        for section in article.sections:
            m = _HEADING.match(section.title)
            if m and m.group(1) not in pool.headings:
                pool.headings.append(m.group(1))
        for para in article.text.split("\n\n"):
            if len(para) >= 20:
                pool.add_paragraph(para)
    if RGB_CORPUS.exists():
        with RGB_CORPUS.open(encoding="utf-8") as f:
            for i, line in enumerate(f):
                if rgb_limit is not None and i >= rgb_limit:
                    break
                pool.add_paragraph(json.loads(line)["text"])
    for q in _jsonl_texts(RGB_QUERIES, "text"):
        if len(q) <= 40 and not re.search(r"[。；;！!]", q):
            pool.titles.append(q)
    pool.headings.extend(h for h in _FALLBACK_HEADINGS if h not in pool.headings)
    return pool


def real_queries() -> list[str]:
    """Real questions: the RGB queries and the seed corpus dev questions."""
    return _jsonl_texts(RGB_QUERIES, "text") + _jsonl_texts(DEV_QUESTIONS, "q")


def _jsonl_texts(path: Path, key: str) -> list[str]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)[key].strip() for line in f if line.strip()]


@dataclass(frozen=True)
class ArticleSpec:
    """An article of the generated corpus: passage i of the corpus per paragraph, grouped in sections."""

    doc_id: str
    title: str
    intro: int
    sections: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def passages(self) -> list[int]:
        return [self.intro] + [i for _, rows in self.sections for i in rows]


def group_articles(n: int, pool: TextPool, seed: int = 11, prefix: str = "bench") -> list[ArticleSpec]:
    """Passages 0..n-1 grouped into articles of 6–14 paragraphs (an intro, then 2–4 per numbered section)."""
    rng = random.Random(seed)
    specs: list[ArticleSpec] = []
    i = 0
    while i < n:
        size = min(rng.randint(6, 14), n - i)
        rows = list(range(i, i + size))
        sections: list[tuple[str, tuple[int, ...]]] = []
        rest = rows[1:]
        while rest:
            take = min(rng.randint(2, 4), len(rest))
            number = _CN_NUMBERS[len(sections)] if len(sections) < len(_CN_NUMBERS) else str(len(sections) + 1)
            sections.append((f"{number}、{rng.choice(pool.headings)}", tuple(rest[:take])))
            rest = rest[take:]
        specs.append(ArticleSpec(f"{prefix}-{len(specs):07d}", rng.choice(pool.titles), rows[0], tuple(sections)))
        i += size
    return specs


def blocks_of(spec: ArticleSpec, text_of: list[str]) -> list[Block]:
    """The article as reader blocks (what `ingest.blocks.build_article` takes)."""
    blocks = [Block(text_of[spec.intro])]
    for heading, rows in spec.sections:
        blocks.append(Block(heading, heading=True))
        blocks.extend(Block(text_of[r]) for r in rows)
    return blocks


def raw_page(spec: ArticleSpec, text_of: list[str], teaser: str = "") -> str:
    """The article as copied from a web page (the seed format): title, repeated title, body, page chrome."""
    lines = [spec.title, spec.title * 2, text_of[spec.intro]]
    for heading, rows in spec.sections:
        lines.append(heading)
        lines.extend(text_of[r] for r in rows)
    chrome = [
        "版权声明:本文内容由互联网用户自发贡献,该文观点仅代表作者本人。",
        f"发布者:bench,转转请注明出处:https://example.com/p/{spec.doc_id}.html",
        "相关推荐",
        f"  • {teaser or spec.title}",
        "发表回复",
        "登录后才能评论",
    ]
    return "\n\n".join(lines) + "\n\n" + "\n".join(chrome) + "\n"


def fragment_queries(pool: TextPool, n: int, seed: int = 23) -> list[str]:
    """n distinct keyword-style queries: a clause of a random pool sentence, 6–24 characters."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    for _ in range(n * 20):
        if len(out) >= n:
            break
        clauses = [c.strip("。！？；!?;”’」』)） ") for c in re.split(r"[，,：:]", rng.choice(pool.sentences))]
        clauses = [c for c in clauses if len(c) >= 6]
        if clauses:
            out[rng.choice(clauses)[:24]] = None
    return list(out)
