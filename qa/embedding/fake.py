"""FAKE embedder for tests, registered as `QA_EMBEDDING_BACKEND=fake`: hashed bag of words, not a model."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.text.words import tokens

if TYPE_CHECKING:
    from qa.settings import Settings

FAKE_EMBEDDER_NAME = "fake-hashing-embedder"


class FakeEmbedder:
    """FAKE for unit tests: hashed bag-of-words vectors, so texts sharing words are similar. Not a model."""

    def __init__(self, dimension: int = 256, max_tokens: int = 254) -> None:
        self.name = FAKE_EMBEDDER_NAME
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.calls = 0  # texts embedded so far: lets tests prove that nothing was re-embedded

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Hashed word counts, normalised to unit length."""
        self.calls += len(texts)
        vectors = []
        for text in texts:
            vector = [0.0] * self.dimension
            for word in tokens(text):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vector[int.from_bytes(digest, "big") % self.dimension] += 1.0
            norm = math.sqrt(sum(x * x for x in vector)) or 1.0
            vectors.append([x / norm for x in vector])
        return vectors

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Whitespace-separated words stand in for word pieces."""
        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def index_name(settings: Settings) -> str:
    """What an index of the fake records: its fixed name."""
    return FAKE_EMBEDDER_NAME


def create(settings: Settings) -> FakeEmbedder:
    """The FAKE hashing embedder (tests)."""
    return FakeEmbedder()
