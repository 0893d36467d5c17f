"""Turn uploaded or on-disk bytes into text, naming the encoding when it cannot."""

from __future__ import annotations

import codecs
import re

from ingest.errors import ArticleqaError

# C0/C1 control characters other than tab and newlines carry no meaning in an article.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class DecodeError(ArticleqaError, ValueError):
    """The bytes are not text in an encoding we accept."""


def decode_bytes(data: bytes, name: str = "<bytes>") -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK; refuse binary data."""
    # A byte-order mark names the encoding: bytes that do not follow it are refused, not guessed at.
    if data.startswith(codecs.BOM_UTF8):
        return _clean(_decode_marked(data, "utf-8", name, skip=len(codecs.BOM_UTF8)))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _clean(_decode_marked(data, "utf-16", name, skip=0))
    if b"\x00" in data[:8192]:
        raise DecodeError(f"{name}: looks like binary data (NUL bytes), expected UTF-8 or GB18030 text")
    try:
        return _clean(data.decode("utf-8", errors="strict"))
    except UnicodeDecodeError as utf8_error:
        try:
            # GB18030 is a superset of GBK and GB2312, the legacy encodings of Chinese web pages.
            return _clean(data.decode("gb18030", errors="strict"))
        except UnicodeDecodeError:
            raise DecodeError(
                f"{name}: not valid UTF-8 (byte {utf8_error.start}: {data[utf8_error.start:utf8_error.start + 4]!r})"
                " nor GB18030/GBK; re-save the file as UTF-8"
            ) from None


def _decode_marked(data: bytes, encoding: str, name: str, skip: int) -> str:
    """Decode data[skip:], whose byte-order mark says `encoding`; DecodeError naming the file and the byte."""
    try:
        return data[skip:].decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{name}: starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()} "
            f"(byte {skip + exc.start}: {exc.reason}); re-save the file as UTF-8"
        ) from None


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def is_probably_gb18030(data: bytes) -> bool:
    """True when the bytes are not UTF-8 but decode as GB18030 (used to report the encoding)."""
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        try:
            data.decode("gb18030")
            return True
        except UnicodeDecodeError:
            return False
