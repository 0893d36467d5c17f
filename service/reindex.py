"""The background re-index behind POST /reindex (incremental, or full): one job at a time, with progress."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from index.clock import now_iso
from index.engine import Engine
from service.metrics import Metrics

log = logging.getLogger("articleqa.reindex")


MAX_JOBS_KEPT = 20


class ReindexRunning(RuntimeError):
    """A re-index is already running; the message names it and says since when and how far it got."""


@dataclass(frozen=True)
class ReindexState:
    status: str = "idle"  # idle | running | succeeded | failed
    job: int = 0
    corpus_dir: str = ""
    full: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    stage: str = ""
    done: int = 0
    total: int = 0
    files_done: int = 0
    files_total: int = 0
    passages_done: int = 0
    passages_total: int = 0
    report: dict[str, Any] | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ReindexJob:
    """Runs `engine.ingest([corpus_dir])` outside the request path: incremental (only changed files are
    read and embedded), or with `full` a rebuild from the files; readers keep serving the current
    snapshot until the new one is published. The last MAX_JOBS_KEPT jobs are kept with their reports."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._lock = threading.Lock()
        self._state = ReindexState()
        self._finished: deque[ReindexState] = deque(maxlen=MAX_JOBS_KEPT)
        self._thread: threading.Thread | None = None
        self._metrics = metrics

    def state(self) -> ReindexState:
        with self._lock:
            return self._state

    def running(self) -> bool:
        return self.state().status == "running"

    def jobs(self) -> list[ReindexState]:
        """The running job (if any) and the finished ones kept, newest first."""
        with self._lock:
            running = [self._state] if self._state.status == "running" else []
            return running + list(reversed(self._finished))

    def start(self, engine: Engine, corpus_dir: Path, full: bool = False) -> ReindexState:
        """Start a re-index and return its first state; ReindexRunning when one is running already."""
        with self._lock:
            if self._state.status == "running":
                s = self._state
                raise ReindexRunning(
                    f"reindex job {s.job} ({'full' if s.full else 'incremental'}) is already running since "
                    f"{s.started_at} ({s.stage or 'starting'} {s.done}/{s.total}); see GET /reindex"
                )
            self._state = ReindexState(status="running", job=self._state.job + 1, corpus_dir=str(corpus_dir),
                                       full=full, started_at=now_iso(), stage="starting")
            started = self._state
            self._thread = threading.Thread(target=self._run, args=(engine, corpus_dir, started.job, full),
                                            name=f"articleqa-reindex-{started.job}", daemon=True)
            if self._metrics:
                self._metrics.reindex_running.set(1)
            self._thread.start()
        log.info("reindex job %d (%s) started from %s", started.job, "full" if full else "incremental", corpus_dir)
        return started

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running job (if any); True when none is running afterwards."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running()

    def _update(self, job: int, **changes: Any) -> None:
        with self._lock:
            if self._state.job == job:
                self._state = replace(self._state, **changes)
                if self._state.status in ("succeeded", "failed"):
                    self._finished.append(self._state)

    def _progress(self, job: int) -> Callable[[str, int, int], None]:
        def progress(stage: str, done: int, total: int) -> None:
            extra: dict[str, int] = {}
            if stage == "read":  # files: `done` of them read before this one
                extra = {"files_done": done, "files_total": total}
            elif stage == "embed":  # passages embedded so far, of those to embed in this batch
                extra = {"passages_done": done, "passages_total": total}
            self._update(job, stage=stage, done=done, total=total, **extra)

        return progress

    def _run(self, engine: Engine, corpus_dir: Path, job: int, full: bool) -> None:
        try:
            report = engine.ingest([corpus_dir], rebuild=full, progress=self._progress(job))
        except Exception as exc:  # a failed rebuild is reported, never raised into the server
            log.exception("reindex job %d failed", job)
            self._update(job, status="failed", finished_at=now_iso(), error=f"{type(exc).__name__}: {exc}")
        else:
            log.info("reindex job %d done: version %s, %d documents, %d passages, %d errors", job,
                     report.index_version, report.documents, report.passages, len(report.errors))
            files = len(report.added) + len(report.updated) + len(report.unchanged) + len(report.duplicates) \
                + len(report.errors)
            self._update(job, status="succeeded", finished_at=now_iso(), stage="done", files_done=files,
                         files_total=files, report=report.to_dict())
        finally:
            if self._metrics:
                self._metrics.reindex_running.set(0)
