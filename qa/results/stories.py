"""A story: the indexed articles that tell one story (grouped by qa/retrieval/stories.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    """Articles that tell one story, oldest first; named by its earliest article (id and headline)."""

    id: str
    title: str
    article_ids: tuple[str, ...]
    first: str | None  # the earliest publication day among its articles
    last: str | None


def stories_by_article(stories: Iterable[Story]) -> dict[str, Story]:
    """Each article's story."""
    return {article_id: story for story in stories for article_id in story.article_ids}


def with_first_story(found: Sequence[str], stories: Iterable[Story]) -> list[str]:
    """`found` (article ids, best first) and then the other articles of the first one's story."""
    first = stories_by_article(stories).get(found[0]) if found else None
    return list(dict.fromkeys([*found, *(first.article_ids if first else ())]))
