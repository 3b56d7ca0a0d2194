"""Stage 1 for the web: article pages and feeds turned into `RawArticle`s (or `Rejected` ones).

A URL is fetched (`fetcher.Fetcher`), then read as a feed when it is one, else as an article page. Each
feed entry's link is fetched and extracted like a page, with the entry's title, date and authors; when the
page cannot be used, the entry's own summary stands in (its origin says "(feed summary)" and the report
notes why), unless a full article from that page is already indexed. What each URL gave is remembered
(`state.FetchState`) once its article is in the index: an entry the feed has not changed whose
article is still indexed is not fetched again, and a page or feed whose validators still hold is a 304.

A feed gives at most its newest `max_feed_items` entries (the report says how many it had); a page
whose meta refresh sends the reader on is followed like a redirect. What is fetched is handed over in
batches as it arrives, so that ingest indexes each batch before the next is fetched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qa.documents import MIN_TEXT_CHARS, Note, RawArticle, Rejected
from qa.loaders.fetch.config import FetchConfig
from qa.loaders.fetch.feeds import FeedEntry, FeedError, looks_like_feed, parse_feed
from qa.loaders.fetch.fetcher import FetchCancelled, Fetcher, Page
from qa.loaders.fetch.state import FetchState, UrlState, now_utc
from qa.loaders.fetch.urls import FetchError, canonical_url, is_url, without_tracking
from qa.loaders.html import extract_html, meta_refresh_target
from qa.progress import progress_bar

log = logging.getLogger(__name__)

FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Appended to the link: the origin of an article read from a feed's summary.
SUMMARY_ORIGIN = " (feed summary)"
# Fetched pages are handed to indexing in batches of this many, or after this long: an ingest killed
# mid-feed keeps what it had fetched, and holds no more than a batch in memory.
FETCH_BATCH_ITEMS = 20
FETCH_BATCH_SECONDS = 30.0
MAX_META_REFRESHES = 3  # a stub page's meta refresh is followed; a chain of them no further than this


def is_remote(source: Path | str) -> bool:
    """Is this ingest source fetched (a URL, or a feed file whose entries link to pages)? URL-looking
    text counts as a URL, so that `ftp://…` or `data:…` is refused as a URL rather than looked for on
    disk."""
    return _is_url(source) or Path(source).suffix.lower() in FEED_SUFFIXES


def _is_url(source: Path | str) -> bool:
    """URL-looking text; also a Path, which `qa ingest` makes of anything without `//` (`data:…`),
    unless a file of that name exists."""
    return is_url(source, file_wins=isinstance(source, Path))


@dataclass
class Fetched:
    """What fetching gave: items for the pipeline, what needed no fetch, notes, and what to remember."""

    items: list[RawArticle | Rejected] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # ids of indexed articles not fetched again
    not_fetched: list[str] = field(default_factory=list)  # their URLs
    notes: list[Note] = field(default_factory=list)
    states: dict[str, tuple[str, UrlState]] = field(default_factory=dict)  # origin -> (URL, its state)
    feeds: dict[str, UrlState] = field(default_factory=dict)  # feed URL -> validators and entry links

    def commit(self, indexed: Mapping[str, str], path: Path, done: set[str]) -> None:
        """Remember what the URLs gave, once their articles are indexed (`indexed`: origin -> article id);
        a URL whose article was rejected is fetched again next time. `done`: the links done in earlier
        batches of this ingest, this batch's added (a feed is complete when all its entries are)."""
        updates = {
            url: replace(state, article_id=indexed[origin])
            for origin, (url, state) in self.states.items()
            if origin in indexed
        }
        done.update(canonical_url(u) for u in [*updates, *self.not_fetched])
        for url, feed in self.feeds.items():
            complete = all(canonical_url(link) in done for link in feed.entries or ())
            # A feed with a failed entry is fetched whole next time, so that the entry is tried again.
            updates[url] = feed if complete else replace(feed, etag=None, last_modified=None)
        FetchState.update(path, updates)


