"""The folder watcher at the edges: built from settings for the service (ARTICLEQA_WATCH) and `articleqa watch`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from index.engine import Engine
from index.watcher import FolderWatcher, WatchSettings
from service.settings import Settings

log = logging.getLogger("articleqa.watch")


def watch_settings(settings: Settings) -> WatchSettings:
    return WatchSettings(debounce_ms=settings.watch_debounce_ms, settle_s=settings.watch_settle_s,
                         retry_s=min(5.0, settings.lock_timeout))


def watched_paths(settings: Settings, paths: Sequence[Path] | None = None) -> list[Path]:
    """The folders to watch: those given, else ARTICLEQA_WATCH_PATHS, else the corpus folder."""
    return list(paths or settings.watch_paths or [settings.corpus_dir])


def start_watcher(engine: Engine, settings: Settings) -> FolderWatcher | None:
    """The service's watcher thread; a folder that does not exist is logged and nothing is watched."""
    paths = watched_paths(settings)
    try:
        watcher = FolderWatcher(engine, paths, watch_settings(settings))
    except FileNotFoundError as exc:
        log.error("ARTICLEQA_WATCH is on but %s; set ARTICLEQA_WATCH_PATHS or ARTICLEQA_CORPUS_DIR", exc)
        return None
    log.info("watching %s for article changes", ", ".join(str(p) for p in watcher.paths))
    return watcher.start()
