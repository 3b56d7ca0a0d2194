"""The `qa` command: ingest, sources, refresh, ask, list, stats, delete, reset, serve, eval.

Heavy imports wait for the command.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.cli.listing import run_list
from qa.cli.timeline import add_timeline_command, run_timeline
from qa.documents import DateRange
from qa.errors import UserError, is_disk_full
from qa.results import ABSTAIN_TEXT, AbstainReason, IngestReport, SourcePreview
from qa.settings import Settings
from qa.text.control import TerminalSafe, strip_control
from qa.text.dates import check_day
from qa.text.durations import parse_interval

if TYPE_CHECKING:
    from qa.service import NewsDesk


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--collection", help="Chroma collection to use (default: QA_COLLECTION or 'articles')"
    )
    common.add_argument(
        "--data-dir", type=Path, help="where the index lives (default: QA_DATA_DIR or ./data)"
    )

    parser = argparse.ArgumentParser(
        prog="qa", description="Ask questions about news articles and get answers with checkable citations."
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show info logs, and the local LLM runtime's own log"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_ingest_commands(commands, common)

    ask = commands.add_parser("ask", parents=[common], help="answer a question from the indexed articles")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print the full result as JSON (no streaming)")
    ask.add_argument("--k", type=int, help="number of chunks to retrieve (default: QA_K or 5)")
    ask.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    ask.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this day")
    ask.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help='the day the question is asked on, for its time words ("this week"); default today',
    )

    add_timeline_command(commands, common)

    listing = commands.add_parser("list", parents=[common], help="list the indexed articles")
    listing.add_argument("--json", action="store_true", help="print the articles as a JSON list")
    listing.add_argument(
        "--stories", action="store_true", help="group the articles into stories (those telling one story)"
    )

    stats = commands.add_parser("stats", parents=[common], help="counts and index settings")
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")

    delete = commands.add_parser("delete", parents=[common], help="remove an article and all its chunks")
    delete.add_argument("article", metavar="ID_OR_URL", help="an article's id (see `qa list`) or its URL")

    reset = commands.add_parser("reset", parents=[common], help="drop the whole collection")
    reset.add_argument("--yes", action="store_true", help="confirm: this deletes the index")

    serve = commands.add_parser("serve", parents=[common], help="start the web chat")
    serve.add_argument("--host", help="bind address (default: QA_WEB_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: QA_WEB_PORT or 7860)")

    from qa.eval.cli import add_eval_arguments  # stdlib-only at import time: keeps --help fast

    evaluate = commands.add_parser("eval", help="measure retrieval, answers, citations and latency")
    add_eval_arguments(evaluate)
    return parser


def _add_ingest_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """`qa ingest`, `qa sources add|list|remove` and `qa refresh`."""
    ingest = commands.add_parser(
        "ingest", parents=[common], help="index article files or folders, article pages and feeds"
    )
    ingest.add_argument(
        "paths",
        nargs="+",
        metavar="PATH_OR_URL",
        help="files and folders (.txt .md .html .json .jsonl .csv .pdf), feed files (.xml .rss .atom), "
        "http(s) URLs of article pages or RSS/Atom feeds",
    )
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--quiet", action="store_true", help="no progress bars")

    sources = commands.add_parser("sources", parents=[common], help="the feeds `qa refresh` fetches")
    actions = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="save a feed or page URL under a name")
    add.add_argument("name", metavar="NAME", help="a short name for the source, e.g. example")
    add.add_argument("url", metavar="URL", help="the http(s) URL of an RSS/Atom feed or an article page")
    listed = actions.add_parser("list", parents=[common], help="the saved sources")
    listed.add_argument("--json", action="store_true", help="print the sources as a JSON list")
    remove = actions.add_parser("remove", parents=[common], help="forget a source (its articles stay)")
    remove.add_argument("name", metavar="NAME", help="the name the source was saved under")

    refresh = commands.add_parser("refresh", parents=[common], help="fetch every saved source into the index")
    refresh.add_argument(
        "--every", metavar="INTERVAL", help="keep refreshing at this interval (30s, 15m, 2h); Ctrl-C stops"
    )
    refresh.add_argument("--json", action="store_true", help="print each report as one line of JSON")
    refresh.add_argument("--quiet", action="store_true", help="no progress bars")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Environment and .env first, then command-line flags on top."""
    flags = {
        "collection": "collection",
        "data_dir": "data_dir",
        "k": "k",
        "host": "web_host",
        "port": "web_port",
    }
    overrides: dict[str, Any] = {"llm_log_level": 3} if getattr(args, "verbose", False) else {}
    for flag, field in flags.items():
        value = getattr(args, flag, None)
        if value is not None:
            overrides[field] = value
    return Settings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    from pydantic import ValidationError

    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        print(f"error: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    from qa.service import NewsDesk

    desk = NewsDesk(settings)
    terminal, sys.stdout = sys.stdout, TerminalSafe(sys.stdout)
    try:
        return _HANDLERS[args.command](desk, args)
    except KeyboardInterrupt:
        print(
            "\ninterrupted; what was fully written is kept, run the same command again to finish",
            file=sys.stderr,
        )
        return 130
    except UserError as exc:  # one clear line for what people can fix; anything else keeps its traceback
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        print(f"error: {_disk_full_line(exc)}", file=sys.stderr)  # fixable, not a bug: no traceback
        return 1
    finally:
        sys.stdout = terminal
        desk.close()


def _disk_full_line(exc: BaseException) -> str:
    """What to do about a full disk met outside an ingest (the ingest says it itself)."""
    where = getattr(exc, "filename", None)
    on = f" ({where})" if where else ""
    return f"no space left on the device{on}: free space and run the command again"


def _ingest(desk: NewsDesk, args: argparse.Namespace) -> int:
    from qa.service import is_url

    # URLs stay text (a Path would fold "https://" into "https:/"); the rest, and a file named like a
    # URL (`about:notes.md`), are paths.
    sources = [p if is_url(p, file_wins=True) else Path(p) for p in args.paths]
    report = desk.ingest(sources, progress=not (args.quiet or args.json))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.summary())
    return ingest_exit_code(report)


