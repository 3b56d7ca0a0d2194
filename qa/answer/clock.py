"""Timing a streamed answer: first piece, last piece, and decoding speed."""

from __future__ import annotations

import time
from collections.abc import Iterable

from qa.results import Generation, Timings


class GenerationClock:
    """Times a streamed generation: first piece, last piece, and pieces per second of decoding."""

    def __init__(self, request_started: float) -> None:
        self._request_started = request_started
        self._started = self._first = self._finished = time.perf_counter()
        self._pieces = 0

    def timed(self, pieces: Iterable[str]) -> Iterable[str]:
        """Pass `pieces` through, noting when the first and the last arrive."""
        for piece in pieces:
            if self._pieces == 0:
                self._first = time.perf_counter()
            self._pieces += 1
            yield piece
        self._finished = time.perf_counter()

    def timings(self, retrieval_ms: float) -> Timings:
        """Milliseconds by stage, the total up to now."""
        return Timings(
            retrieval_ms=retrieval_ms,
            first_token_ms=(self._first - self._request_started) * 1000 if self._pieces else None,
            generation_ms=(self._finished - self._started) * 1000,
            total_ms=ms_since(self._request_started),
        )

    def generation(self) -> Generation:
        """Pieces streamed, and pieces per second after the first (reading the prompt is not decoding)."""
        decoding_s = self._finished - self._first
        speed = (self._pieces - 1) / decoding_s if self._pieces > 1 and decoding_s > 0 else 0.0
        return Generation(tokens=self._pieces, tokens_per_s=speed)


def ms_since(started: float) -> float:
    """Milliseconds since `started` (a perf_counter reading)."""
    return (time.perf_counter() - started) * 1000
