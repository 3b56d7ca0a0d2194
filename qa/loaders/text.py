"""Plain text files (.txt, .md): the whole file is one article, text kept as is (cleaning comes later)."""

from __future__ import annotations

import re
from pathlib import Path

from qa.documents import RawArticle, Rejected
from qa.loaders.base import LoadResult

_UTF8_BOM = b"\xef\xbb\xbf"
# C0 control characters other than tab, newline, carriage return and form feed: never in real prose.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we accept."""


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else cp1252; refuse bytes that look binary."""
    if b"\x00" in data:
        raise DecodeError("binary data (NUL bytes), not a text file")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Old Windows exports are the common non-UTF-8 case for news text.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            raise DecodeError("not valid UTF-8 or cp1252 text") from err
    if len(_CONTROL_CHARS.findall(text)) > max(3, len(text) // 100):
        raise DecodeError("binary data (many control characters), not a text file")
    return text


def decode_or_reject(path: Path, data: bytes) -> str | Rejected:
    """The file's text, or a `Rejected` saying why it is not text."""
    try:
        return decode_text(data)
    except DecodeError as err:
        return Rejected(str(path), str(err))


def load_text(path: Path, data: bytes) -> LoadResult:
    """A .txt or .md file: one article, its text exactly as written."""
    text = decode_or_reject(path, data)
    if isinstance(text, Rejected):
        yield text
        return
    if not text.strip():
        yield Rejected(str(path), "empty file")
        return
    yield RawArticle(text=text, origin=str(path))
