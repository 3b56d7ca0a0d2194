"""The one duration parser: intervals as people type them (`30s`, `15m`, `2h`, `1h30m`)."""

from __future__ import annotations

import re

from qa.errors import InvalidInputError, quoted

_PART = re.compile(r"(\d+(?:\.\d+)?)([smh])")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_interval(text: str, label: str = "--every") -> float:
    """Seconds in an interval such as `30s`, `15m`, `2h` or `1h30m`; InvalidInputError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    seconds = sum(float(number) * _SECONDS[unit] for number, unit in parts)
    if not parts or "".join(n + u for n, u in parts) != compact or seconds <= 0:
        raise InvalidInputError(f"{label} must be an interval such as 30s, 15m or 2h, not {quoted(text)}")
    return seconds
