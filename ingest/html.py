"""Reader for HTML pages: visible block text only; scripts, styles and navigation are dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ingest.types import Article
from ingest.webpage import Line, parse_lines

_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
         "iframe", "button", "select", "head"}
_BLOCK = {"p", "div", "section", "article", "main", "li", "dd", "dt", "blockquote", "pre", "tr", "td",
          "th", "table", "ul", "ol", "dl", "figcaption", "br", "hr", "body", "h1", "h2", "h3", "h4",
          "h5", "h6"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self.title = ""
        self._buf: list[str] = []
        self._skip_depth = 0
        self._heading: str | None = None
        self._in_title = False
        self._title_buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP and tag not in _VOID:
            self._skip_depth += 1
            return
        if tag in _BLOCK:
            self._flush()
        if tag in _HEADINGS:
            self._heading = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            self.title = "".join(self._title_buf).strip()
        if tag in _SKIP and tag not in _VOID:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in _BLOCK:
            self._flush()
        if tag in _HEADINGS:
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_buf.append(data)
            return
        if self._skip_depth:
            return
        self._buf.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        self._buf = []
        if not text or self._skip_depth:
            return
        if self._heading == "h1" and not any(ln.heading for ln in self.lines) and not self.lines:
            self.lines.append(Line(text, heading=True))  # the page's own title
        else:
            self.lines.append(Line(text, heading=True if self._heading else None))

    def close(self) -> None:
        super().close()
        self._flush()


# Marked sections Python's html.parser knows; any other `<![…` (a page's "<![doctype html>") makes it raise
# AssertionError, so it is escaped first and read as text.
_UNKNOWN_MARKED = re.compile(r"<!\[(?!(?:cdata|temp|ignore|include|rcdata|if|else|endif)\b)", re.IGNORECASE)


def read_html(text: str, doc_id: str, source: str = "") -> Article:
    """Parse an HTML page into an Article; the `<h1>` (or `<title>`) is the title."""
    collector = _TextCollector()
    try:
        collector.feed(_UNKNOWN_MARKED.sub("&lt;![", text))
        collector.close()
    except AssertionError:  # html.parser's way of refusing a malformed declaration: read it as text
        collector = _TextCollector()
        collector.feed(text.replace("<!", "&lt;!"))
        collector.close()
    lines = collector.lines
    title = ""
    if lines and lines[0].heading:
        title = lines[0].text
        lines = lines[1:]
    elif collector.title:
        title = collector.title
    return parse_lines(lines, doc_id, source=source, title=title)
