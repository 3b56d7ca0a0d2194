"""Plain text files (.txt, .md): the whole file is one article, text kept as is (cleaning comes later)."""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from qa.documents import RawArticle, Rejected
from qa.loaders.base import LoadResult

_UTF8_BOM = b"\xef\xbb\xbf"
# Byte order marks of the wider Unicode encodings; UTF-32 first, as its LE mark starts like UTF-16's.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# C0 control characters other than tab, newline, carriage return and form feed: never in real prose.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# A well-formed UTF-8 sequence of two to four bytes: evidence that a file is UTF-8 (other encodings
# rarely produce them by chance).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

log = logging.getLogger(__name__)


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we accept."""


def decode_text(data: bytes, where: str = "text") -> str:
    """Decode by evidence: a BOM (UTF-8/16/32), else UTF-16's NUL pattern, else UTF-8, else the likeliest
    legacy encoding.

    UTF-8 with a few bad bytes stays UTF-8 with only those bytes replaced (logged with their offsets),
    never a whole file of mojibake; bytes that look binary are refused.
    """
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding))
            except UnicodeDecodeError as err:
                raise DecodeError(f"not valid {encoding.upper()} text despite its byte order mark") from err
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise DecodeError("binary data (NUL bytes), not a text file")
        log.info("%s: decoded as UTF-16 without a byte order mark", where)
        return _checked(text)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # One U+FFFD per invalid sequence (those that were in the file already are not counted).
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd") - data.count("\ufffd".encode())
    if len(_UTF8_MULTIBYTE.findall(data)) >= bad:
        # Mostly UTF-8: replace only the bad bytes (a stray byte from a copy-paste or a cut download).
        first = _invalid_utf8_offsets(data, limit=5)
        shown = ", ".join(map(str, first)) + (" …" if bad > len(first) else "")
        log.warning(
            "%s: %d invalid UTF-8 byte(s) replaced with U+FFFD at byte offset(s) %s", where, bad, shown
        )
        return _checked(replaced)
    return _checked(_decode_legacy(data))


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 (LE or BE) without a byte order mark, else None. Evidence: the zero high byte
    of ASCII-range characters puts NULs on one side of each byte pair only, and the result reads as text."""
    if len(data) < 4 or len(data) % 2:
        return None
    pairs = len(data) // 2
    # Little-endian keeps the high (zero) byte second: NULs at odd offsets.
    for nuls, other_side, encoding in (
        (data[1::2].count(0), data[0::2].count(0), "utf-16-le"),
        (data[0::2].count(0), data[1::2].count(0), "utf-16-be"),
    ):
        if nuls >= pairs // 10 and other_side <= pairs // 100:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return text if _reads_as_text(text) else None
    return None


# Unicode categories that prose never holds: controls, unassigned code points, private use, surrogates.
_NOT_TEXT_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs"})


def _reads_as_text(text: str) -> bool:
    """Whether at most 1% of `text` is characters that prose never holds (line breaks and tabs are prose)."""
    odd = sum(1 for ch in text if ch not in "\t\n\r\f" and unicodedata.category(ch) in _NOT_TEXT_CATEGORIES)
    return odd <= len(text) // 100


def _invalid_utf8_offsets(data: bytes, *, limit: int) -> list[int]:
    """Byte offsets of the first `limit` invalid UTF-8 sequences (for the warning; bounded work)."""
    offsets: list[int] = []
    start = 0
    while start < len(data) and len(offsets) < limit:
        try:
            data[start:].decode("utf-8")
            break
        except UnicodeDecodeError as err:
            offsets.append(start + err.start)
            start += err.end
    return offsets


# Single-byte code pages for Latin-script text: on short texts charset-normalizer ranks them equal, and
# for news in these languages cp1252 (Windows' Western default, a superset of Latin-1's letters) is the
# likeliest by far.
_LATIN_CODE_PAGES = frozenset(
    """cp1250 cp1252 cp1254 cp1257 cp1258 latin_1 iso8859_1 iso8859_2 iso8859_3 iso8859_4 iso8859_9
    iso8859_10 iso8859_13 iso8859_14 iso8859_15 iso8859_16 mac_roman mac_iceland mac_turkish mac_latin2
    cp775 cp850 cp857 cp858""".split()
)


def _decode_legacy(data: bytes) -> str:
    """Text in a single-byte encoding: cp1252 for Latin-script text, else what charset-normalizer finds."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding not in _LATIN_CODE_PAGES | {"utf_8", "ascii"}:
        return str(best)  # Cyrillic, Greek, Hebrew ... code pages
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        if best is not None:
            return str(best)
        raise DecodeError("not valid UTF-8 or any single-byte encoding") from None


def _checked(text: str) -> str:
    if len(_CONTROL_CHARS.findall(text)) > max(3, len(text) // 100):
        raise DecodeError("binary data (many control characters), not a text file")
    return text


def decode_or_reject(path: Path, data: bytes) -> str | Rejected:
    """The file's text, or a `Rejected` saying why it is not text."""
    try:
        return decode_text(data, str(path))
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
