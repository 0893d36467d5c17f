"""The folder watcher core: bursts make few publishes, half-written files wait for their writer, bad files skip."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from index.engine import Engine
from index.watcher import FolderWatcher, Publish, WatchSettings
from tests.helpers.office_files import CARD_PDF_PAGES, make_pdf

FAST = WatchSettings(debounce_ms=1500, step_ms=300, settle_s=0.4, max_settle_s=20.0, retry_s=1.0)


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _article(i: int) -> str:
    return f"观测站{i}号\n\n一、位置\n\n第{i}号观测站位于山顶,记录风速和气温。\n"


def test_a_burst_of_files_makes_few_publishes_and_a_bad_file_is_skipped(
        tmp_path: Path, fake_engine_factory: type[Engine]) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    publishes: list[Publish] = []
    engine = fake_engine_factory()
    watcher = FolderWatcher(engine, [folder], FAST, on_publish=publishes.append).start()
    try:
        _wait(lambda: watcher.state().status == "watching", 30, "the first pass")
        for i in range(30):
            (folder / f"station-{i:02d}.txt").write_text(_article(i), encoding="utf-8")
        (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
        _wait(lambda: sum(len(p.added) for p in publishes) == 30, 120, "30 articles indexed")
        assert len(publishes) <= 3, [p.line() for p in publishes]
        refused = watcher.state().refused
        assert [r["file"] for r in refused] == [str((folder / "broken.pdf").resolve())]
        assert "truncated" in refused[0]["error"]
        assert engine.search("第17号观测站", top_k=1).hits[0].doc_id == "station-17"

        (folder / "station-03.txt").rename(folder / "station-renamed.txt")
        (folder / "broken.pdf").unlink()
        _wait(lambda: "station-03" in publishes[-1].removed, 60, "the rename")
        assert publishes[-1].added == ["station-renamed"]
        assert watcher.state().refused == []  # the bad file is gone, so is its refusal
        assert "station-03" not in {d["doc_id"] for d in engine.documents()}
        assert "removed station-03" in publishes[-1].line()
    finally:
        watcher.stop()
    assert watcher.state().status == "stopped"


def test_a_half_written_file_is_read_only_when_its_writer_is_done(
        tmp_path: Path, fake_engine_factory: type[Engine]) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    publishes: list[Publish] = []
    engine = fake_engine_factory()
    watcher = FolderWatcher(engine, [folder], FAST, on_publish=publishes.append).start()
    data = make_pdf(CARD_PDF_PAGES)
    try:
        _wait(lambda: watcher.state().status == "watching", 30, "the first pass")

        def slow_writer() -> None:
            with (folder / "card.pdf").open("wb") as f:
                for i in range(0, len(data), len(data) // 5 + 1):
                    f.write(data[i:i + len(data) // 5 + 1])
                    f.flush()
                    time.sleep(0.3)  # longer than the watcher's quiet time, shorter than settle_s

        writer = threading.Thread(target=slow_writer)
        writer.start()
        writer.join()
        _wait(lambda: any("card" in p.added for p in publishes), 60, "the PDF indexed")
        assert all(not p.refused for p in publishes), [p.line() for p in publishes]
        hit = engine.search("白金卡的信用额度", top_k=1).hits[0]
        assert (hit.doc_id, hit.citation.page) == ("card", 2)
    finally:
        watcher.stop()
