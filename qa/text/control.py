"""Control characters, terminal escape sequences and lone surrogates: never text, never shown to a terminal
or a model."""

from __future__ import annotations

import re
from typing import Any, TextIO

# C0 and C1 control characters except tab, line feed and carriage return (line breaks are handled by
# whoever needs them).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Terminal escape sequences (colours, cursor moves, window titles), removed whole, not just their ESC
# byte, so "Out\x1b[2Klet" becomes "Outlet".
ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def strip_control(text: str) -> str:
    """`text` without escape sequences and control characters (tabs and line breaks stay)."""
    return CONTROL_CHARS.sub("", ESCAPE_SEQUENCE.sub("", text))


def is_utf8(text: str) -> bool:
    """False when `text` holds a lone surrogate: a file name's undecodable byte as Python keeps it, or a
    broken escape such as JSON's "\\ud800"; such text cannot be written as UTF-8 (Chroma, JSON, terminals)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TerminalSafe:
    """stdout that drops escape sequences and control characters: titles, outlets, answers and quotes
    come from articles, and must not move the cursor, recolour or retitle the reader's terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write `text` without escape sequences, control characters or carriage returns."""
        return self._stream.write(strip_control(text).replace("\r", ""))

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
