"""File-name sanitising, deterministic doc ids and encoding names of uploads (no server)."""

from __future__ import annotations

import pytest

from service.models import check_doc_id
from service.uploads import derive_doc_id, encoding_of, safe_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("article.txt", "article.txt"),
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\Users\\me\\文章.md", "文章.md"),
        ("a<b>|c.html", "a_b_c.html"),
        ("  .hidden.txt", "hidden.txt"),
        ("", "upload.txt"),
        (None, "upload.txt"),
        ("...", "upload.txt"),
        ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth.txt"),
        ("line\nbreak.txt", "line_break.txt"),
    ],
)
def test_safe_filename(raw: str | None, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_keeps_the_suffix_of_long_names() -> None:
    name = safe_filename("长" * 400 + ".md")
    assert name.endswith(".md") and len(name) <= 150


def test_derive_doc_id_is_deterministic() -> None:
    assert derive_doc_id("银行 产品/经理", "x") == derive_doc_id("银行 产品/经理", "y") == "银行-产品-经理"
    h = derive_doc_id("", "正文")
    assert h == derive_doc_id("   ", "正文") and h.startswith("doc-") and len(h) == 20
    assert derive_doc_id("!!!", "正文") == h
    check_doc_id(derive_doc_id("银行 产品/经理", ""))
    check_doc_id(h)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("中文".encode(), "utf-8"),
        ("中文".encode("gb18030"), "gb18030"),
        (b"\xef\xbb\xbfabc", "utf-8-sig"),
        ("中文".encode("utf-16"), "utf-16"),
        (b"plain ascii", "utf-8"),
    ],
)
def test_encoding_of(data: bytes, name: str) -> None:
    assert encoding_of(data) == name


@pytest.mark.parametrize("bad", ["a/b", "..", ".x", "-x", "", "x" * 121, "a b"])
def test_check_doc_id_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        check_doc_id(bad)
