"""Progress on stderr for ingest, fetching and eval: tqdm bars on a terminal, plain lines elsewhere.

tqdm redraws its bars with carriage returns and, for a second bar, cursor movements (ESC [A). Written to
a log file or a pipe those arrive as junk ("[A" in CI logs), so when the stream is not a terminal a bar
becomes a plain line every LINE_INTERVAL_S seconds and one when it ends.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO

from qa.text.durations import format_duration

LINE_INTERVAL_S = 30.0


class Progress(Protocol):
    """What the callers use of a tqdm bar: a count, a total that may grow, and closing."""

    total: float | None

    def update(self, n: float = 1) -> object:
        """Count `n` more steps done."""
        ...

    def refresh(self) -> object:
        """Show the bar again (after `total` changed)."""
        ...

    def close(self) -> None:
        """The work is over: a last line, if any."""
        ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc_info: object) -> object: ...


def progress_bar(
    desc: str, unit: str, *, total: int | None = None, enabled: bool = True, stream: TextIO | None = None
) -> Progress:
    """A progress display on `stream` (default stderr): a tqdm bar on a terminal, plain lines on anything
    else, nothing when not `enabled`."""
    stream = stream if stream is not None else sys.stderr
    if enabled and is_terminal(stream):
        from tqdm import tqdm

        bar: Progress = tqdm(total=total, desc=desc, unit=unit, file=stream)
        return bar
    return LineProgress(desc, unit, total=total, stream=stream if enabled else None)


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class LineProgress:
    """Progress as plain lines, for logs and pipes: `Embedding: 1,200/9,846 chunks (12 %), 35 s, about
    4 min left`, at most one every LINE_INTERVAL_S seconds, and a last one on close. Silent without a
    stream."""

    def __init__(
        self,
        desc: str,
        unit: str,
        *,
        total: float | None = None,
        stream: TextIO | None = None,
        interval_s: float = LINE_INTERVAL_S,
    ) -> None:
        self.desc, self.unit, self.total = desc, unit, total
        self.n: float = 0
        self._stream = stream
        self._interval_s = interval_s
        self._started = self._last_line = time.monotonic()
        self._closed = False

    def update(self, n: float = 1) -> None:
        """Count `n` more steps; write a line when the last one is old enough."""
        self.n += n
        if self._stream is not None and time.monotonic() - self._last_line >= self._interval_s:
            self._write(final=False)

    def refresh(self) -> None:
        """Nothing to redraw: the next line shows the new total."""

    def close(self) -> None:
        """Write the last line (once), when anything was counted or expected."""
        if self._closed:
            return
        self._closed = True
        if self._stream is not None and (self.n or self.total):
            self._write(final=True)

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def line(self, *, final: bool) -> str:
        """The text of one progress line."""
        elapsed = time.monotonic() - self._started
        counted = self.total or self.n
        units = self.unit if counted == 1 else f"{self.unit}s"
        done = f"{self.n:,.0f}"
        if self.total:
            done += f"/{self.total:,.0f} {units} ({100 * self.n / self.total:.0f} %)"
        else:
            done += f" {units}"
        text = f"{self.desc}: {done}, {format_duration(elapsed)}"
        if not final and self.total and 0 < self.n < self.total:
            text += f", about {format_duration(elapsed * (self.total - self.n) / self.n)} left"
        return text

    def _write(self, *, final: bool) -> None:
        assert self._stream is not None
        self._last_line = time.monotonic()
        self._stream.write(self.line(final=final) + "\n")
        self._stream.flush()
