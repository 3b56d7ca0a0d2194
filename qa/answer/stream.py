"""The one answer stream: what it is read from first (`sources`), then iterate it for the answer text as
it is written, then read `.result`."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from qa.results import AnswerResult, SourcePreview


@dataclass(frozen=True)
class Opening:
    """How an answer starts, known before the model: its sources, whether it is declined already, and
    the pieces to come (the generator's return value is the finished result)."""

    sources: tuple[SourcePreview, ...]
    declined: bool
    pieces: Generator[str, None, AnswerResult]


class AnswerStream:
    """Pieces of a checked answer as they arrive; `sources` are known before the first of them, and
    `result` finishes the answer if needed and returns it.

    Nothing runs until it is read (`sources`, iterating, `result`). Like a file, it is read once:
    iterating again yields nothing more, and `text` is what was read.
    """

    def __init__(self, start: Callable[[], Opening]) -> None:
        self._start = start
        self._opening: Opening | None = None
        self._result: AnswerResult | None = None
        self._text: list[str] = []

    @property
    def _opened(self) -> Opening:
        if self._opening is None:
            self._opening = self._start()
        return self._opening

    @property
    def sources(self) -> tuple[SourcePreview, ...]:
        """The sources the answer is written from, in the model's order, as soon as retrieval and the
        evidence judgment are done (before the model is asked); when `declined`, the closest articles
        that were judged (none, when nothing relevant was found)."""
        return self._opened.sources

    @property
    def declined(self) -> bool:
        """Is the answer declined before the model (the result will say why)?"""
        return self._opened.declined

    def __iter__(self) -> Iterator[str]:
        while (piece := self._next()) is not None:
            yield piece

    def _next(self) -> str | None:
        if self._result is not None:
            return None
        try:
            piece = next(self._opened.pieces)
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