# `qa ingest` exit codes, so a script can tell a partial ingest from a complete one.
INGEST_ALL_IN, INGEST_NOTHING_IN, INGEST_SOME_REJECTED = 0, 1, 3


def ingest_exit_code(report: IngestReport) -> int:
    """0: everything went in; 3: some files or records were rejected; 1: nothing could be ingested."""
    if not report.rejected:
        return INGEST_ALL_IN
    return INGEST_SOME_REJECTED if report.indexed else INGEST_NOTHING_IN


def _sources(desk: NewsDesk, args: argparse.Namespace) -> int:
    if args.action == "add":
        source = desk.add_source(args.name, args.url)
        print(f"saved {source.name}: {source.url} (fetched by `qa refresh`)")
    elif args.action == "remove":
        gone = desk.remove_source(args.name)
        if gone is None:
            print(f"error: no source named {args.name!r} (see `qa sources list`)", file=sys.stderr)
            return 1
        print(f"removed {gone.name}: {gone.url} (its articles stay indexed)")
    elif args.json:
        print(json.dumps([asdict(s) for s in desk.sources()], indent=2, ensure_ascii=False))
    else:
        saved = desk.sources()
        if not saved:
            print("no sources saved yet: run `qa sources add NAME URL`")
        for source in saved:
            print(f"{source.name}  {source.url}  (added {source.added})")
    return 0


def _refresh(desk: NewsDesk, args: argparse.Namespace) -> int:
    if args.every is None:
        report = desk.refresh(progress=not (args.quiet or args.json))
        _print_refresh(desk, report, as_json=args.json)
        return ingest_exit_code(report)
    seconds = parse_interval(args.every)  # a bad interval fails before the first refresh
    if not desk.sources():
        raise UserError("no sources saved: add a feed with `qa sources add NAME URL` first")
    try:
        while True:
            try:
                _print_refresh(desk, desk.refresh(progress=False), as_json=args.json)
            except UserError as exc:  # a busy index, a lost Chroma server: the next round may succeed
                print(f"error: {exc}", file=sys.stderr)
            print(f"next refresh in {args.every}; Ctrl-C stops", file=sys.stderr, flush=True)
            time.sleep(seconds)
    except KeyboardInterrupt:
        print("\nstopped; what was fully written is kept", file=sys.stderr)
        return 0


