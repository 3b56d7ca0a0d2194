"""The evaluation corpus: its own collection, named after its content, and read back from the index."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.documents import Chunk
from qa.service.evaluation import Evaluation


@dataclass
class Corpus:
    """The evaluation articles as the index holds them: their text, titles and the very same chunks."""

    texts: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    chunks: list[Chunk] = field(default_factory=list)


def read_corpus(evaluation: Evaluation) -> Corpus:
    """The indexed articles read back from the store (nothing re-chunked, so nothing can drift)."""
    chunks = list(evaluation.indexed_chunks())
    by_article: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        by_article[chunk.article_id].append(chunk)
    return Corpus(
        texts={article_id: joined_text(parts) for article_id, parts in by_article.items()},
        titles={record.id: record.title for record in evaluation.desk.list_articles()},
        chunks=chunks,
    )


def joined_text(chunks: Iterable[Chunk]) -> str:
    """An article's text from its overlapping chunks, laid at their offsets (gaps between them are spaces)."""
    text = ""
    for chunk in sorted(chunks, key=lambda c: c.start):
        if chunk.end <= len(text):
            continue  # inside what the previous chunks already laid down
        if chunk.start > len(text):
            text += " " * (chunk.start - len(text))  # whitespace between sentences is not in any chunk
        text += chunk.text[len(text) - chunk.start :]
    return text


def corpus_hash(articles: Path, index_settings: Mapping[str, Any]) -> str:
    """SHA-256 of the corpus file's bytes and the index settings (chunking, embedding model)."""
    digest = hashlib.sha256()
    with Path(articles).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(json.dumps(dict(index_settings), sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def collection_for(corpus_sha256: str) -> str:
    """The evaluation collection's name: `eval-` plus 12 hex digits (Chroma's 3-63 char name rule)."""
    return f"eval-{corpus_sha256[:12]}"
