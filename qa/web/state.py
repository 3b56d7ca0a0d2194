"""What the chat keeps between requests: the turns of a conversation, the outcome of each upload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from qa.documents import ArticleRecord, DateRange
from qa.results import AnswerResult, IngestReport, SourcePreview
from qa.results.timeline import Timeline


@dataclass
class Turn:
    """One question of a conversation and what became of it."""

    question: str  # as the reader typed it
    searched_for: str  # the standalone question used for retrieval and the answer
    k: int
    dates: DateRange | None = None
    as_of: date | None = None  # the day "this week" in the question means; None: today
    # Known before the model writes: what the answer is written from (None: not yet); when `declined`,
    # the answer was declined before the model and these are the closest articles.
    sources: tuple[SourcePreview, ...] | None = None
    declined: bool = False
    result: AnswerResult | None = None
    timeline: Timeline | None = None  # the answer to a question asking how a story developed
    error: str | None = None
    scope: str = ""  # what was searched, said when nothing was found


@dataclass(frozen=True)
class FileOutcome:
    """What an upload did with one file: added / unchanged / replaced / rejected, and why."""

    name: str
    outcome: str
    detail: str


def plural(count: int, noun: str) -> str:
    """`count noun` with an English plural ("1 article", "2 articles")."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def file_outcome(name: str, report: IngestReport) -> FileOutcome:
    """One uploaded file's result from the report of its ingest."""
    counts = {
        "added": len(report.added),
        "replaced": len(report.replaced),
        "unchanged": len(report.unchanged),
    }
    reasons = [r.reason for r in report.rejected]
    done = [f"{label} {plural(n, 'article')}" for label, n in counts.items() if n]
    if not done:
        return FileOutcome(name, "rejected", "; ".join(dict.fromkeys(reasons)) or "nothing to index")
    outcome = next(label for label, n in counts.items() if n)
    detail = ", ".join(done)
    if report.chunks_written:
        detail += f"; {plural(report.chunks_written, 'chunk')} written"
    if reasons:
        detail += f"; {plural(len(reasons), 'record')} rejected: " + "; ".join(dict.fromkeys(reasons))
    if report.not_fetched:
        detail += f"; {len(report.not_fetched)} not fetched again (unchanged since the last fetch)"
    if report.notes:
        detail += "; " + "; ".join(f"{n.origin}: {n.text}" for n in report.notes)
    return FileOutcome(name, outcome, detail)


def filter_articles(
    records: Sequence[ArticleRecord], query: str, stories: Mapping[str, str] | None = None
) -> list[ArticleRecord]:
    """The records whose title, outlet, date, id, URL or story (`stories`: article id -> the story's
    name and id) contain every word of `query` (any case)."""
    words = query.lower().split()
    named = stories or {}
    chosen = []
    for record in records:
        fields = (record.title, record.source, record.published, record.id, record.url, named.get(record.id))
        haystack = " ".join(x for x in fields if x).lower()
        if all(word in haystack for word in words):
            chosen.append(record)
    return sorted(chosen, key=lambda r: (r.published or "", r.title), reverse=True)


def article_choices(records: Sequence[ArticleRecord]) -> list[tuple[str, str]]:
    """(label, id) pairs for the delete picker."""
    return [(f"{r.title} · {r.source or '—'} · {r.published or '—'} · {r.id[:12]}", r.id) for r in records]
