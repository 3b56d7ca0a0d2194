"""The one answer stream: iterate it for the answer text as it is written, then read `.result`."""

from __future__ import annotations

from collections.abc import Generator, Iterator

from qa.results import AnswerResult


class AnswerStream:
    """Pieces of a checked answer as they arrive; `result` finishes the answer if needed and returns it.

    Like a file, it is read once: iterating again yields nothing more, and `text` is what was read.
    """

    def __init__(self, pieces: Generator[str, None, AnswerResult]) -> None:
        self._pieces = pieces
        self._result: AnswerResult | None = None
        self._text: list[str] = []

    def __iter__(self) -> Iterator[str]:
        while (piece := self._next()) is not None:
            yield piece

    def _next(self) -> str | None:
        if self._result is not None:
            return None
        try:
            piece = next(self._pieces)
        except StopIteration as finished:
            self._result = finished.value
            return None
        self._text.append(piece)
        return piece

    @property
    def result(self) -> AnswerResult:
        """The finished answer with its citations, timings and counts (reads the rest of the stream)."""
        while self._next() is not None:
            pass
        assert self._result is not None  # the generator always returns a result
        return self._result

    @property
    def text(self) -> str:
        """The answer text streamed so far."""
        return "".join(self._text)
