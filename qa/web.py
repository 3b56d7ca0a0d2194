"""Stage 7 (web): the Gradio chat on the same answer chain as the CLI. Gradio types stay in this module.

Everything a reader sees that comes from a model or an article is rendered here, from escaped text
(`html.escape`), into HTML this module writes itself: no Markdown, no raw HTML, no remote resources.
The chatbot's own sanitiser stays on as a second line of defence.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gradio as gr

from qa.answer import ABSTAIN_TEXT, CHECKED_MARKER, AnswerResult, Citation
from qa.documents import ArticleRecord, ScoredChunk
from qa.indexing import IngestReport
from qa.llm import describe_llm
from qa.retrieve import date_filter
from qa.service import NewsDesk
from qa.settings import Settings
from qa.store import published_as_int

log = logging.getLogger(__name__)

_NEW_TAB = 'target="_blank" rel="noopener noreferrer"'  # links to originals: no opener, no referrer
_CONCURRENCY_ID = "desk"  # chat, ingest and delete share one queue slot pool: one model, one index


# --- what a conversation holds -----------------------------------------------------------------------


@dataclass
class Turn:
    """One question of a conversation and what became of it."""

    question: str  # as the reader typed it
    searched_for: str  # the standalone question used for retrieval and the answer
    k: int
    since: str | None = None
    until: str | None = None
    result: AnswerResult | None = None
    error: str | None = None
    scope: str = ""  # what was searched, said when nothing was found


@dataclass(frozen=True)
class FileOutcome:
    """What an upload did with one file: added / unchanged / replaced / rejected, and why."""

    name: str
    outcome: str
    detail: str


# --- rendering (pure functions: escaped text in, HTML out) ------------------------------------------


def esc(text: object) -> str:
    """HTML-escape any value for element text and quoted attributes."""
    return html.escape(str(text), quote=True)


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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _text_html(text: str) -> str:
    return esc(text).replace("\n", "<br>")


def linkify_citations(text: str, turn: int, cited: Sequence[int]) -> str:
    """Escaped answer text whose [n] markers, for cited sources only, link to their source cards."""
    wanted = set(cited)
    out: list[str] = []
    last = 0
    for match in CHECKED_MARKER.finditer(text):
        n = int(match.group(1))
        if n not in wanted:
            continue
        out.append(_text_html(text[last : match.start()]))
        anchor = source_anchor(turn, n)
        out.append(
            f'<a class="nd-cite" href="#{anchor}" '
            f'title="Show source {n} and the sentence it supports">[{n}]</a>'
        )
        last = match.end()
    out.append(_text_html(text[last:]))
    return "".join(out)


def render_streaming(text: str) -> str:
    """The answer while it is being written: escaped, with a cursor; citations link once it is done."""
    return f'<div class="nd-answer nd-streaming">{_text_html(text)}<span class="nd-cursor">▍</span></div>'


def render_status(text: str) -> str:
    """A short progress line in the assistant's bubble (reading the conversation, searching...)."""
    return f'<div class="nd-answer nd-streaming nd-status">{esc(text)}<span class="nd-cursor">▍</span></div>'


def describe_scope(
    result: AnswerResult,
    *,
    threshold: float,
    chunks: int,
    articles: int,
    since: str | None = None,
    until: str | None = None,
) -> str:
    """What was searched for an answer that found nothing, in one sentence."""
    where = f"{_plural(chunks, 'chunk')} of {_plural(articles, 'article')}"
    if since or until:
        where += f" (only those published {since or '…'} – {until or '…'})"
    scores = [hit.score for hit in result.retrieved]
    if not chunks:
        return "The index is empty: upload articles in the Articles tab."
    if not scores:
        return f"Searched {where}: no passage matched."
    best = max(scores)
    if result.llm_called:
        given = result.sources_given or len(scores)
        return (
            f"Searched {where}; the best match ({best:.2f}) reached the threshold ({threshold:.2f}), but the "
            f"model found no answer in the {_plural(given, 'passage')} it was given."
        )
    return f"Searched {where}; best match {best:.2f} < threshold {threshold:.2f}."


def render_abstention(searched_for: str, scope: str) -> str:
    """A "not in the articles" answer: a grey box, visibly not an answer, saying what was searched."""
    return (
        '<div class="nd-abstain" role="note">'
        '<span class="nd-abstain-icon" aria-hidden="true">∅</span>'
        f'<div><div class="nd-abstain-title">Not in the articles</div><div>{esc(ABSTAIN_TEXT)}</div>'
        f'<div class="nd-scope">Question searched: “{esc(searched_for)}”. {esc(scope)}</div></div></div>'
    )


def render_error(message: str) -> str:
    """An answer that failed (the model server stopped, a timeout...), shown as such."""
    return (
        '<div class="nd-error" role="alert"><span aria-hidden="true">⚠</span> '
        f"The answer failed: {esc(message)}</div>"
    )


def render_turn(turn: Turn, index: int) -> str:
    """The assistant's message for a finished turn."""
    if turn.error is not None:
        return render_error(turn.error)
    result = turn.result
    if result is None:
        return render_status("Working…")
    if result.abstained:
        return render_abstention(turn.searched_for, turn.scope)
    cited = [c.n for c in result.citations]
    body = f'<div class="nd-answer">{linkify_citations(result.answer, index, cited)}</div>'
    notes = []
    if turn.searched_for.strip() != turn.question.strip():
        notes.append(f"Read as: “{esc(turn.searched_for)}”")
    if cited:
        notes.append(f"{_plural(len(cited), 'source')} cited — click a [n] to check it")
    if notes:
        body += f'<div class="nd-note">{" · ".join(notes)}</div>'
    return body


def highlight_passage(passage: str, quote: str) -> str:
    """The escaped passage with the supporting sentence wrapped in <mark> (found even if spaced apart)."""
    start = passage.find(quote) if quote else -1
    end = start + len(quote)
    if start < 0 and quote.strip():
        # The quote may differ from the chunk in whitespace only (line breaks joined): match word by word.
        pattern = r"\s+".join(re.escape(word) for word in quote.split())
        match = re.search(pattern, passage)
        if match:
            start, end = match.span()
    if start < 0:
        lead = f'<div class="nd-quote-alone"><mark>{_text_html(quote)}</mark></div>' if quote else ""
        return lead + _text_html(passage)
    before, quoted, after = passage[:start], passage[start:end], passage[end:]
    return f"{_text_html(before)}<mark>{_text_html(quoted)}</mark>{_text_html(after)}"


def _meta_line(source: str | None, published: str | None, url: str | None) -> str:
    parts = [f'<span class="nd-outlet">{esc(source)}</span>'] if source else []
    if published:
        parts.append(f'<span class="nd-date">{esc(published)}</span>')
    link = safe_url(url)
    if link:
        parts_of = urlsplit(link)
        shown = parts_of.netloc + (parts_of.path if len(parts_of.path) > 1 else "")
        parts.append(f'<a class="nd-url" href="{esc(link)}" {_NEW_TAB}>{esc(shown)} ↗</a>')
    elif url:
        parts.append(f'<span class="nd-url-text">{esc(url)}</span>')  # not a web link: shown, not linked
    return " · ".join(parts) or '<span class="nd-muted">no outlet, date or URL recorded</span>'


def _title_html(title: str, url: str | None) -> str:
    link = safe_url(url)
    if link:
        return f'<a class="nd-title" href="{esc(link)}" {_NEW_TAB}>{esc(title)}</a>'
    return f'<span class="nd-title">{esc(title)}</span>'


def render_citation_card(citation: Citation, turn: int) -> str:
    """One cited source: number, title, outlet, date, link to the original, passage with the quote marked."""
    return (
        f'<article class="nd-card" id="{source_anchor(turn, citation.n)}">'
        f'<div class="nd-card-head"><span class="nd-n">[{citation.n}]</span> '
        f"{_title_html(citation.title, citation.url)}</div>"
        f'<div class="nd-meta">{_meta_line(citation.source, citation.published, citation.url)}</div>'
        f'<blockquote class="nd-passage">{highlight_passage(citation.passage, citation.quote)}</blockquote>'
        "</article>"
    )


def render_uncited_card(hit: ScoredChunk, threshold: float) -> str:
    """A retrieved passage the answer did not cite, with its similarity."""
    record = hit.article
    below = " (below the relevance threshold)" if hit.score < threshold else ""
    return (
        '<article class="nd-card nd-card-uncited">'
        f'<div class="nd-card-head">{_title_html(record.title, record.url)}</div>'
        f'<div class="nd-meta">{_meta_line(record.source, record.published, record.url)} · '
        f'<span class="nd-score">similarity {hit.score:.2f}{below}</span></div>'
        f'<blockquote class="nd-passage">{_text_html(hit.chunk.text)}</blockquote></article>'
    )


def render_turn_sources(turn: Turn, index: int, *, open_: bool, threshold: float) -> str:
    """The sources of one answer: cited cards, then the uncited retrieved passages collapsed."""
    result = turn.result
    parts = [f'<details class="nd-turn"{" open" if open_ else ""}><summary>{esc(turn.question)}</summary>']
    if result is None:
        parts.append('<p class="nd-muted">No answer.</p>')
    else:
        if result.citations:
            parts.extend(render_citation_card(c, index) for c in result.citations)
        elif result.abstained:
            parts.append(f'<p class="nd-muted">Nothing cited: {esc(turn.scope)}</p>')
        else:
            parts.append('<p class="nd-muted">The answer cites no source.</p>')
        cited_chunks = {c.chunk_id for c in result.citations}
        uncited = [hit for hit in result.retrieved if hit.chunk.id not in cited_chunks]
        if uncited:
            count = len(uncited)
            parts.append(
                f'<details class="nd-uncited"><summary>{_plural(count, "retrieved passage")} '
                "not cited</summary>"
                + "".join(render_uncited_card(hit, threshold) for hit in uncited)
                + "</details>"
            )
    parts.append("</details>")
    return "".join(parts)


def render_sources_panel(turns: Sequence[Turn], threshold: float) -> str:
    """The panel beside the chat: the newest answer's sources open, earlier answers' collapsed."""
    if not turns:
        return (
            '<div class="nd-sources"><div class="nd-panel-title">Sources</div><p class="nd-muted">Ask a '
            "question: every article the answer cites appears here with its supporting sentence "
            "highlighted.</p></div>"
        )
    sections = [
        render_turn_sources(turn, i, open_=(i == len(turns) - 1), threshold=threshold)
        for i, turn in reversed(list(enumerate(turns)))
    ]
    return '<div class="nd-sources"><div class="nd-panel-title">Sources</div>' + "".join(sections) + "</div>"


def render_header(llm_label: str, embedding_model: str, articles: int, chunks: int) -> str:
    """The page header: which LLM and embedding model answer, and how much is indexed."""
    return (
        '<div class="nd-header"><span class="nd-brand">newsdesk-qa</span>'
        f'<span class="nd-chip">LLM <code>{esc(llm_label)}</code></span>'
        f'<span class="nd-chip">embeddings <code>{esc(embedding_model)}</code></span>'
        f'<span class="nd-chip" id="nd-count">{_plural(articles, "article")} indexed '
        f"({_plural(chunks, 'chunk')})</span></div>"
    )


def filter_articles(records: Sequence[ArticleRecord], query: str) -> list[ArticleRecord]:
    """The records whose title, outlet, date, id or URL contain every word of `query` (any case)."""
    words = query.lower().split()
    chosen = []
    for record in records:
        haystack = " ".join(
            x for x in (record.title, record.source, record.published, record.id, record.url) if x
        ).lower()
        if all(word in haystack for word in words):
            chosen.append(record)
    return sorted(chosen, key=lambda r: (r.published or "", r.title), reverse=True)


