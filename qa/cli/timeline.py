"""`qa timeline`: how a story developed, as dated, cited steps (issue 22); its arguments and its printing."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from qa.documents import DateRange
from qa.errors import UserError
from qa.results.timeline import Silence
from qa.text.control import strip_control
from qa.text.dates import check_day

if TYPE_CHECKING:
    from qa.service import NewsDesk


def add_timeline_command(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `timeline` subcommand and its arguments."""
    timeline = commands.add_parser(
        "timeline", parents=[common], help="how a story developed: dated, cited steps, oldest first"
    )
    timeline.add_argument(
        "topic", nargs="?", default="", help='the story, in quotes ("the Damar Hamlin story")'
    )
    timeline.add_argument(
        "--story", metavar="STORY_ID", help="the steps of one grouped story (`qa list --stories`)"
    )
    timeline.add_argument("--json", action="store_true", help="print the timeline as JSON")
    timeline.add_argument("--since", metavar="YYYY-MM-DD", help="only steps on or after this day")
    timeline.add_argument("--until", metavar="YYYY-MM-DD", help="only steps on or before this day")
    timeline.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help='the day it is asked on, for time words in the topic ("since Monday"); default today',
    )


def run_timeline(desk: NewsDesk, args: argparse.Namespace) -> int:
    """Print the timeline of the topic, or its JSON."""
    dates = DateRange.parse(args.since, args.until)  # a bad date fails here, before anything loads
    as_of = check_day(args.as_of, "--as-of") if args.as_of else None
    since, until = (dates.start, dates.end) if dates else (None, None)
    if not args.topic.strip() and not args.story:
        raise UserError("say which story: a topic in quotes, or --story STORY_ID (see `qa list --stories`)")
    timeline = desk.timeline(args.topic, since=since, until=until, as_of=as_of, story=args.story)
    if args.json:
        print(json.dumps(timeline.to_json(), indent=2, ensure_ascii=False))
        return 0
    if timeline.said:
        print(timeline.said)
        return 0
    shown = []
    for entry in timeline.entries():
        if isinstance(entry, Silence):
            shown.append(f"  ({entry})")
            continue
        dated = "" if entry.date_source == "text" else " (article's date)"
        shown.append(f"{entry.day.isoformat()}{dated}  {entry.text}")
        for c in entry.citations:
            meta = ", ".join(x for x in (c.outlet, c.published) if x)
            shown.append(f"    - {c.title}" + (f" ({meta})" if meta else "") + (f" {c.url}" if c.url else ""))
    print(strip_control("\n".join(shown)))  # steps and titles come from articles
    count = len(timeline.steps)
    print(f"\n{count} step{'' if count == 1 else 's'} from {timeline.articles} articles.")
    return 0
