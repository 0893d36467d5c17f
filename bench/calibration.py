"""The "not covered" signal on answerable and off-topic questions of several sets, in one table:

    python -m bench.calibration --seed DATA_DIR [--beir INDEXED_DIR:BEIR_FOLDER ...] [--sample 150]

Answerable: the dev questions, the team's paraphrases (eval/paraphrases.jsonl), the seed articles' own
FAQ questions, and each BEIR set's questions against its own corpus. Off-topic: the dev `ood` questions,
eval/offtopic.jsonl, and each BEIR set's questions against the seed corpus. Reported per set: the share
flagged `low_confidence` (for answerable sets the false "not covered" rate, for off-topic ones the
share caught; 1 − that is the missed off-topic rate).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from bench.textgen import REPO, SHARED
from index.beir import load_beir
from index.engine import Engine
from index.evaluation import load_questions
from service.settings import Settings
from service.wiring import build_engine


def flagged(engine: Engine, questions: list[str]) -> dict[str, Any]:
    searcher = engine.searcher()
    low = [q for q in questions if searcher.search(q, top_k=5).low_confidence]
    return {"n": len(questions), "flagged": len(low), "rate": round(len(low) / max(len(questions), 1), 4),
            "examples": low[:5]}


def faq_questions(engine: Engine) -> list[str]:
    """The section titles of the seed articles' FAQ items: questions their own text answers."""
    out = []
    for stored in engine.store.list_articles():
        article = engine.store.get_article(stored.doc_id)
        if article is not None:
            out += [s.title for s in article.sections if s.kind == "faq"]
    return out


def sample(queries: dict[str, str], n: int) -> list[str]:
    texts = sorted(queries.values())
    random.Random(7).shuffle(texts)
    return texts[:n] if n else texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", required=True, help="data folder indexed from corpus/")
    ap.add_argument("--beir", action="append", default=[], help="INDEXED_DIR:BEIR_FOLDER")
    ap.add_argument("--sample", type=int, default=150, help="questions sampled per BEIR set (0: all)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    seed = build_engine(Settings().model_copy(update={"data_dir": Path(args.seed)}))
    dev = load_questions(SHARED / "eval" / "dev_questions.jsonl")
    off = load_questions(REPO / "eval" / "offtopic.jsonl")
    rows: dict[str, dict[str, Any]] = {
        "answerable: dev questions": flagged(seed, [q.q for q in dev if not q.ood]),
        "answerable: paraphrases": flagged(seed, [q.q for q in load_questions(REPO / "eval" / "paraphrases.jsonl")]),
        "answerable: seed FAQ questions": flagged(seed, faq_questions(seed)),
        "off-topic: dev ood": flagged(seed, [q.q for q in dev if q.ood]),
        "off-topic: eval/offtopic.jsonl": flagged(seed, [q.q for q in off]),
    }
    for spec in args.beir:
        data_dir, folder = spec.split(":", 1)
        _, queries, _ = load_beir(Path(folder))
        questions = sample(queries, args.sample)
        name = Path(folder).name
        own = build_engine(Settings().model_copy(update={"data_dir": Path(data_dir).expanduser()}))
        rows[f"answerable: {name} on its corpus"] = flagged(own, questions)
        own.close()
        rows[f"off-topic: {name} on the seed corpus"] = flagged(seed, questions)
    seed.close()
    for name, r in rows.items():
        print(f"{name:>42}: flagged {r['flagged']:>3} / {r['n']:<4} ({r['rate']:.3f})")
    if args.out:
        args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
