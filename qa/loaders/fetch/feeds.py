"""RSS 2.0, RSS 1.0 and Atom feeds, read by feedparser from bytes fetched (or read) here.

feedparser is only ever given bytes, as a stream: given a string it would fetch a URL, or open a file
whose name a feed server chose, itself.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from qa.loaders.base import clean_str, quiet_library_logs
from qa.loaders.records import as_authors
from qa.text.dates import iso_date
from qa.text.hashing import text_sha

FEED_MEDIA_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/xml",
        "text/xml",
    }
)
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf")


class FeedError(ValueError):
    """Bytes that are not a readable feed; the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: its link and what the feed says about it."""

    link: str | None
    title: str | None
    published: str | None  # ISO day
    authors: tuple[str, ...]
    summary: str  # plain text of the entry's content or summary ("" when it has none)
    fingerprint: str  # changes whenever the feed changes the entry (title, dates, summary, link)


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title (the outlet, usually) and entries in feed order."""

    title: str | None
    entries: tuple[FeedEntry, ...]


def looks_like_feed(data: bytes, media_type: str) -> bool:
    """Is this response a feed, by its media type, or by its first element when the type says nothing?"""
    if media_type in FEED_MEDIA_TYPES:
        return True
    if media_type and media_type not in ("text/plain", "application/octet-stream"):
        return False
    head = data[:2048].lower()
    return any(root in head for root in _FEED_ROOTS)


def parse_feed(data: bytes, base_url: str | None = None) -> Feed:
    """The entries of an RSS or Atom feed (relative links resolved against `base_url`); FeedError if the
    bytes are not one."""
    import feedparser

    headers = {"content-location": base_url} if base_url else None
    with quiet_library_logs("feedparser"):
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not any(entry.get("link") for entry in entries):
        raise FeedError(_describe(parsed.get("bozo_exception")))
    if not parsed.get("version") and not entries:
        raise FeedError("not an RSS or Atom feed")
    title = clean_str(parsed.get("feed", {}).get("title"))
    return Feed(title=title, entries=tuple(_entry(entry) for entry in entries))


def _entry(entry: Any) -> FeedEntry:
    link = clean_str(entry.get("link"))
    title = clean_str(entry.get("title"))
    published = iso_date(entry.get("published") or entry.get("updated"))
    names = [a.get("name") for a in entry.get("authors") or [] if isinstance(a, dict)]
    authors = as_authors([n for n in names if n] or entry.get("author"))
    summary = _summary_text(entry)
    stamp = [entry.get("id"), link, title, entry.get("published"), entry.get("updated"), summary]
    return FeedEntry(
        link=link,
        title=title,
        published=published,
        authors=authors,
        summary=summary,
        fingerprint=text_sha(json.dumps(stamp, ensure_ascii=False))[:32],
    )


def _summary_text(entry: Any) -> str:
    """The longest of the entry's full content and summary, as plain text."""
    candidates = [str(c.get("value") or "") for c in entry.get("content") or [] if isinstance(c, dict)]
    candidates.append(str(entry.get("summary") or ""))
    return max((fragment_text(c) for c in candidates), key=len, default="")


def _describe(exception: object) -> str:
    if exception is None:
        return "unknown error"
    # The XML parser's own words; its line numbers are not the document's (feedparser rewrites the head).
    message = getattr(exception, "getMessage", None)
    return str(message() if callable(message) else exception) or type(exception).__name__


_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})


class _TextOnly(HTMLParser):
    """The text of an HTML fragment, a blank line at each block element, scripts and styles left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def fragment_text(html: str) -> str:
    """Plain text of a feed's HTML fragment (an entry's summary), paragraphs kept apart."""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    paragraphs = (" ".join(p.split()) for p in "".join(parser.parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)
