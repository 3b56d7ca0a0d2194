"""Rendering: pure functions from results to HTML, through the autoescaping templates in `templates/`.

Nothing here builds markup by hand: the Python side decides what to show (which marker links where,
which sentence is highlighted, which URL may become a link), the templates write the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from qa.documents import ArticleRecord, ScoredChunk
from qa.results import ABSTAIN_TEXT, AbstainReason, AnswerResult, Citation, SearchScope, SourcePreview
from qa.results.stories import Story
from qa.results.timeline import Silence, Timeline
from qa.templating import template_environment
from qa.text.markers import CHECKED_MARKER
from qa.web.state import FileOutcome, Turn, plural


@cache
def _components() -> Any:
    """The template module whose macros render every piece of the page."""
    environment = template_environment("qa.web")
    environment.globals["anchor"] = source_anchor
    return environment.get_template("components.html").module


def _render(macro: str, *args: Any) -> str:
    return str(getattr(_components(), macro)(*args))


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link with a host, else None (no javascript:, data:, file:)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t "):
        return None
    return url


def source_anchor(turn: int, n: int) -> str:
    """The element id of the card of source `n` of answer `turn` in the sources panel."""
    return f"nd-src-{turn}-{n}"


def answer_segments(text: str, cited: Sequence[int]) -> list[tuple[str, int | None]]:
    """The answer cut into text and citation markers; markers of sources not cited stay text."""
    wanted = set(cited)
    segments: list[tuple[str, int | None]] = []
    last = 0
    for match in CHECKED_MARKER.finditer(text):
        n = int(match.group(1))
        if n in wanted:
            segments += [(text[last : match.start()], None), (match.group(), n)]
            last = match.end()
    segments.append((text[last:], None))
    return segments


def render_streaming(text: str) -> str:
    """The answer while it is being written: escaped, with a cursor; citations link once it is done."""
    return _render("streaming", text)


def render_timeline(timeline: Timeline, shown: int | None = None) -> str:
    """A story's timeline: dated steps on a line, each with the outlets that tell it, silences between;
    the first `shown` steps while it is being built (None: all, finished)."""
    if timeline.said:
        return _render("timeline_empty", timeline.said)
    items: list[dict[str, Any]] = []
    for entry in timeline.entries(shown):
        if isinstance(entry, Silence):
            items.append({"silence": str(entry)})
            continue
        sources = [
            {"name": c.outlet or c.title, "title": c.title, "url": safe_url(c.url), "quote": c.quote}
            for c in entry.citations
        ]
        by_article = entry.date_source == "published"
        items.append(
            {"date": entry.day.isoformat(), "by_article": by_article, "text": entry.text, "sources": sources}
        )
    head = f"{plural(len(timeline.steps), 'step')} from {plural(timeline.articles, 'article')}, oldest first"
    return _render("timeline", head, items, shown is not None)


def render_status(text: str) -> str:
    """A short progress line in the assistant's bubble (reading the conversation, searching...)."""
    return _render("status", text)


def render_error(message: str) -> str:
    """An answer that failed (the model server stopped, a timeout...), shown as such."""
    return _render("error", message)


def render_abstention(searched_for: str, scope: str) -> str:
    """A "not in the articles" answer: a grey box, visibly not an answer, saying what was searched."""
    return _render("abstention", ABSTAIN_TEXT, searched_for, scope)


def describe_scope(result: AnswerResult, scope: SearchScope) -> str:
    """What was searched for an answer that found nothing, in one sentence."""
    where = f"{plural(scope.chunks, 'chunk')} of {plural(scope.articles, 'article')}"
    if scope.dates is not None:
        where += f" (only those published {scope.dates})"
    if result.abstain_reason in (
        AbstainReason.PERIOD_NOT_COVERED,
        AbstainReason.UNSUPPORTED_ANSWER,
        AbstainReason.NOT_AN_ANSWER,
    ):
        return _sentence(result.abstain_reason.explain(result))
    scores = [hit.score for hit in result.retrieved]
    if not scope.chunks:
        return "The index is empty: upload articles in the Articles tab."
    if not scores:
        return f"Searched {where}: no passage matched."
    best = max(scores)
    if result.abstain_reason in (AbstainReason.NOT_STATED, AbstainReason.NO_SOURCE_IN_PERIOD):
        # Passages were found, often close ones: the evidence judgment (or the period) declined, not a score.
        return f"Searched {where}; {result.abstain_reason.explain(result)}."
    if result.llm_called:
        return (
            f"Searched {where}; the best match ({best:.2f}) reached the threshold ({scope.min_score:.2f}), "
            f"but {AbstainReason.MODEL_DECLINED.explain(result)}."
        )
    return f"Searched {where}; best match {best:.2f} < threshold {scope.min_score:.2f}."


def _sentence(clause: str) -> str:
    return clause[:1].upper() + clause[1:] + "."


def render_turn(turn: Turn, index: int) -> str:
    """The assistant's message for a finished turn."""
    if turn.error is not None:
        return render_error(turn.error)
    result = turn.result
    if turn.timeline is not None:
        return render_timeline(turn.timeline)
    if result is None:
        return render_status("Working…")
    if result.abstained:
        return render_abstention(turn.searched_for, turn.scope)
    cited = [c.n for c in result.citations]
    notes = []
    if turn.searched_for.strip() != turn.question.strip():
        notes.append(f"Read as: “{turn.searched_for}”")
    if cited:
        notes.append(f"{plural(len(cited), 'source')} cited — click a [n] to check it")
    if result.newest_source_date:
        notes.append(f"as of {result.newest_source_date}, the newest source cited")
    return _render("answer", answer_segments(result.answer, cited), index, notes)


def mark_quote(passage: str, quote: str) -> dict[str, Any]:
    """Where the supporting sentence is in the passage (found even if its spacing differs)."""
    start = passage.find(quote) if quote else -1
    end = start + len(quote)
    if start < 0 and quote.strip():
        # The quote may differ from the chunk in whitespace only (line breaks joined): match word by word.
        match = re.search(r"\s+".join(re.escape(word) for word in quote.split()), passage)
        if match:
            start, end = match.span()
    if start < 0:
        return {"found": False, "quote": quote, "before": passage, "after": ""}
    return {"found": True, "before": passage[:start], "quote": passage[start:end], "after": passage[end:]}


def _meta(source: str | None, published: str | None, url: str | None) -> list[dict[str, str]]:
    """Outlet, date and the link to the original (only a plain web URL becomes a link)."""
    parts = [{"kind": "outlet", "text": source}] if source else []
    if published:
        parts.append({"kind": "date", "text": published})
    link = safe_url(url)
    if link:
        where = urlsplit(link)
        parts.append(
            {"kind": "url", "href": link, "text": where.netloc + (where.path if len(where.path) > 1 else "")}
        )
    elif url:
        parts.append({"kind": "url-text", "text": url})  # not a web link: shown, not linked
    return parts


def _citation_view(citation: Citation) -> dict[str, Any]:
    return {
        "n": citation.n,
        "title": citation.title,
        "link": safe_url(citation.url),
        "meta": _meta(citation.source, citation.published, citation.url),
        "marked": mark_quote(citation.passage, citation.quote),
        "supported": citation.supported,
    }


def _preview_view(source: SourcePreview, numbered: bool) -> dict[str, Any]:
    """A source known before the answer: its evidence with the sentence nearest the question marked."""
    article = source.article
    return {
        "n": source.n if numbered else None,  # a closest article of a declined answer is no source [n]
        "title": article.title,
        "link": safe_url(article.url),
        "meta": _meta(article.source, article.published, article.url),
        "marked": mark_quote(source.text, source.best),
    }