def fetch_sources(
    sources: Iterable[Path | str],
    config: FetchConfig,
    indexed: Callable[[str], bool],
    *,
    progress: bool = True,
    cancel: threading.Event | None = None,
) -> Iterator[Fetched]:
    """Fetch every URL and read every feed file of `sources`, in batches of a few pages (each batch can
    be indexed before the next is fetched); `indexed(article_id)` says whether an article is in the
    index (an unchanged entry of one that is, is not fetched again). Setting `cancel` (from any thread)
    ends the request in flight and stops fetching."""
    sources = _distinct(sources)
    urls = sum(1 for source in sources if _is_url(source))
    with (
        progress_bar("Fetching", "page", total=urls, enabled=progress) as bar,
        _Collector(config, FetchState(config.fetch_state_path), indexed, bar, cancel) as collector,
    ):
        for source in sources:
            for _ in collector.read(source):
                if collector.fetcher.cancelled:
                    log.warning("fetching cancelled: the pages not fetched yet are left out")
                    yield collector.take()
                    return
                if collector.batch_ready():
                    yield collector.take()
        yield collector.take()


def _distinct(sources: Iterable[Path | str]) -> list[Path | str]:
    """`sources` without repeats: the same page under two spellings (tracking parameters) is fetched
    once."""
    seen: set[str] = set()
    distinct: list[Path | str] = []
    for source in sources:
        key = canonical_url(source) if isinstance(source, str) else str(Path(source).resolve())
        if key not in seen:
            seen.add(key)
            distinct.append(source)
    return distinct