def render_library(records: Sequence[ArticleRecord], total: int) -> str:
    """The indexed articles as an escaped table: title, outlet, date, chunks, id."""
    if total == 0:
        return '<p class="nd-muted">No articles indexed yet: upload some above.</p>'
    if not records:
        return f'<p class="nd-muted">No article matches the filter ({_plural(total, "article")} indexed).</p>'
    rows = "".join(
        "<tr>"
        f"<td>{_title_html(r.title, r.url)}</td><td>{esc(r.source or '—')}</td>"
        f"<td>{esc(r.published or '—')}</td><td class='nd-num'>{r.chunks}</td>"
        f"<td><code>{esc(r.id)}</code></td></tr>"
        for r in records
    )
    return (
        f'<div class="nd-library-count">{len(records)} of {_plural(total, "article")}</div>'
        '<table class="nd-library"><thead><tr><th>Title</th><th>Outlet</th><th>Published</th>'
        f"<th>Chunks</th><th>ID</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def article_choices(records: Sequence[ArticleRecord]) -> list[tuple[str, str]]:
    """(label, id) pairs for the delete picker."""
    return [(f"{r.title} · {r.source or '—'} · {r.published or '—'} · {r.id[:12]}", r.id) for r in records]


def file_outcome(name: str, report: IngestReport) -> FileOutcome:
    """One uploaded file's result from the report of its ingest."""
    counts = {
        "added": len(report.added),
        "replaced": len(report.replaced),
        "unchanged": len(report.unchanged),
    }
    reasons = [r.reason for r in report.rejected]
    done = [f"{label} {_plural(n, 'article')}" for label, n in counts.items() if n]
    if not done:
        return FileOutcome(name, "rejected", "; ".join(dict.fromkeys(reasons)) or "nothing to index")
    outcome = next(label for label, n in counts.items() if n)
    detail = ", ".join(done)
    if report.chunks_written:
        detail += f"; {_plural(report.chunks_written, 'chunk')} written"
    if reasons:
        detail += f"; {_plural(len(reasons), 'record')} rejected: " + "; ".join(dict.fromkeys(reasons))
    return FileOutcome(name, outcome, detail)


def render_outcomes(outcomes: Sequence[FileOutcome]) -> str:
    """The per-file upload results as an escaped table."""
    if not outcomes:
        return ""
    rows = "".join(
        f'<tr><td>{esc(o.name)}</td><td><span class="nd-outcome nd-{esc(o.outcome)}">{esc(o.outcome)}</span>'
        f"</td><td>{esc(o.detail)}</td></tr>"
        for o in outcomes
    )
    return (
        '<table class="nd-results"><thead><tr><th>File</th><th>Result</th><th>Details</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def feedback_record(
    turn: Turn, rating: str, comment: str, *, llm: str, embedding_model: str
) -> dict[str, Any]:
    """The JSON line written for one thumbs up/down: question, answer, cited sources, settings, time."""
    result = turn.result
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": rating,
        "comment": comment.strip(),
        "question": turn.question,
        "searched_for": turn.searched_for,
        "answer": result.answer if result else None,
        "abstained": result.abstained if result else None,
        "error": turn.error,
        "cited": [
            {"n": c.n, "article_id": c.article_id, "title": c.title, "url": c.url, "quote": c.quote}
            for c in (result.citations if result else [])
        ],
        "settings": {
            "k": turn.k,
            "since": turn.since,
            "until": turn.until,
            "llm": llm,
            "embedding_model": embedding_model,
        },
    }


def append_feedback(path: Path, record: dict[str, Any], lock: threading.Lock) -> None:
    """Append one JSON line to the feedback file (created with its directory on first use)."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock, path.open("a", encoding="utf-8") as f:
        f.write(line)


def parse_day(value: str | None, label: str) -> str | None:
    """A YYYY-MM-DD filter bound, None when blank; a clear error for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    if published_as_int(value) is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{label} must be a date as YYYY-MM-DD, not {value!r}")
    return value


def _status(text: str) -> str:
    return f'<div class="nd-status-line">{esc(text)}</div>'


