"""The handlers behind the page: every event of the chat, the library and feedback, bound to one facade."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as StillRunning
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa.documents import DateRange
from qa.errors import InvalidDateError, UserError
from qa.results.stories import stories_by_article
from qa.service import NewsDesk, is_url
from qa.settings import Settings
from qa.text.dates import check_as_of, check_day
from qa.web.api import AnswerSlots
from qa.web.feedback import FeedbackLog, feedback_record
from qa.web.jobs import BackgroundJobs
from qa.web.state import FileOutcome, Turn, article_choices, file_outcome, filter_articles, plural
from qa.web.views import (
    chat_messages,
    describe_scope,
    render_header,
    render_library,
    render_outcomes,
    render_sources_panel,
    render_status,
    render_streaming,
    render_timeline,
    status_line,
)

if TYPE_CHECKING:
    from qa.results import IngestReport

log = logging.getLogger(__name__)

ChatUpdate = tuple[list[dict[str, str]], str, list[Turn], str]  # messages, sources panel, turns, question box
UrlUpdate = tuple[Any, Any, Any, Any, Any]  # results, library, picker, header, URL box

FETCH_JOBS = 2  # fetches from the URL box running at once
FETCH_CANCELLED = "Cancelled: fetching stops now; the pages fetched before the cancel are indexed."
PROGRESS_EVERY_S = 0.5  # how often a running fetch's progress line is refreshed (and can be cancelled)


class WebApp:
    """The handlers behind the page, bound to one NewsDesk."""

    def __init__(self, desk: NewsDesk, slots: AnswerSlots | None = None) -> None:
        self.desk = desk
        # Shared with POST /api/ask: chat and API answers count against the same limits.
        self.slots = slots or AnswerSlots(
            desk.settings.web_concurrency_limit, desk.settings.web_queue_max_size
        )
        self.settings: Settings = desk.settings
        self.llm_label = desk.llm_label
        self.feedback = FeedbackLog(desk.settings.feedback_path)
        self.fetches = BackgroundJobs(FETCH_JOBS)
        self._fetch_stops: dict[str, threading.Event] = {}  # per browser session: its running fetch

    # -- header and library

    def header(self) -> str:
        """The header with current counts."""
        stats = self.desk.stats()
        return render_header(
            self.llm_label, stats.embedding_model, stats.articles, stats.chunks, stats.last_refreshed
        )

    def library(self, query: str) -> tuple[str, Any]:
        """The library table and the delete picker, filtered by `query`."""
        records = self.desk.list_articles()
        linked = {a: s for a, s in stories_by_article(self.desk.stories()).items() if len(s.article_ids) > 1}
        chosen = filter_articles(records, query or "", {a: f"{s.title} {s.id}" for a, s in linked.items()})
        table = render_library(chosen, len(records), linked)
        return table, gr.update(choices=article_choices(chosen), value=None)

    def refresh(self, query: str) -> tuple[str, str, Any]:
        """Header, library and picker, as on page load."""
        table, picker = self.library(query)
        return self.header(), table, picker

    # -- chat

    def respond(
        self, message: str, turns: list[Turn], k: float, since: str, until: str, as_of: str = ""
    ) -> Iterator[ChatUpdate]:
        """Answer `message` in the conversation `turns`, streaming the answer as it is written."""
        message = (message or "").strip()
        threshold = self.settings.min_score
        if not message:
            yield chat_messages(turns), render_sources_panel(turns, threshold), turns, ""
            return
        try:
            dates = DateRange.parse(since, until, labels=("Published from", "Published until"))
            asked_on = check_day(as_of.strip(), "Asked as of") if (as_of or "").strip() else None
            asked_on = check_as_of(asked_on) if asked_on else None
        except InvalidDateError as exc:
            raise gr.Error(str(exc)) from exc
        turns = [*turns, Turn(message, message, k=int(k), dates=dates, as_of=asked_on)]
        panel = render_sources_panel(turns[:-1], threshold)
        shown = None
        try:
            with self.slots:
                for pending in self._answer(turns):
                    if turns[-1].sources is not shown:  # known now, before the model's first word
                        panel, shown = render_sources_panel(turns, threshold), turns[-1].sources
                    yield chat_messages(turns, pending), panel, turns, ""
        except UserError as exc:  # a lost Chroma server, an oversized question: said in the chat as is
            log.warning("answering %r failed: %s", message, exc)
            turns[-1].error = str(exc)
        except Exception as exc:  # shown in the chat: the page must stay usable after a failure
            log.exception("answering %r failed", message)
            turns[-1].error = f"{type(exc).__name__}: {exc}"
        turn = turns[-1]
        if turn.result is not None and turn.result.abstained:
            turn.scope = describe_scope(turn.result, self.desk.scope(turn.dates))
        yield chat_messages(turns), render_sources_panel(turns, threshold), turns, ""

    def _answer(self, turns: list[Turn]) -> Iterator[str]:
        """Answer the last turn, yielding what its bubble shows meanwhile; the result is kept in the turn."""
        turn = turns[-1]
        history = [(t.searched_for, t.result.answer) for t in turns[:-1] if t.result is not None]
        if history:
            yield render_status("Reading the conversation…")
            turn.searched_for = self.desk.condense(turn.question, history)
        if self.desk.asks_for_timeline(turn.searched_for):
            yield from self._timeline(turn)
            return
        yield render_status("Searching the articles…")
        answer = self.desk.stream(turn.searched_for, k=turn.k, dates=turn.dates, as_of=turn.as_of)
        turn.sources, turn.declined = answer.sources, answer.declined  # retrieval and judgment run here
        if turn.sources and not turn.declined:
            yield render_status(f"Reading {plural(len(turn.sources), 'source')}…")
        for _ in answer:
            yield render_streaming(answer.text)
        turn.result = answer.result

    def _timeline(self, turn: Turn) -> Iterator[str]:
        """Answer a question asking how a story developed with its timeline, shown step by step."""
        yield render_status("Reading the story's articles…")
        dates = turn.dates
        timeline = self.desk.timeline(
            turn.searched_for,
            since=dates.start if dates else None,
            until=dates.end if dates else None,
            as_of=turn.as_of,
        )
        for shown in range(1, len(timeline.steps)):
            yield render_timeline(timeline, shown=shown)
        turn.timeline = timeline

    def new_chat(self) -> tuple[list[dict[str, str]], str, list[Turn], str, str]:
        """Forget the conversation."""
        return [], render_sources_panel([], self.settings.min_score), [], "", ""

    # -- feedback

    def rate(self, turns: list[Turn], index: int | None, rating: str, comment: str) -> str:
        """Append one feedback line for answer `index` (the latest when None); returns a status line."""
        if not turns:
            return status_line("Ask a question first: feedback is about an answer.")
        i = len(turns) - 1 if index is None else index
        if not 0 <= i < len(turns):
            return status_line("That message is not an answer.")
        record = feedback_record(
            turns[i], rating, comment or "", llm=self.llm_label, embedding_model=self.desk.embedding_model
        )
        self.feedback.append(record)
        thumb = {"up": "thumbs up", "down": "thumbs down"}.get(rating, "rating cleared")
        return status_line(f"Thanks: {thumb} saved for “{turns[i].question[:80]}”.")

    def on_like(self, data: gr.LikeData, turns: list[Turn], comment: str) -> tuple[str, str]:
        """The chatbot's thumbs on a message: rate that answer."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        rating = "up" if data.liked is True else "down" if data.liked is False else "cleared"
        return self.rate(turns, int(index) // 2, rating, comment), ""

    def thumbs_up(self, turns: list[Turn], comment: str) -> tuple[str, str]:
        """👍 on the latest answer."""
        return self.rate(turns, None, "up", comment), ""

    def thumbs_down(self, turns: list[Turn], comment: str) -> tuple[str, str]:
        """👎 on the latest answer."""
        return self.rate(turns, None, "down", comment), ""

    # -- articles

    def upload(
        self,
        files: list[str] | None,
        query: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio finds the progress bar by this default
    ) -> tuple[str, str, Any, str]:
        """Ingest every uploaded file, one at a time for a per-file result and progress."""
        outcomes: list[FileOutcome] = []
        paths = [Path(f) for f in (files or [])]
        for i, path in enumerate(paths):
            progress((i, len(paths)), desc=f"Indexing {path.name}", unit="files")
            try:
                outcomes.append(file_outcome(path.name, self.desk.ingest([path], progress=False)))
            except Exception as exc:  # one bad file must not lose the results of the others
                log.exception("ingesting %s failed", path)
                outcomes.append(FileOutcome(path.name, "rejected", f"{type(exc).__name__}: {exc}"))
        progress((len(paths), len(paths)), desc="Done", unit="files")
        table, picker = self.library(query)
        results = render_outcomes(outcomes) or status_line("Choose files first.")
        return results, table, picker, self.header()

    def add_url(self, url: str, query: str) -> UrlUpdate:
        """`fetch_url` to its end: its last update (results, library, picker, header, URL box)."""
        *_, last = self.fetch_url(url, query)
        return last

    def fetch_url(self, url: str, query: str, request: gr.Request | None = None) -> Iterator[UrlUpdate]:
        """Fetch an article page or a feed (its entries' pages) into the index, saying how long it has
        been fetching meanwhile; the URL box is emptied when it went in.

        The fetch runs in a thread of its own and this generator only watches it: no queue slot (nor any
        chat question) waits on a slow server. Cancel (`fetch_cancelled`, or this watcher closed) stops
        the fetch itself within a moment; the pages fetched by then are indexed."""
        url = (url or "").strip()
        refusal = _url_refusal(url)
        if refusal is not None:
            yield status_line(refusal), gr.skip(), gr.skip(), gr.skip(), url
            return
        stop = threading.Event()
        job = self.fetches.start(
            lambda: self.desk.ingest([url], progress=False, cancel=stop), name="qa-web-fetch"
        )
        if job is None:
            busy = "Other fetches are still running (each stops at QA_FETCH_TIMEOUT_S); try again shortly."
            yield status_line(busy), gr.skip(), gr.skip(), gr.skip(), url
            return
        session = _session_of(request)
        self._fetch_stops[session] = stop
        try:
            yield from self._watch_fetch(url, query, job, stop)
        finally:
            # Done, failed, or the watcher closed by Gradio's cancel: a fetch nobody watches stops.
            stop.set()
            if self._fetch_stops.get(session) is stop:
                del self._fetch_stops[session]

    def _watch_fetch(
        self, url: str, query: str, job: Future[IngestReport], stop: threading.Event
    ) -> Iterator[UrlUpdate]:
        started = time.monotonic()
        while True:
            try:
                outcome = file_outcome(url, job.result(timeout=PROGRESS_EVERY_S))
                break
            except StillRunning:
                if stop.is_set():
                    break  # cancelled: it stops within a moment, and nobody waits for it
                waited = f"Fetching {url} … {int(time.monotonic() - started)} s (Cancel stops it)"
                yield status_line(waited), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            except UserError as exc:  # a busy index, a lost Chroma server: said as is
                outcome = FileOutcome(url, "rejected", str(exc))
                break
            except Exception as exc:  # the page must stay usable after a failure
                log.exception("adding %s failed", url)
                outcome = FileOutcome(url, "rejected", f"{type(exc).__name__}: {exc}")
                break
        header, table, picker = self.refresh(query)
        if stop.is_set():
            # Cancelled: the last word stays "Cancelled" (an update after it would cover the message);
            # the library shows what was indexed before the cancel.
            yield status_line(FETCH_CANCELLED), table, picker, header, gr.skip()
            return
        yield render_outcomes([outcome]), table, picker, header, url if outcome.outcome == "rejected" else ""

    def fetch_cancelled(self, request: gr.Request | None = None) -> str:
        """Stop this page's running fetch; what the results area says after Cancel."""
        stop = self._fetch_stops.pop(_session_of(request), None)
        if stop is not None:
            stop.set()
        return status_line(FETCH_CANCELLED)

    def delete(self, article_id: str | None, query: str) -> tuple[str, str, Any, str]:
        """Remove the chosen article and every chunk of it."""
        if not article_id:
            status = "Choose an article to delete."
        else:
            deleted = self.desk.delete(article_id)
            if deleted is None:
                status = "That article is no longer indexed."
            else:
                status = f"Deleted “{deleted.title}” ({plural(deleted.chunks, 'chunk')})."
        table, picker = self.library(query)
        return status_line(status), table, picker, self.header()


def _session_of(request: gr.Request | None) -> str:
    """The browser session a request comes from (Gradio's session hash); one key when there is none."""
    return str(getattr(request, "session_hash", None) or "")


def _url_refusal(url: str) -> str | None:
    """Why `url` cannot be fetched from the URL box, or None when it can be tried."""
    if not url:
        return "Type the URL of an article page or a feed first."
    if not is_url(url, web=True):
        return "Only http:// and https:// URLs can be added."
    return None