class _Collector:
    def __init__(
        self,
        config: FetchConfig,
        state: FetchState,
        indexed: Callable[[str], bool],
        bar: Any,
        cancel: threading.Event | None,
    ) -> None:
        self.fetcher = Fetcher(config, cancel=cancel)
        self.max_feed_items = config.fetch_max_feed_items
        self.state = state
        self.indexed = indexed
        self.bar = bar  # the "Fetching" progress bar: one step per page handled
        self.out = Fetched()
        self._batch_started = time.monotonic()
        self._entries: set[str] = set()  # entry links handled in this run (feeds may share entries)

    def __enter__(self) -> _Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fetcher.close()

    def read(self, source: Path | str) -> Iterator[None]:
        """Fetch one source (a URL, or a feed file); yields after each page handled, so that the caller
        can hand over a batch."""
        if _is_url(source):
            yield from self.url(str(source).strip())
        else:
            yield from self.feed_file(Path(source))

    def batch_ready(self) -> bool:
        """Is there enough to index now (so that an ingest killed later keeps it)?"""
        return len(self.out.items) >= FETCH_BATCH_ITEMS or (
            bool(self.out.items) and time.monotonic() - self._batch_started >= FETCH_BATCH_SECONDS
        )

    def take(self) -> Fetched:
        """What was fetched since the last batch, as a batch."""
        batch, self.out = self.out, Fetched()
        self._batch_started = time.monotonic()
        return batch

    def _get(self, url: str, known: UrlState | None = None) -> Page:
        """Fetch `url`, conditionally when `known` validators are for an article still indexed; a
        redirect stub (a page whose meta refresh sends the reader on) is followed like a redirect."""
        log.info("fetching %s", url)
        if known is None:
            page = self.fetcher.get(url)
        else:
            page = self.fetcher.get(url, etag=known.etag, last_modified=known.last_modified)
        return self._follow_meta_refresh(page)

    def _follow_meta_refresh(self, page: Page) -> Page:
        """The page a chain of meta-refresh stubs ends at, each hop fetched (and checked) by the Fetcher;
        FetchError for a loop, a long chain, or a target that fails."""
        hops = [page.url]
        while _is_html(page) and (target := meta_refresh_target(page.body, page.url)) is not None:
            stub = f"a redirect stub (meta refresh to {target}), not an article"
            if target in hops or len(hops) > MAX_META_REFRESHES:
                raise FetchError(f"{stub}: a loop or more than {MAX_META_REFRESHES} refreshes")
            hops.append(target)
            log.info("following the meta refresh of %s to %s", page.url, target)
            try:
                page = self.fetcher.get(target)
            except FetchError as exc:
                raise FetchError(f"{stub}; its target failed: {exc.reason}") from None
            # The validators are the target's, not the stub's: the stub is fetched whole next time.
            page = replace(page, etag=None, last_modified=None)
        return page

    def url(self, url: str) -> Iterator[None]:
        """A URL given to ingest or saved as a source: an article page or a feed."""
        known = self.state.get(url)
        try:
            page = self._get(url, known if known is not None and self._current(known) else None)
        except FetchError as exc:
            self.out.items.append(Rejected(url, exc.reason))
            self._handled()
            yield
            return
        self._handled()
        yield
        if page.not_modified and known is not None:
            for link in known.entries if known.entries is not None else (url,):
                self._unchanged(link, self.state.get(link))
        elif looks_like_feed(page.body, page.content_type):
            yield from self._feed(url, page.body, page)
        elif _is_html(page):
            try:
                raw = self._article(url, page)
            except FetchError as exc:
                self.out.items.append(Rejected(url, exc.reason))
                return
            self._keep(raw, url, UrlState(etag=page.etag, last_modified=page.last_modified))
        else:
            kind = page.content_type or "not given"
            self.out.items.append(Rejected(url, f"not an HTML page or a feed (content-type {kind})"))

    def feed_file(self, path: Path) -> Iterator[None]:
        """A feed saved as a file (.xml .rss .atom): its entries' pages are fetched."""
        try:
            data = path.read_bytes()
        except OSError as err:
            self.out.items.append(Rejected(str(path), f"cannot read file: {err.strerror or err}"))
            return
        yield from self._feed(str(path), data, None)

    def _handled(self) -> None:
        """One page handled (fetched, or known unchanged): a step of the progress bar."""
        self.bar.update(1)

    def _current(self, known: UrlState) -> bool:
        """Is everything this URL gave last time still indexed, each entry from its page (so a 304 can
        stand for it)? An entry indexed from the feed's summary is not: the feed is read again, so that
        its page is tried again on every refresh until it can be used, even while the feed is unchanged."""
        if known.entries is not None:
            return all(self._indexed_from_page(self.state.get(link)) for link in known.entries)
        return self._indexed(known)

    def _indexed_from_page(self, known: UrlState | None) -> bool:
        return self._indexed(known) and known is not None and not known.from_summary

    def _indexed(self, known: UrlState | None) -> bool:
        return known is not None and known.article_id is not None and self.indexed(known.article_id)

    def _unchanged(self, link: str, known: UrlState | None) -> None:
        if known is not None and known.article_id is not None:
            self.out.unchanged.append(known.article_id)
            self.out.not_fetched.append(link)

    def _feed(self, origin: str, data: bytes, page: Page | None) -> Iterator[None]:
        try:
            feed = parse_feed(data, base_url=page.url if page else None)
        except FeedError as exc:
            self.out.items.append(Rejected(origin, f"feed could not be parsed: {exc}"))
            return
        chosen = self._newest(origin, feed.entries)
        self.bar.total = (self.bar.total or 0) + len(chosen)
        self.bar.refresh()
        links = []
        for n, entry in chosen:
            if not entry.link:
                self.out.items.append(Rejected(f"{origin} entry {n}", "feed entry has no link"))
            else:
                links.append(entry.link)
                if canonical_url(entry.link) not in self._entries:
                    self._entries.add(canonical_url(entry.link))
                    self._entry(entry.link, entry, feed.title)
            self._handled()
            yield
        if page is not None:
            self.out.feeds[origin] = UrlState(
                etag=page.etag, last_modified=page.last_modified, fetched_at=now_utc(), entries=tuple(links)
            )

    def _newest(self, origin: str, entries: Sequence[FeedEntry]) -> list[tuple[int, FeedEntry]]:
        """The entries to read, with their number in the feed: the newest `fetch_max_feed_items`, newest
        first (by date; undated ones after, in feed order: feeds list the newest first); a note says
        how many were left."""
        # Stable sort: entries of one day keep the feed's order.
        by_date = sorted(enumerate(entries, 1), key=lambda item: item[1].published or "", reverse=True)
        if len(entries) > self.max_feed_items:
            note = (
                f"feed has {len(entries):,} entries; the newest {self.max_feed_items:,} were read "
                "(QA_FETCH_MAX_FEED_ITEMS)"
            )
            self.out.notes.append(Note(origin, note))
        return by_date[: self.max_feed_items]

    def _entry(self, link: str, entry: FeedEntry, outlet: str | None) -> None:
        known = self.state.get(link)
        # The full article of this page, indexed before (not one read from the feed's summary).
        full = known if known is not None and not known.from_summary and self._indexed(known) else None
        if full is not None and full.fingerprint == entry.fingerprint:
            self._unchanged(link, full)
            return
        try:
            page = self._get(link)
            raw = self._article(link, page, entry, outlet)
        except FetchCancelled:
            self.out.items.append(Rejected(link, "cancelled"))  # not the summary: nothing more is done
            return
        except FetchError as exc:
            self._from_summary(link, entry, outlet, exc.reason, keep_indexed=full is not None)
            return
        state = UrlState(etag=page.etag, last_modified=page.last_modified, fingerprint=entry.fingerprint)
        self._keep(raw, link, state)

    def _from_summary(
        self, link: str, entry: FeedEntry, outlet: str | None, reason: str, *, keep_indexed: bool
    ) -> None:
        """The entry's summary as the article's text, when the page cannot be used."""
        if keep_indexed:  # a summary must not replace the full article indexed before
            self.out.items.append(Rejected(link, f"{reason}; the article indexed before is kept"))
            return
        if len(entry.summary) < MIN_TEXT_CHARS:
            self.out.items.append(Rejected(link, f"{reason}; the feed has no summary to use instead"))
            return
        raw = RawArticle(
            text=entry.summary,
            origin=link + SUMMARY_ORIGIN,
            title=entry.title,
            url=without_tracking(link),
            published=entry.published,
            authors=entry.authors,
            source=outlet,
            single_article_file=False,
        )
        note = f"text from the feed's summary: the page could not be used ({reason})"
        self.out.notes.append(Note(link, note))
        self._keep(raw, link, UrlState(fingerprint=entry.fingerprint, from_summary=True))

    def _keep(self, raw: RawArticle, url: str, state: UrlState) -> None:
        self.out.items.append(raw)
        self.out.states[raw.origin] = (url, replace(state, fetched_at=now_utc()))

    def _article(
        self, origin: str, page: Page, entry: FeedEntry | None = None, outlet: str | None = None
    ) -> RawArticle:
        """The article of a fetched page, with what the feed entry says of it; FetchError when none."""
        if not _is_html(page):
            raise FetchError(f"not an HTML page (content-type {page.content_type or 'not given'})")
        found = next(iter(extract_html(origin, page.body, base_url=page.url)))
        if isinstance(found, Rejected):
            raise FetchError(found.reason)
        raw = replace(found, url=_identity(found.url, page.url), single_article_file=False)
        if entry is not None:
            # The feed's structured title, date and authors beat what extraction guesses from the page.
            raw = replace(
                raw,
                title=entry.title or raw.title,
                published=entry.published or raw.published,
                authors=entry.authors or raw.authors,
                source=raw.source or outlet,
            )
        return raw


def _is_html(page: Page) -> bool:
    if page.content_type in HTML_MEDIA_TYPES:
        return True
    head = page.body[:1024].lstrip().lower()
    return not page.content_type and head.startswith((b"<!doctype html", b"<html"))


def _identity(claimed: str | None, fetched: str) -> str:
    """The article's URL: the page's canonical link when it names a page on the same host (a page may
    not claim another site's article), else the URL it was fetched from; tracking parameters dropped."""
    if claimed and is_url(claimed, web=True) and _host(claimed) == _host(fetched):
        return without_tracking(claimed)
    return without_tracking(fetched)


def _host(url: str) -> str:
    return canonical_url(url).split("://", 1)[-1].split("/", 1)[0]
