"""Watch article folders and ingest what changed: debounced, half-written files left until their writer is done."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from index.clock import now_iso
from index.engine import Engine
from index.indexer import IngestReport
from index.lock import LockTimeout
from ingest.readers import SUPPORTED_SUFFIXES

log = logging.getLogger("articleqa.watch")


@dataclass(frozen=True)
class WatchSettings:
    """`debounce_ms`: longest a burst of changes is gathered; `step_ms`: quiet time that ends a burst;
    `settle_s`: a file's size and mtime must hold this long before it is read (its writer is done);
    `max_settle_s`: a file still changing after this waits for the next burst."""

    debounce_ms: int = 2000
    step_ms: int = 300
    settle_s: float = 0.5
    max_settle_s: float = 30.0
    retry_s: float = 5.0  # after the write lock was busy


@dataclass(frozen=True)
class Publish:
    """One publish of the watcher: what it added, updated, removed and refused, and the new version."""

    at: str
    index_version: str
    added: list[str]
    updated: list[str]
    removed: list[str]
    refused: list[dict[str, str]]
    seconds: float

    def line(self) -> str:
        parts = [f"{k} {', '.join(v)}" for k, v in (("added", self.added), ("updated", self.updated),
                                                     ("removed", self.removed)) if v]
        parts += [f"refused {r['file']} ({r['error']})" for r in self.refused]
        return f"watch: {'; '.join(parts) or 'no change'} → index {self.index_version} ({self.seconds:.1f} s)"


@dataclass(frozen=True)
class WatchState:
    status: str = "stopped"  # stopped | watching | ingesting | failed
    paths: list[str] = field(default_factory=list)
    started_at: str | None = None
    publishes: int = 0
    last_publish: Publish | None = None
    refused: list[dict[str, str]] = field(default_factory=list)  # files refused and why, still refused now
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _article_file(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith(".")


class FolderWatcher:
    """Keeps the index in line with folders: one ingest at start, then one per burst of file changes.

    Each ingest takes the data folder's write lock like any writer (uploads, /reindex, `articleqa ingest`);
    a busy lock delays the changes, it never drops them. A file that cannot be read is reported in
    `state().refused` and the log, and the others are indexed."""

    def __init__(self, engine: Engine, paths: Sequence[Path], settings: WatchSettings | None = None,
                 on_publish: Callable[[Publish], None] | None = None) -> None:
        self.engine = engine
        self.paths = [Path(p).resolve() for p in paths]
        for p in self.paths:
            if not p.is_dir():
                raise FileNotFoundError(f"cannot watch {p}: not a folder")
        self.settings = settings or WatchSettings()
        self.on_publish = on_publish
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = WatchState(paths=[str(p) for p in self.paths])
        self._thread: threading.Thread | None = None
        self._refused: dict[str, str] = {}

    # -- control ----------------------------------------------------------------------------------

    def state(self) -> WatchState:
        with self._lock:
            return self._state

    def start(self) -> FolderWatcher:
        """Run in a background thread (the service); `run()` runs in the caller's thread (the CLI)."""
        self._thread = threading.Thread(target=self._run_logged, name="articleqa-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Ingest once, then watch until stop() (or KeyboardInterrupt)."""
        from watchfiles import watch

        self._set(status="watching", started_at=now_iso())
        pending: set[Path] | None = None  # None: everything (the first round, or after a failure)
        pending = self._round(pending)
        s = self.settings
        for changes in watch(*self.paths, debounce=s.debounce_ms, step=s.step_ms, stop_event=self._stop,
                             recursive=False, yield_on_timeout=True, rust_timeout=int(s.retry_s * 1000),
                             raise_interrupt=False):
            if pending is not None:
                pending |= {Path(p).resolve() for _, p in changes}
            if pending is None or pending:
                pending = self._round(pending)
            if self._stop.is_set():
                break
        self._set(status="stopped")

    def _run_logged(self) -> None:
        try:
            self.run()
        except Exception as exc:  # the service keeps serving; the state says why watching stopped
            log.exception("watcher stopped")
            self._set(status="failed", error=f"{type(exc).__name__}: {exc}")

    # -- one round --------------------------------------------------------------------------------

    def _round(self, changed: set[Path] | None) -> set[Path] | None:
        """Ingest the settled changes; returns what is left for the next round (None: a full pass)."""
        only: set[Path] | None = None
        later: set[Path] = set()
        if changed is not None:
            relevant = {p for p in changed if _article_file(p)}
            if not relevant:
                return set()
            settled, later = self._settle(relevant)
            if not settled:
                return later
            only = settled
        self._set(status="ingesting")
        started = time.perf_counter()
        try:
            report = self.engine.ingest(self.paths, only=only)
        except LockTimeout as exc:
            log.warning("watch: the index is busy (%s); trying again in %.0f s", exc, self.settings.retry_s)
            self._set(status="watching", error=str(exc))
            return (changed or set()) if changed is not None else None
        except Exception as exc:  # an unexpected failure is reported; the next change tries everything again
            log.exception("watch: ingest failed")
            self._set(status="watching", error=f"{type(exc).__name__}: {exc}")
            return None
        self._record(report, only, time.perf_counter() - started)
        return later

    def _settle(self, paths: Iterable[Path]) -> tuple[set[Path], set[Path]]:
        """Files whose size and mtime held for settle_s (deleted files count as settled), and the rest."""
        s = self.settings
        deadline = time.monotonic() + s.max_settle_s
        todo = set(paths)
        settled: set[Path] = set()
        last = {p: _signature(p) for p in todo}
        while todo and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(s.settle_s)
            for p in list(todo):
                now = _signature(p)
                if now == last[p]:
                    settled.add(p)
                    todo.discard(p)
                last[p] = now
        return settled, todo

    def _record(self, report: IngestReport, only: set[Path] | None, seconds: float) -> None:
        errors = {e["file"]: e["error"] for e in report.errors}
        looked_at = None if only is None else {str(p) for p in only}
        for f in list(self._refused):
            resolved = str(Path(f).resolve())
            if (looked_at is None or resolved in looked_at or not Path(f).exists()) and f not in errors:
                del self._refused[f]
        self._refused.update(errors)
        refused = [{"file": e["file"], "error": e["error"]} for e in report.errors]
        if not (report.changed or refused):
            self._set(status="watching", error="")
            return
        publish = Publish(at=now_iso(), index_version=report.index_version, added=report.added,
                          updated=report.updated, removed=report.removed, refused=refused,
                          seconds=round(seconds, 3))
        log.info(publish.line())
        with self._lock:
            self._state = replace(self._state, status="watching", publishes=self._state.publishes + 1,
                                  last_publish=publish, error="",
                                  refused=[{"file": f, "error": e} for f, e in sorted(self._refused.items())])
        if self.on_publish is not None:
            self.on_publish(publish)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns
