"""Reader for Markdown articles: `#` headings open sections, the first `# ` heading is the title."""

from __future__ import annotations

import re

from ingest.types import Article
from ingest.webpage import Line, parse_lines

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FRONT_MATTER_TITLE = re.compile(r"^title\s*:\s*(.+)$", re.IGNORECASE)


def read_markdown(text: str, doc_id: str, source: str = "") -> Article:
    """Parse Markdown; body lines keep their markup so offsets stay true to what was written."""
    lines = text.split("\n")
    title = ""
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            for fm in lines[1:end]:
                if m := _FRONT_MATTER_TITLE.match(fm.strip()):
                    title = m.group(1).strip().strip("\"'")
            lines = lines[end + 1 :]
    out: list[Line] = []
    in_code = False
    for raw in lines:
        if raw.strip().startswith("```"):
            in_code = not in_code
            continue
        m = None if in_code else _ATX.match(raw.strip())
        if m and not title and len(m.group(1)) == 1:
            title = m.group(2)
        elif m:
            out.append(Line(m.group(2), heading=True))
        else:
            out.append(Line(raw, heading=False if in_code else None))
    return parse_lines(out, doc_id, source=source, title=title)
