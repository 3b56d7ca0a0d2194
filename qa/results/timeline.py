"""What a timeline is, as every presenter reads it: dated steps, oldest first, each with its sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

DateSource = Literal["text", "published"]  # the day the sentence states, or its article's date


@dataclass(frozen=True)
class StepSource:
    """One article that tells a step, and the sentence of it that does (the quote)."""

    article_id: str
    title: str
    published: str | None
    quote: str
    url: str | None = None
    outlet: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The source as `qa timeline --json` and the API give it."""
        return {
            "article_id": self.article_id,
            "title": self.title,
            "published": self.published,
            "url": self.url,
            "outlet": self.outlet,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class TimelineStep:
    """One development of the story: the day it happened, one sentence saying it, and who reported it."""

    day: date
    date_source: DateSource
    text: str
    citations: tuple[StepSource, ...]

    def to_json(self) -> dict[str, Any]:
        """The step as `qa timeline --json` gives it."""
        return {
            "date": self.day.isoformat(),
            "date_source": self.date_source,
            "text": self.text,
            "citations": [c.to_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Silence:
    """Days between two steps' articles with no article of the story published."""

    since: date
    until: date

    def __str__(self) -> str:
        return f"no articles between {self.since.isoformat()} and {self.until.isoformat()}"


@dataclass(frozen=True)
class Timeline:
    """How a story developed, from the indexed articles: `steps` oldest first, and where they are silent."""

    topic: str
    steps: tuple[TimelineStep, ...]
    silences: tuple[Silence, ...]
    articles: int  # articles of the story the steps come from
    since: date | None = None
    until: date | None = None
    said: str | None = None  # why there are no steps, when there are none

    def entries(self, shown: int | None = None) -> list[TimelineStep | Silence]:
        """The first `shown` steps (None: all), each silence said before the first step on or after its
        start: the order every presenter lists them in."""
        silences = list(self.silences)
        entries: list[TimelineStep | Silence] = []
        for step in self.steps if shown is None else self.steps[:shown]:
            while silences and silences[0].since <= step.day:
                entries.append(silences.pop(0))
            entries.append(step)
        return entries

    def to_json(self) -> dict[str, Any]:
        """The timeline as `qa timeline --json` gives it."""
        return {
            "topic": self.topic,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "articles": self.articles,
            "steps": [s.to_json() for s in self.steps],
            "silences": [{"since": g.since.isoformat(), "until": g.until.isoformat()} for g in self.silences],
            "said": self.said,
        }
