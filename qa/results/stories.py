"""A story: the indexed articles that tell one story (grouped by qa/retrieval/stories.py)."""

from __future__ import annotations

from collections.abc import Iterable
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
