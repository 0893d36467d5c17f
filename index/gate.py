"""The quality gate: evaluate a built index on a question file before it may be published."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from index.backend import Gate, GateVerdict, Published, SearchIndex
from index.evaluation import Question, evaluate_questions
from index.searcher import Searcher, SearchParams
from ingest.embedders import Embedder
from ingest.segmenter import Segmenter


def question_gate(questions: list[Question], embedder: Embedder, segmenter: Segmenter,
                  min_hit5: float = 0.9, params: SearchParams | None = None) -> Gate:
    """Accept an index whose hit@5 is at least `min_hit5` and at least the published index's."""

    def evaluate(index: SearchIndex) -> dict[str, Any]:
        report = evaluate_questions(Searcher(index, embedder, segmenter, params), questions)
        return {k: report[k] for k in ("hit@1", "hit@5", "mrr@10", "ood_recall", "answerable_flagged")}

    def gate(staged: SearchIndex, published: Published | None) -> GateVerdict:
        figures = evaluate(staged)
        before = _current_figures(published, evaluate)
        problems = []
        if figures["hit@5"] < min_hit5:
            problems.append(f"hit@5 {figures['hit@5']:.3f} is below the gate's minimum {min_hit5:.3f}")
        if before is not None and figures["hit@5"] < before["hit@5"]:
            problems.append(f"hit@5 {figures['hit@5']:.3f} is below the current snapshot's {before['hit@5']:.3f}")
        summary = f"hit@1 {figures['hit@1']:.3f}, hit@5 {figures['hit@5']:.3f}, MRR {figures['mrr@10']:.3f}"
        if problems:
            return GateVerdict(False, "quality gate refused the new snapshot: " + "; ".join(problems), figures)
        return GateVerdict(True, f"quality gate passed: {summary}", figures)

    return gate


def _current_figures(published: Published | None,
                     evaluate: Callable[[SearchIndex], dict[str, Any]]) -> dict[str, Any] | None:
    """The published index's gate figures: recorded in its manifest, else measured if it loads."""
    if published is None:
        return None
    if "quality" in published.manifest:
        return dict(published.manifest["quality"])
    current = published.load()
    return evaluate(current) if current is not None else None  # built differently: only the minimum applies
