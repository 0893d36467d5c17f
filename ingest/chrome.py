"""Page chrome of Chinese article sites: where the article ends, and the metadata found in the chrome."""

from __future__ import annotations

import re

# A line that starts one of these ends the article: everything after it is site furniture
# (copyright notice, publisher line, prev/next links, teasers of other articles, comments).
_END_MARKERS = re.compile(
    r"^(版权声明|声明[:：]|免责声明|如发现本站|发布者[:：]|本文(来源|作者)[:：].*转载|"
    r"转[转载]请注明出处|上一篇|下一篇|相关推荐|相关阅读|相关文章|猜你喜欢|热门推荐|"
    r"发表回复|发表评论|登录后才能评论|评论列表|打赏|分享到)"
)
# Single chrome lines that can also appear before the end marker.
_NOISE_LINE = re.compile(
    r"^(\(\d+\)|（\d+）|打赏.*扫一扫.*|.*微信扫一扫.*|关注微信.*|分享到.*|点赞|收藏|阅读\s*\d+|\d{3})$"
)
_URL = re.compile(r"(?:转[转载]请注明出处|原文链接|来源|出处)\s*[:：]\s*(https?://[^\s，,。)）]+)")
_PUBLISHER = re.compile(r"发布者\s*[:：]\s*([^,，\s]+)")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}:\d{2}(?::\d{2})?))?")
_PUBLISHED = re.compile(r"(?:发布(?:时间|日期|于)|日期|时间)\s*[:：]?\s*(\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?)")


def is_end_marker(line: str) -> bool:
    """True for the first line of the chrome that follows the article body."""
    return bool(_END_MARKERS.match(line.strip()))


def is_noise_line(line: str) -> bool:
    """True for short furniture lines (counters, share buttons) anywhere in the page."""
    return bool(_NOISE_LINE.match(line.strip()))


def chrome_metadata(lines: list[str]) -> dict[str, str]:
    """Source URL, publisher and dates found in the chrome lines after the article."""
    meta: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        if "url" not in meta and (m := _URL.search(line)):
            meta["url"] = m.group(1)
        if "publisher" not in meta and (m := _PUBLISHER.search(line)):
            meta["publisher"] = m.group(1)
        if "published_at" not in meta and (m := _PUBLISHED.search(line)):
            meta["published_at"] = m.group(1)
        for key, prefix in (("previous_article_date", "上一篇"), ("next_article_date", "下一篇")):
            if key not in meta and line.startswith(prefix) and (m := _DATE.search(line)):
                meta[key] = _iso_date(m)
    return meta


def _iso_date(m: re.Match[str]) -> str:
    y, mo, d, t = m.groups()
    date = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
    return f"{date}T{t}" if t else date
