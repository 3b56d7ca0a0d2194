"""Stage 3: split a cleaned article into overlapping, sentence-aligned chunks that fit the embedding model.

Lengths are measured in the embedding model's own word pieces (its tokenizer's offsets), so no chunk is
ever silently truncated by the model.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.documents import Article, Chunk
from qa.text.sentences import split_sentences

TokenOffsets = Callable[[str], Sequence[tuple[int, int]]]
"""Character spans of each token of a text, special tokens excluded."""


@dataclass(frozen=True)
class ChunkingConfig:
    """How to cut: at most `max_tokens` word pieces a chunk, about `overlap_tokens` shared with the last."""

    max_tokens: int
    overlap_tokens: int

    def __post_init__(self) -> None:
        if self.max_tokens < 1 or not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(f"invalid chunking config: {self}")


def chunk_id(article_id: str, index: int) -> str:
    """Deterministic chunk id: the article id plus the chunk's position."""
    return f"{article_id}#{index}"


def chunk_article(article: Article, config: ChunkingConfig, token_offsets: TokenOffsets) -> list[Chunk]:
    """Cut `article.text` into chunks of whole sentences (a sentence too long alone is cut at tokens)."""
    text = article.text
    offsets = token_offsets(text)
    token_starts = [start for start, _ in offsets]
    token_ends = [end for _, end in offsets]
    pieces = _pieces(text, token_starts, token_ends, config.max_tokens)
    spans = _pack(pieces, config)
    return [
        Chunk(
            id=chunk_id(article.id, i),
            article_id=article.id,
            index=i,
            text=text[start:end],
            start=start,
            end=end,
        )
        for i, (start, end) in enumerate(spans)
    ]


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    tokens: int


def _pieces(text: str, token_starts: list[int], token_ends: list[int], max_tokens: int) -> list[_Piece]:
    """Sentences with their token counts; sentences longer than `max_tokens` are cut at token bounds."""
    pieces: list[_Piece] = []
    for start, end in split_sentences(text):
        first = bisect.bisect_left(token_starts, start)
        last = bisect.bisect_left(token_starts, end)  # exclusive
        count = last - first
        if count <= max_tokens:
            pieces.append(_Piece(start, end, count))
            continue
        for window in range(first, last, max_tokens):
            window_end = min(window + max_tokens, last)
            pieces.append(_Piece(token_starts[window], token_ends[window_end - 1], window_end - window))
    return pieces


def _pack(pieces: list[_Piece], config: ChunkingConfig) -> list[tuple[int, int]]:
    """Greedily fill chunks with pieces, starting each new chunk with the tail of the previous one."""
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        total = 0
        last = first
        while last < len(pieces) and total + pieces[last].tokens <= config.max_tokens:
            total += pieces[last].tokens
            last += 1
        last = max(last, first + 1)  # a piece is never larger than max_tokens, so this only guards
        spans.append((pieces[first].start, pieces[last - 1].end))
        if last >= len(pieces):
            break
        # Overlap: step back over whole trailing pieces that fit the overlap budget, but always advance.
        next_first = last
        overlap = 0
        while next_first - 1 > first and overlap + pieces[next_first - 1].tokens <= config.overlap_tokens:
            next_first -= 1
            overlap += pieces[next_first].tokens
        first = next_first
    return spans