def chat_messages(turns: Sequence[Turn], pending: str | None = None) -> list[dict[str, str]]:
    """The chatbot's openai-style messages; `pending` replaces the last turn's answer while it streams."""
    messages = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": esc(turn.question)})
        last = i == len(turns) - 1
        content = pending if (last and pending is not None) else render_turn(turn, i)
        messages.append({"role": "assistant", "content": content})
    return messages


# --- the page ----------------------------------------------------------------------------------------

CSS = """
.nd-header { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; padding:.25rem 0 .5rem; }
.nd-brand { font-weight:700; font-size:1.25rem; margin-right:.5rem; }
.nd-chip { background:var(--block-background-fill); border:1px solid var(--border-color-primary);
  border-radius:999px; padding:.15rem .65rem; font-size:.85rem; }
.nd-chip code { font-size:.8rem; background:none; padding:0; }
.nd-answer { line-height:1.55; }
.nd-cite { font-weight:600; text-decoration:none; padding:0 .1rem; border-radius:4px;
  color:var(--color-accent) !important; cursor:pointer; }
.nd-cite:hover { background:var(--color-accent-soft); text-decoration:underline; }
.nd-cursor { opacity:.6; margin-left:1px; }
.nd-status { color:var(--body-text-color-subdued); font-style:italic; }
.nd-note { margin-top:.35rem; font-size:.8rem; color:var(--body-text-color-subdued); }
.nd-abstain { display:flex; gap:.6rem; align-items:flex-start; background:#eef0f3; color:#374151;
  border:1px dashed #9ca3af; border-radius:8px; padding:.6rem .75rem; }
.nd-abstain-icon { font-size:1.4rem; line-height:1; color:#6b7280; }
.nd-abstain-title { font-weight:700; }
.nd-scope { font-size:.8rem; color:#4b5563; margin-top:.25rem; }
.nd-error { background:#fef2f2; color:#991b1b; border:1px solid #fca5a5; border-radius:8px;
  padding:.5rem .75rem; }
.nd-sources { font-size:.9rem; }
.nd-panel-title { font-weight:700; font-size:1rem; margin-bottom:.4rem; }
.nd-turn > summary { font-weight:600; cursor:pointer; margin:.3rem 0; }
.nd-card { border:1px solid var(--border-color-primary); border-radius:8px; padding:.55rem .7rem;
  margin:.45rem 0; background:var(--block-background-fill); scroll-margin:4rem; }
.nd-card-uncited { opacity:.85; }
.nd-card-head { font-weight:600; }
.nd-n { color:var(--color-accent); margin-right:.25rem; }
.nd-title { color:inherit; }
.nd-meta { font-size:.8rem; color:var(--body-text-color-subdued); margin:.15rem 0 .35rem; }
.nd-passage { margin:0; padding:.4rem .6rem; border-left:3px solid var(--border-color-primary);
  font-size:.85rem; line-height:1.5; }
.nd-passage mark, .nd-quote-alone mark { background:#fde68a; color:#111827; padding:0 .1rem; }
.nd-uncited > summary { cursor:pointer; color:var(--body-text-color-subdued); margin-top:.5rem; }
.nd-muted { color:var(--body-text-color-subdued); }
.nd-flash { outline:3px solid #f97316; outline-offset:1px; }
.nd-library, .nd-results { width:100%; border-collapse:collapse; font-size:.88rem; }
.nd-library th, .nd-library td, .nd-results th, .nd-results td { text-align:left; padding:.3rem .5rem;
  border-bottom:1px solid var(--border-color-primary); vertical-align:top; }
.nd-num { text-align:right; }
.nd-library-count { font-size:.85rem; color:var(--body-text-color-subdued); margin:.25rem 0; }
.nd-outcome { border-radius:4px; padding:0 .4rem; font-weight:600; }
.nd-added { background:#dcfce7; color:#166534; } .nd-replaced { background:#dbeafe; color:#1e40af; }
.nd-unchanged { background:#f3f4f6; color:#374151; } .nd-rejected { background:#fee2e2; color:#991b1b; }
"""