def _reading(turn: Turn) -> dict[str, Any]:
    """What the panel shows of the sources known before the model: being read while the answer is
    written, or the closest articles of an answer that was declined."""
    closest = turn.declined or (turn.result is not None and turn.result.abstained)
    if turn.error is not None or not turn.sources or (turn.result is not None and not closest):
        return {"reading": [], "reading_label": ""}  # failed, nothing found, or answered: citations say it
    label = "Closest articles" if closest else "Sources being read"
    return {"reading": [_preview_view(s, not closest) for s in turn.sources], "reading_label": label}


def _uncited_view(hit: ScoredChunk, threshold: float) -> dict[str, Any]:
    article = hit.article
    return {
        "title": article.title,
        "link": safe_url(article.url),
        "meta": _meta(article.source, article.published, article.url),
        "score": hit.score,
        "below": hit.score < threshold,
        "text": hit.chunk.text,
    }


def _turn_view(turn: Turn, index: int, *, open_: bool, threshold: float) -> dict[str, Any]:
    result = turn.result
    view: dict[str, Any] = {"index": index, "question": turn.question, "open": open_, "answered": False}
    view.update(_reading(turn))
    if result is None:
        return view
    cited_chunks = {c.chunk_id for c in result.citations}
    uncited = [_uncited_view(h, threshold) for h in result.retrieved if h.chunk.id not in cited_chunks]
    empty_note = f"Nothing cited: {turn.scope}" if result.abstained else "The answer cites no source."
    view.update(
        answered=True,
        citations=[_citation_view(c) for c in result.citations],
        empty_note=empty_note,
        uncited=uncited,
        uncited_label=f"{plural(len(uncited), 'retrieved passage')} not cited",
    )
    return view


def render_sources_panel(turns: Sequence[Turn], threshold: float) -> str:
    """The panel beside the chat: the newest answer's sources open, earlier answers' collapsed."""
    views = [
        _turn_view(turn, i, open_=(i == len(turns) - 1), threshold=threshold)
        for i, turn in reversed(list(enumerate(turns)))
    ]
    return _render("sources_panel", views)


def render_header(
    llm_label: str, embedding_model: str, articles: int, chunks: int, last_refreshed: str | None = None
) -> str:
    """The page header: which LLM and embedding model answer, how much is indexed, and when pages and
    feeds were last fetched into it."""
    refreshed = f"refreshed {_when(last_refreshed)}" if last_refreshed else "not refreshed from the web yet"
    return _render(
        "header", llm_label, embedding_model, plural(articles, "article"), plural(chunks, "chunk"), refreshed
    )


def _when(iso_time: str) -> str:
    """`2024-05-01T12:03:04Z` as `2024-05-01 12:03 UTC`."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(iso_time.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return iso_time
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render_library(
    records: Sequence[ArticleRecord], total: int, stories: Mapping[str, Story] | None = None
) -> str:
    """The indexed articles as an escaped table: title, story (`stories`: article id -> its story of
    several articles), outlet, date, chunks, id."""
    linked = stories or {}
    rows = [
        {
            "title": r.title,
            "link": safe_url(r.url),
            "story": linked.get(r.id),
            "source": r.source,
            "published": r.published,
            "chunks": r.chunks,
            "id": r.id,
        }
        for r in records
    ]
    return _render("library", rows, total, plural(total, "article"))


def render_outcomes(outcomes: Sequence[FileOutcome]) -> str:
    """The per-file upload results as an escaped table."""
    return _render("outcomes", outcomes)


def status_line(text: str) -> str:
    """A one-line status under a button (feedback saved, article deleted)."""
    return _render("status_line", text)


def chat_messages(turns: Sequence[Turn], pending: str | None = None) -> list[dict[str, str]]:
    """The chatbot's openai-style messages; `pending` replaces the last turn's answer while it streams."""
    messages = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": _render("question", turn.question)})
        last = i == len(turns) - 1
        content = pending if (last and pending is not None) else render_turn(turn, i)
        messages.append({"role": "assistant", "content": content})
    return messages
