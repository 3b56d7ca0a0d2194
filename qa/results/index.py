"""What the facade reports about the index: ingest reports, saved sources, deleted articles, counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa.documents import Note, Rejected


@dataclass
class IngestReport:
    """What an ingest did, article by article (filled in while it runs)."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # older versions of an edited file
    rejected: list[Rejected] = field(default_factory=list)
    not_fetched: list[str] = field(default_factory=list)  # URLs unchanged since the last fetch (unchanged)
    notes: list[Note] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    @property
    def indexed(self) -> int:
        """Articles that are in the index after this ingest (added, unchanged or replaced)."""
        return len(self.added) + len(self.unchanged) + len(self.replaced)

    def summary(self) -> str:
        """One line for people: counts, then a line per rejected file with its reason."""
        head = (
            f"added {len(self.added)}, unchanged {len(self.unchanged)}, replaced {len(self.replaced)}, "
            f"rejected {len(self.rejected)} article(s); {self.chunks_written} chunk(s) written "
            f"in {self.seconds:.1f}s"
        )
        if self.removed:
            head += f"; removed {len(self.removed)} older version(s) of edited files"
        if self.not_fetched:
            head += f"; {len(self.not_fetched)} unchanged since the last fetch (not fetched again)"
        lines = [head] + [f"  rejected {r.origin}: {r.reason}" for r in self.rejected]
        lines += [f"  note {n.origin}: {n.text}" for n in self.notes]
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        """Machine-readable form for `qa ingest --json`."""
        return {
            "added": self.added,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "removed": self.removed,
            "rejected": [{"origin": r.origin, "reason": r.reason} for r in self.rejected],
            "not_fetched": self.not_fetched,
            "notes": [{"origin": n.origin, "note": n.text} for n in self.notes],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Source:
    """A feed or page saved for `qa refresh`."""

    name: str
    url: str
    added: str  # when it was saved (ISO time, UTC)


@dataclass(frozen=True)
class DeletedArticle:
    """An article `delete` removed, with the number of its chunks that went with it."""

    id: str
    title: str
    chunks: int


@dataclass(frozen=True)
class IndexStats:
    """Counts, and the settings the index was built with."""

    collection: str
    articles: int
    chunks: int
    embedding_model: str
    chunk_tokens: int | None
    chunk_overlap_tokens: int | None
    store: str  # where it lives, in words
    built: bool = True  # False: nothing indexed yet, the settings shown are those the first ingest will use
    last_refreshed: str | None = None  # when pages or feeds were last fetched into it (ISO time, UTC)

    def to_json(self) -> dict[str, Any]:
        """`qa stats --json`."""
        return {
            "index_built": self.built,
            "collection": self.collection,
            "articles": self.articles,
            "chunks": self.chunks,
            "embedding_model": self.embedding_model,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap_tokens": self.chunk_overlap_tokens,
            "store": self.store,
            # Only once there was a refresh: every value shown is a real one, never null.
            **({"last_refreshed": self.last_refreshed} if self.last_refreshed else {}),
        }