# One document-level handler: a click on [n] in any answer opens that answer's source card (and the
# <details> around it), scrolls it into view and flashes it, instead of following the link.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a.nd-cite") : null;
  if (!link) return;
  var id = (link.getAttribute("href") || "").replace(/^#/, "");
  var card = document.getElementById(id);
  event.preventDefault();
  event.stopPropagation();
  if (!card) return;
  for (var el = card.parentElement; el; el = el.parentElement) {
    if (el.tagName === "DETAILS") el.open = true;
  }
  card.scrollIntoView({ behavior: "smooth", block: "center" });
  card.classList.remove("nd-flash");
  void card.offsetWidth;
  card.classList.add("nd-flash");
}, true);
</script>
"""


def _theme() -> Any:
    # System fonts: the default theme would fetch its font from Google Fonts.
    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


class WebApp:
    """The handlers behind the page, bound to one NewsDesk."""

    def __init__(self, desk: NewsDesk) -> None:
        self.desk = desk
        self.settings: Settings = desk.settings
        self.llm_label = describe_llm(desk.settings)
        self._feedback_lock = threading.Lock()  # sessions answer in parallel threads: one line at a time

    # -- header and library

    def header(self) -> str:
        """The header with current counts."""
        stats = self.desk.stats()
        return render_header(
            self.llm_label, str(stats["embedding_model"]), stats["articles"], stats["chunks"]
        )

    def library(self, query: str) -> tuple[str, Any]:
        """The library table and the delete picker, filtered by `query`."""
        records = self.desk.list_articles()
        chosen = filter_articles(records, query or "")
        return render_library(chosen, len(records)), gr.update(choices=article_choices(chosen), value=None)

    def refresh(self, query: str) -> tuple[str, str, Any]:
        """Header, library and picker, as on page load."""
        table, picker = self.library(query)
        return self.header(), table, picker

    # -- chat

    def respond(
        self, message: str, turns: list[Turn], k: float, since: str, until: str
    ) -> Iterator[tuple[list[dict[str, str]], str, list[Turn], str]]:
        """Answer `message` in the conversation `turns`, streaming the answer as it is written."""
        message = (message or "").strip()
        threshold = self.settings.min_score
        if not message:
            yield chat_messages(turns), render_sources_panel(turns, threshold), turns, ""
            return
        try:
            since_day = parse_day(since, "Published from")
            until_day = parse_day(until, "Published until")
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        turns = [*turns, Turn(message, message, k=int(k), since=since_day, until=until_day)]
        turn = turns[-1]
        panel = render_sources_panel(turns[:-1], threshold)
        history = [(t.searched_for, t.result.answer) for t in turns[:-1] if t.result is not None]
        try:
            engine = self.desk.engine
            if history:
                yield chat_messages(turns, render_status("Reading the conversation…")), panel, turns, ""
                turn.searched_for = engine.condense(message, history)
            yield chat_messages(turns, render_status("Searching the articles…")), panel, turns, ""
            shown = ""
            where = date_filter(since_day, until_day)
            for event in engine.stream(turn.searched_for, k=turn.k, where=where):
                if isinstance(event, AnswerResult):
                    turn.result = event
                else:
                    shown += event
                    yield chat_messages(turns, render_streaming(shown)), panel, turns, ""
        except Exception as exc:  # shown in the chat: the page must stay usable after a failure
            log.exception("answering %r failed", message)
            turn.error = f"{type(exc).__name__}: {exc}"
        if turn.result is not None and turn.result.abstained:
            stats = self.desk.stats()
            turn.scope = describe_scope(
                turn.result,
                threshold=threshold,
                chunks=stats["chunks"],
                articles=stats["articles"],
                since=since_day,
                until=until_day,
            )
        yield chat_messages(turns), render_sources_panel(turns, threshold), turns, ""

    def new_chat(self) -> tuple[list[dict[str, str]], str, list[Turn], str, str]:
        """Forget the conversation."""
        return [], render_sources_panel([], self.settings.min_score), [], "", ""

    # -- feedback

    def rate(self, turns: list[Turn], index: int | None, rating: str, comment: str) -> str:
        """Append one feedback line for answer `index` (the latest when None); returns a status line."""
        if not turns:
            return _status("Ask a question first: feedback is about an answer.")
        i = len(turns) - 1 if index is None else index
        if not 0 <= i < len(turns):
            return _status("That message is not an answer.")
        record = feedback_record(
            turns[i], rating, comment or "", llm=self.llm_label, embedding_model=self.desk.embedder.name
        )
        append_feedback(self.settings.feedback_path, record, self._feedback_lock)
        thumb = {"up": "thumbs up", "down": "thumbs down"}.get(rating, "rating cleared")
        return _status(f"Thanks: {thumb} saved for “{turns[i].question[:80]}”.")

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
                report = self.desk.ingest([path], progress=False)
                outcomes.append(file_outcome(path.name, report))
            except Exception as exc:  # one bad file must not lose the results of the others
                log.exception("ingesting %s failed", path)
                outcomes.append(FileOutcome(path.name, "rejected", f"{type(exc).__name__}: {exc}"))
        progress((len(paths), len(paths)), desc="Done", unit="files")
        table, picker = self.library(query)
        results = render_outcomes(outcomes) or '<p class="nd-muted">Choose files first.</p>'
        return results, table, picker, self.header()

    def delete(self, article_id: str | None, query: str) -> tuple[str, str, Any, str]:
        """Remove the chosen article and every chunk of it."""
        if not article_id:
            status = "Choose an article to delete."
        else:
            record = self.desk.store.get_article(article_id)
            removed = self.desk.delete(article_id)
            if removed is None:
                status = "That article is no longer indexed."
            else:
                title = record.title if record else removed[0]
                status = f"Deleted “{title}” ({_plural(removed[1], 'chunk')})."
        table, picker = self.library(query)
        return _status(status), table, picker, self.header()


def build_app(desk: NewsDesk) -> gr.Blocks:
    """The Gradio Blocks app: header, chat with sources panel and settings, articles tab."""
    web = WebApp(desk)
    settings = desk.settings
    with gr.Blocks(title="newsdesk-qa", analytics_enabled=False) as app:
        header = gr.HTML(web.header(), elem_id="nd-header", js_on_load=None)
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        elem_id="nd-chat",
                        label="Answers",
                        height=500,
                        render_markdown=False,  # answers arrive as HTML built from escaped text here
                        sanitize_html=True,
                        allow_tags=False,
                        feedback_options=("Like", "Dislike"),
                        buttons=["copy"],
                        placeholder="Ask a question about the indexed articles.",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            elem_id="nd-question",
                            placeholder="Ask about the indexed articles (follow-ups use the conversation)",
                            show_label=False,
                            scale=8,
                            lines=1,
                            max_lines=4,
                        )
                        ask = gr.Button("Ask", variant="primary", elem_id="nd-ask", scale=0, min_width=90)
                        new_chat = gr.Button("New chat", elem_id="nd-new-chat", scale=0, min_width=130)
                    with gr.Accordion("Search settings", open=False, elem_id="nd-settings"):
                        k = gr.Slider(
                            1, 20, value=settings.k, step=1, label="Number of sources", elem_id="nd-k"
                        )
                        with gr.Row():
                            since = gr.Textbox(
                                label="Published from", placeholder="YYYY-MM-DD", elem_id="nd-since"
                            )
                            until = gr.Textbox(
                                label="Published until", placeholder="YYYY-MM-DD", elem_id="nd-until"
                            )
                    with gr.Row():
                        comment = gr.Textbox(
                            placeholder="Optional comment, sent with your rating",
                            show_label=False,
                            elem_id="nd-comment",
                            scale=5,
                        )
                        # Words, not emoji: a machine without an emoji font would show empty boxes.
                        up = gr.Button("Helpful", elem_id="nd-up", scale=0, min_width=100)
                        down = gr.Button("Not helpful", elem_id="nd-down", scale=0, min_width=140)
                    feedback_status = gr.HTML("", elem_id="nd-feedback-status", js_on_load=None)
                with gr.Column(scale=2):
                    sources = gr.HTML(
                        render_sources_panel([], settings.min_score),
                        elem_id="nd-sources",
                        js_on_load=None,
                        max_height=760,
                    )
            with gr.Tab("Articles", id="articles"):
                files = gr.File(
                    label="Upload articles (.txt .md .html .htm .json .jsonl .csv .pdf), several at once",
                    file_count="multiple",
                    type="filepath",
                    elem_id="nd-files",
                )
                ingest = gr.Button("Add to the index", variant="primary", elem_id="nd-ingest")
                results = gr.HTML("", elem_id="nd-results", js_on_load=None)
                gr.Markdown("### Indexed articles")
                search = gr.Textbox(
                    placeholder="Filter by title, outlet, date or id", show_label=False, elem_id="nd-search"
                )
                library = gr.HTML("", elem_id="nd-library", js_on_load=None)
                with gr.Row():
                    picker = gr.Dropdown(
                        label="Article to delete", choices=[], elem_id="nd-picker", filterable=True, scale=4
                    )
                    delete = gr.Button("Delete", variant="stop", elem_id="nd-delete", scale=1)
                delete_status = gr.HTML("", elem_id="nd-delete-status", js_on_load=None)

        chat_outputs = [chatbot, sources, turns, question]
        chat_inputs = [question, turns, k, since, until]
        for trigger in (ask.click, question.submit):
            trigger(
                web.respond,
                chat_inputs,
                chat_outputs,
                concurrency_id=_CONCURRENCY_ID,
                show_progress="hidden",
            )
        new_chat.click(web.new_chat, None, [chatbot, sources, turns, question, feedback_status])
        # The chatbot's own bin clears the messages: forget the conversation with them.
        chatbot.clear(web.new_chat, None, [chatbot, sources, turns, question, feedback_status])
        chatbot.like(web.on_like, [turns, comment], [feedback_status, comment])
        up.click(web.thumbs_up, [turns, comment], [feedback_status, comment])
        down.click(web.thumbs_down, [turns, comment], [feedback_status, comment])
        ingest.click(
            web.upload, [files, search], [results, library, picker, header], concurrency_id=_CONCURRENCY_ID
        )
        search.change(web.library, [search], [library, picker], show_progress="hidden")
        delete.click(
            web.delete,
            [picker, search],
            [delete_status, library, picker, header],
            concurrency_id=_CONCURRENCY_ID,
        )
        app.load(web.refresh, [search], [header, library, picker], show_progress="hidden")
    return app


def launch(
    desk: NewsDesk, *, host: str | None = None, port: int | None = None, block: bool = True
) -> gr.Blocks:
    """Warm the models up, then serve the app with the safe defaults; `block=False` returns at once."""
    settings = desk.settings
    auth = _auth(settings)
    # Load the embedding model and start the local LLM now, so the first question isn't the slow one.
    desk.engine  # noqa: B018
    desk.embedder.embed(["warm-up"])
    app = build_app(desk)
    app.queue(default_concurrency_limit=settings.web_concurrency_limit, max_size=settings.web_queue_max_size)
    app.launch(
        server_name=host or settings.web_host,
        server_port=port or settings.web_port,
        share=False,
        auth=auth,
        max_file_size=f"{settings.web_max_upload_mb}mb",
        allowed_paths=[],
        # The index and the feedback log are never files a browser may fetch.
        blocked_paths=[str(settings.data_dir.resolve())],
        prevent_thread_lock=not block,
        show_error=False,
        footer_links=[],
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        strict_cors=True,
        quiet=not block,
        theme=_theme(),
        css=CSS,
        head=HEAD,
    )
    return app


def _auth(settings: Settings) -> tuple[str, str] | None:
    user, password = settings.web_auth_user, settings.web_auth_password
    if user is None and password is None:
        return None
    if not user or password is None or not password.get_secret_value():
        raise ValueError("web basic auth needs both QA_WEB_AUTH_USER and QA_WEB_AUTH_PASSWORD")
    return user, password.get_secret_value()


def serve(desk: NewsDesk) -> None:
    """Start the web chat on the configured address (127.0.0.1 by default) and block."""
    launch(desk, block=True)
