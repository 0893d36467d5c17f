"""The quality gate: evaluate a built snapshot on a question file before it may be published."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.evaluation import Question, evaluate_questions
from index.searcher import Searcher, SearchParams
from index.snapshot import MANIFEST, SNAPSHOTS, Snapshot, SnapshotError, read_current
from ingest.embedders import Embedder
from ingest.segmenter import Segmenter


@dataclass(frozen=True)
class GateVerdict:
    accepted: bool
    message: str
    figures: dict[str, Any] = field(default_factory=dict)


Gate = Callable[[Path], GateVerdict]


class GateRefused(RuntimeError):
    """The new snapshot scored below the gate; the current snapshot keeps serving."""


def question_gate(questions: list[Question], embedder: Embedder, segmenter: Segmenter, data_dir: Path,
                  min_hit5: float = 0.9, params: SearchParams | None = None) -> Gate:
    """Accept a snapshot whose hit@5 is at least `min_hit5` and at least the current snapshot's."""

    def evaluate(folder: Path) -> dict[str, Any]:
        snap = Snapshot.load(folder, embedder_id=embedder.id, dim=embedder.dim,
                             dictionary_hash=segmenter.dictionary_hash)
        try:
            report = evaluate_questions(Searcher(snap, embedder, segmenter, params), questions)
        finally:
            snap.close()
        return {k: report[k] for k in ("hit@1", "hit@5", "mrr@10", "ood_recall", "answerable_flagged")}

    def gate(folder: Path) -> GateVerdict:
        figures = evaluate(folder)
        current = _current_figures(data_dir, evaluate)
        problems = []
        if figures["hit@5"] < min_hit5:
            problems.append(f"hit@5 {figures['hit@5']:.3f} is below the gate's minimum {min_hit5:.3f}")
        if current is not None and figures["hit@5"] < current["hit@5"]:
            problems.append(f"hit@5 {figures['hit@5']:.3f} is below the current snapshot's {current['hit@5']:.3f}")
        summary = f"hit@1 {figures['hit@1']:.3f}, hit@5 {figures['hit@5']:.3f}, MRR {figures['mrr@10']:.3f}"
        if problems:
            return GateVerdict(False, "quality gate refused the new snapshot: " + "; ".join(problems), figures)
        return GateVerdict(True, f"quality gate passed: {summary}", figures)

    return gate


def _current_figures(data_dir: Path, evaluate: Callable[[Path], dict[str, Any]]) -> dict[str, Any] | None:
    """The published snapshot's gate figures: recorded in its manifest, else measured if it loads."""
    version = read_current(data_dir)
    if version is None:
        return None
    folder = data_dir / SNAPSHOTS / version
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if "quality" in manifest:
        return dict(manifest["quality"])
    try:
        return evaluate(folder)
    except SnapshotError:
        return None  # built differently (another embedder): only the minimum applies
