"""`qa list`: the indexed articles, or the stories they tell (--stories); their printing."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from qa.text.control import strip_control

if TYPE_CHECKING:
    from qa.service import NewsDesk


def run_list(desk: NewsDesk, args: argparse.Namespace) -> int:
    """Print the indexed articles (or, with --stories, the stories they tell), or their JSON."""
    if args.stories:
        return _list_stories(desk, args)
    articles = desk.list_articles()
    if args.json or not articles:
        return _print_json_or_empty(articles, args.json)
    for a in articles:
        meta = " · ".join(x for x in (a.source, a.published, f"{a.chunks} chunks") if x)
        print(f"{a.id}  {a.title}  ({meta})")
    return 0


def _list_stories(desk: NewsDesk, args: argparse.Namespace) -> int:
    stories = desk.stories()
    if args.json or not stories:
        return _print_json_or_empty(stories, args.json)
    records = {a.id: a for a in desk.list_articles()}
    shown = []
    linked = [s for s in stories if len(s.article_ids) > 1]
    for story in linked:
        span = " – ".join(dict.fromkeys(x for x in (story.first, story.last) if x)) or "undated"
        shown.append(f"{story.id}  {story.title}  ({len(story.article_ids)} articles · {span})")
        for article_id in story.article_ids:
            a = records[article_id]
            meta = " · ".join(x for x in (a.source, a.published) if x)
            shown.append(f"    {a.id}  {a.title}" + (f"  ({meta})" if meta else ""))
    alone = len(stories) - len(linked)
    shown.append(
        f"\n{len(linked)} {'story' if len(linked) == 1 else 'stories'} of several articles; "
        f"{alone} article{'' if alone == 1 else 's'} on "
        "a story of its own (`qa list` lists every article). `qa timeline --story STORY_ID` tells one."
    )
    print(strip_control("\n".join(shown)))  # titles come from articles
    return 0


def _print_json_or_empty(rows: Sequence[Any], as_json: bool) -> int:
    """The rows (dataclasses) as a JSON list, or the line that says nothing is indexed yet."""
    if as_json:
        print(json.dumps([asdict(row) for row in rows], indent=2, ensure_ascii=False))
    else:
        print("no articles indexed yet: run `qa ingest PATH`")
    return 0