def _print_refresh(desk: NewsDesk, report: IngestReport, *, as_json: bool) -> None:
    """What one refresh did: counts, then each new and changed article, failure and note."""
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False), flush=True)
        return
    stamp = desk.last_refreshed() or "now"
    unchanged = f"unchanged {len(report.unchanged)}"
    if report.not_fetched:
        unchanged += f" ({len(report.not_fetched)} not fetched again)"
    print(
        f"refresh {stamp}: new {len(report.added)}, changed {len(report.replaced)}, {unchanged}, "
        f"failed {len(report.rejected)}"
    )
    for label, ids in (("new", report.added), ("changed", report.replaced)):
        for article_id in ids:
            record = desk.get_article(article_id)
            title, url = (record.title, record.url or record.origin) if record else (article_id, "")
            print(f"  {label:8} {title}  {url}")
    for rejected in report.rejected:
        print(f"  failed   {rejected.origin}: {rejected.reason}")
    for note in report.notes:
        print(f"  note     {note.origin}: {note.text}")
    sys.stdout.flush()


def _ask(desk: NewsDesk, args: argparse.Namespace) -> int:
    dates = DateRange.parse(args.since, args.until)  # a bad date fails here, before any model loads
    as_of = check_day(args.as_of, "--as-of") if args.as_of else None
    if args.json:
        result = desk.ask(args.question, k=args.k, dates=dates, as_of=as_of)
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return 0
    answer = desk.stream(args.question, k=args.k, dates=dates, as_of=as_of)
    _print_sources(answer.sources, declined=answer.declined)
    for piece in answer:
        print(piece, end="", flush=True)
    print()
    result = answer.result
    if result.citations:
        print("\nSources:")
        for c in result.citations:
            meta = ", ".join(x for x in (c.source, c.published) if x)
            print(
                f"  [{c.n}] {c.title}"
                + (f" ({meta})" if meta else "")
                + (f"\n      {c.url}" if c.url else "")
            )
            print(f'      "{c.quote}"')
        if result.newest_source_date:
            print(f"\nAs of {result.newest_source_date} (the newest source cited).")
    elif result.abstain_reason == AbstainReason.NO_RELEVANT_PASSAGE:
        scope = desk.scope(dates)
        best = max((hit.score for hit in result.retrieved), default=None)
        searched = (
            f"best match scored {best:.2f} < {scope.min_score:.2f}"
            if best is not None
            else "the index is empty"
        )
        within = f", published {dates}" if dates else ""
        print(f"(searched {scope.chunks} chunks in collection {scope.collection!r}{within}; {searched})")
    elif result.abstain_reason is not None and result.answer == ABSTAIN_TEXT:  # a bare decline: say why
        print(f"({result.abstain_reason.explain(result)})")
    return 0


def _print_sources(sources: Sequence[SourcePreview], *, declined: bool) -> None:
    """What the answer is written from (or the closest articles, when it is declined before the model), on
    stderr as soon as it is known, before the model's first word: stdout keeps the answer alone."""
    if sources:
        count = f"{len(sources)} source{'' if len(sources) == 1 else 's'}"
        heading = "Closest articles (judged not to state the answer):" if declined else f"Reading {count}:"
        lines = [heading, *(f"  {s.line()}" for s in sources), ""]
        print(strip_control("\n".join(lines)), file=sys.stderr, flush=True)  # titles come from articles


def _stats(desk: NewsDesk, args: argparse.Namespace) -> int:
    stats = desk.stats().to_json()
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return 0


def _delete(desk: NewsDesk, args: argparse.Namespace) -> int:
    deleted = desk.delete(args.article)
    if deleted is None:
        print(f"error: no indexed article has id or URL {args.article!r} (see `qa list`)", file=sys.stderr)
        return 1
    print(f"deleted article {deleted.id} and its {deleted.chunks} chunk(s)")
    return 0


def _reset(desk: NewsDesk, args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"error: this deletes collection {desk.settings.collection!r}; add --yes to confirm",
            file=sys.stderr,
        )
        return 2
    desk.reset()
    print(f"collection {desk.settings.collection!r} deleted")
    return 0


def _serve(desk: NewsDesk, args: argparse.Namespace) -> int:
    from qa.web.app import serve

    serve(desk)
    return 0


def _eval(desk: NewsDesk, args: argparse.Namespace) -> int:
    from qa.eval.cli import run_from_args

    return run_from_args(args, desk)


_HANDLERS: dict[str, Callable[[NewsDesk, argparse.Namespace], int]] = {
    "ingest": _ingest,
    "sources": _sources,
    "refresh": _refresh,
    "ask": _ask,
    "timeline": run_timeline,
    "list": run_list,
    "stats": _stats,
    "delete": _delete,
    "reset": _reset,
    "serve": _serve,
    "eval": _eval,
}
