"""End to end: `streamlit run ui/app.py` driven by headless Debian Chromium through Playwright."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ui_fake_api import free_port

from ui import launch

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "信用卡一般分为哪几类?"

pytestmark = pytest.mark.slow


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not healthy after {seconds}s")


@pytest.fixture
def streamlit_url(api_url: str, tmp_path: Path) -> Iterator[str]:
    """The page served by a real streamlit process pointed at `api_url`; stopped afterwards."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    proc = launch.run(port, api_url, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_ask_in_a_real_browser(streamlit_url: str) -> None:
    from playwright import sync_api  # the [test] extra; `make test` installs Debian's chromium

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} not installed (make test runs apt-get install chromium)"
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(streamlit_url, wait_until="domcontentloaded")
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=30_000)
            page.get_by_test_id("stMetric").first.wait_for(timeout=30_000)
            box.fill(QUESTION)
            box.press("Enter")
            page.locator(".aq-answer").first.wait_for(timeout=30_000)
            assert page.locator(".aq-answer").first.inner_text().strip()
            link = page.locator("a.aq-title").first
            link.wait_for(timeout=10_000)
            assert (link.get_attribute("href") or "").startswith("http")
            assert link.inner_text().strip()
            assert page.get_by_text(QUESTION).first.is_visible()
            page.wait_for_timeout(500)  # let fonts and layout settle
            shot = artifacts / "ui-e2e.png"
            page.screenshot(path=str(shot))
            page.set_viewport_size({"width": 390, "height": 1200})
            page.wait_for_timeout(500)
            page.screenshot(path=str(artifacts / "ui-e2e-narrow.png"))
        finally:
            browser.close()
    # docs/screenshot.png is refreshed by hand from artifacts/ui-e2e.png (a test must not edit tracked files).
    assert shot.stat().st_size > 10_000


def test_followup_and_open_the_article_in_a_real_browser(streamlit_url: str) -> None:
    """Ask, follow up, see the follow-up's answer and what it was read as, open 查看原文 and find the quote
    marked and scrolled into view inside the article."""
    from playwright import sync_api

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} not installed (make test runs apt-get install chromium)"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(streamlit_url, wait_until="domcontentloaded")
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=30_000)
            page.get_by_test_id("stMetric").first.wait_for(timeout=30_000)
            box.fill("信用卡产品经理要懂哪些金融知识?")
            box.press("Enter")
            page.locator(".aq-answer").first.wait_for(timeout=30_000)
            box.fill("那法规呢?")
            box.press("Enter")
            page.locator(".aq-answer").nth(1).wait_for(timeout=30_000)
            answer = page.locator(".aq-answer").nth(1).inner_text().strip()
            assert "法规" in answer
            context = page.locator(".aq-context")
            context.first.wait_for(timeout=10_000)
            assert context.count() == 1  # only under the follow-up
            assert "按上下文理解为" in context.first.inner_text() and "那法规呢" in context.first.inner_text()
            reply = page.get_by_test_id("stChatMessage").nth(3)
            quote = reply.locator(".aq-quote").first.inner_text().strip()
            assert quote and quote in answer
            reply.get_by_role("button", name="查看原文").first.click()
            dialog = page.get_by_role("dialog")
            cited = dialog.locator("mark.aq-cited").first
            cited.wait_for(timeout=30_000)
            assert quote in "".join(dialog.locator("mark.aq-cited").all_inner_texts())
            assert "所在章节:二、掌握金融知识和法规" in dialog.locator(".aq-article-meta").inner_text()
            link = dialog.locator("a.aq-article-link")
            assert (link.get_attribute("href") or "").startswith("https://")
            page.wait_for_function(
                """() => {
                    const m = document.querySelector('[role=dialog] mark.aq-cited');
                    const box = document.querySelector('[role=dialog] .aq-article');
                    if (!m || !box || box.scrollTop === 0) return false;
                    const a = m.getBoundingClientRect(), b = box.getBoundingClientRect();
                    return a.top >= b.top && a.bottom <= b.bottom;
                }""",
                timeout=10_000,
            )
            page.wait_for_timeout(300)
            artifacts = ROOT / "artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "ui-e2e-article.png"))
        finally:
            browser.close()
