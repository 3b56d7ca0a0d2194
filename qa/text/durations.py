"""The one duration parser, intervals as people type them (`30s`, `15m`, `2h`, `1h30m`), and the one
way durations are written for people (`35 s`, `12 min 5 s`)."""

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


def format_duration(seconds: float) -> str:
    """A duration for people: `4.2 s`, `35 s`, `12 min 5 s`, `2 h 3 min`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
