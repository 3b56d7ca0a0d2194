"""News from feeds and links, against a real HTTP server on a loopback port (`tests/newsserver.py`):
article pages and feeds in, what is unchanged not fetched again, what fails reported with its reason
and nothing indexed lost. FAKE embedder, in-memory store: what is under test is fetching and ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.service import NewsDesk
from tests.conftest import REPO_ROOT
from tests.newsserver import NewsServer, Route, article_page, news_server, rfc2822, rss_feed

pytestmark = pytest.mark.integration

MakeDesk = Callable[..., NewsDesk]
AUTHOR = "Ada Reporter"
FETCH = {"fetch_allow_private": True, "fetch_host_delay_s": 0, "fetch_max_bytes": 50_000}
STORIES = {
    "bridge": (
        "Council approves the harbour bridge",
        [
            "The city council voted on Tuesday to approve a new bridge across the harbour, ending a "
            "decade-long debate about traffic in the old town.",
            "The bridge will cost 40 million euros and is due to open in 2026, the mayor said.",
        ],
    ),
    "ferry": (
        "Night ferry returns to the islands",
        [
            "The night ferry to the northern islands resumes service next month after two years, the "
            "operator announced on Wednesday.",
            "Tickets go on sale on Friday and cost 12 euros for a single crossing.",
        ],
    ),
    "tunnel": (
        "Tunnel works delayed by flooding",
        [
            "Works on the rail tunnel under the river are delayed by three months after flooding in the "
            "access shaft, engineers said.",
            "The contractor expects to pump the shaft dry by the end of the month.",
        ],
    ),
}


def _entries(server: NewsServer) -> list[dict[str, str]]:
    links = {
        "bridge": server.url("/news/bridge.html"),
        "ferry": server.url("/news/ferry.html?utm_source=rss&utm_medium=feed"),
        "tunnel": server.url("/news/tunnel.html"),
    }
    return [
        {"title": STORIES[slug][0], "link": links[slug], "date": rfc2822(2024, 3, day), "author": AUTHOR}
        for day, slug in enumerate(STORIES, 1)
    ]


@pytest.fixture
def site() -> Iterator[NewsServer]:
    """The Harbour Times: three stories and their feed, robots.txt, and broken pages of every kind."""
    with news_server() as server:
        for slug, (title, paragraphs) in STORIES.items():
            server.routes[f"/news/{slug}.html"] = Route(article_page(title, paragraphs))
        server.routes["/feed.xml"] = Route(rss_feed(_entries(server)), "application/rss+xml", etag=True)
        server.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", "text/plain")
        server.routes["/report.pdf"] = Route(b"%PDF-1.4\n%binary", "application/pdf")
        server.routes["/huge.html"] = Route(article_page("Huge", ["word " * 30_000]))
        server.routes["/loop-a"] = Route(status=302, headers={"Location": "/loop-b"})
        server.routes["/loop-b"] = Route(status=302, headers={"Location": "/loop-a"})
        server.routes["/broken.xml"] = Route(b"<rss><channel><item><title>cut sh", "application/rss+xml")
        server.routes["/private/memo.html"] = Route(article_page("Memo", ["Internal memo text " * 10]))
        yield server


def test_a_feed_becomes_articles_with_titles_dates_authors_and_links(
    make_desk: MakeDesk, site: NewsServer
) -> None:
    desk = make_desk(**FETCH)
    report = desk.ingest([site.url("/feed.xml")], progress=False)
    assert len(report.added) == 3 and not report.rejected, report.summary()
    articles = {a.title: a for a in desk.list_articles()}
    assert set(articles) == {title for title, _ in STORIES.values()}
    bridge = articles["Council approves the harbour bridge"]
    assert bridge.url == site.url("/news/bridge.html")
    assert bridge.published == "2024-03-01"
    assert bridge.authors == ("Ada Reporter",)
    assert bridge.source == "Harbour Times"
    # The link the feed gave carried tracking parameters: the article keeps the clean one.
    assert articles["Night ferry returns to the islands"].url == site.url("/news/ferry.html")
    chunks = [c.text for c in desk.evaluation().indexed_chunks()]
    assert any("40 million euros" in text for text in chunks)
    assert not any("Copyright" in text or text == "Home" for text in chunks)
    assert desk.stats().last_refreshed is not None


def test_answers_cite_the_original_url(make_desk: MakeDesk, site: NewsServer) -> None:
    desk = make_desk(**FETCH)
    desk.ingest([site.url("/feed.xml")], progress=False)
    # The FAKE extractive model replies with the sentence sharing most words with the question: this one
    # picks the sentence with the cost (a reply without the amount asked for is withdrawn as no answer).
    result = desk.ask("How much will the bridge cost, in euros?")
    assert result.citations, result.answer
    assert "40 million euros" in result.answer
    assert result.citations[0].url == site.url("/news/bridge.html")


def test_a_second_refresh_fetches_nothing_unchanged(make_desk: MakeDesk, site: NewsServer) -> None:
    desk = make_desk(**FETCH)
    desk.ingest([site.url("/feed.xml")], progress=False)
    site.clear()
    again = desk.ingest([site.url("/feed.xml")], progress=False)
    assert again.added == [] and again.replaced == [] and len(again.unchanged) == 3
    assert len(again.not_fetched) == 3
    # One conditional request for the feed, answered 304; no page fetched again.
    (hit,) = [hit for hit in site.hits if hit.path != "/robots.txt"]
    assert hit.path == "/feed.xml" and hit.status == 304 and hit.headers["if-none-match"]

    # A server that ignores validators: the whole feed comes back, but its unchanged entries are
    # still not fetched again.
    site.routes["/feed.xml"].etag = False
    site.clear()
    third = desk.ingest([site.url("/feed.xml")], progress=False)
    assert len(third.unchanged) == 3 and site.pages() == ["/feed.xml"]


def test_an_updated_entry_replaces_its_article(make_desk: MakeDesk, site: NewsServer) -> None:
    desk = make_desk(**FETCH)
    desk.ingest([site.url("/feed.xml")], progress=False)
    before = {a.title: a.id for a in desk.list_articles()}

    title, paragraphs = STORIES["tunnel"]
    update = paragraphs + ["Update: the shaft is dry again and works resume on Monday, engineers said."]
    site.routes["/news/tunnel.html"] = Route(article_page(title, update))
    entries = _entries(site)
    entries[2]["date"] = rfc2822(2024, 3, 9)  # the feed dates the update
    site.routes["/feed.xml"] = Route(rss_feed(entries), "application/rss+xml", etag=True)
    site.clear()

    report = desk.ingest([site.url("/feed.xml")], progress=False)
    assert report.replaced == [before[title]] and report.added == [] and len(report.unchanged) == 2
    assert site.pages() == ["/feed.xml", "/news/tunnel.html"]  # only the updated entry's page
    article = desk.get_article(before[title])
    assert article is not None and article.published == "2024-03-09"
    assert any("works resume on Monday" in c.text for c in desk.evaluation().indexed_chunks())


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/broken.xml", "feed could not be parsed: "),
        ("/missing.html", "HTTP 404 Not Found"),
        ("/report.pdf", "not an HTML page or a feed (content-type application/pdf)"),
        ("/huge.html", "page larger than 50,000 bytes (QA_FETCH_MAX_BYTES)"),
        ("/loop-a", "redirect loop: "),
        ("/private/memo.html", "disallowed by robots.txt"),
    ],
)
def test_each_failure_has_its_reason_and_loses_nothing(
    make_desk: MakeDesk, site: NewsServer, path: str, reason: str
) -> None:
    desk = make_desk(**FETCH)
    desk.ingest([site.url("/feed.xml")], progress=False)
    indexed = desk.stats()

    report = desk.ingest([site.url(path), site.url("/news/bridge.html")], progress=False)
    (rejected,) = report.rejected
    assert rejected.origin == site.url(path) and rejected.reason.startswith(reason), rejected.reason
    assert report.indexed == 1  # the other URL of the same run went through
    after = desk.stats()
    assert (after.articles, after.chunks) == (indexed.articles, indexed.chunks)


def test_a_failing_entry_page_is_reported_and_the_article_indexed_before_is_kept(
    make_desk: MakeDesk, site: NewsServer
) -> None:
    desk = make_desk(**FETCH)
    desk.ingest([site.url("/feed.xml")], progress=False)
    ferry = next(a for a in desk.list_articles() if a.title.startswith("Night ferry"))
    entries = _entries(site)
    entries[1]["date"] = rfc2822(2024, 3, 20)  # the entry changes, and its page is gone
    entries[1]["summary"] = "<p>The ferry will not return after all, the operator said on Friday.</p>"
    site.routes["/feed.xml"] = Route(rss_feed(entries), "application/rss+xml", etag=True)
    site.routes["/news/ferry.html"] = Route(b"gone", "text/plain", 404)

    report = desk.ingest([site.url("/feed.xml")], progress=False)
    (rejected,) = report.rejected
    assert rejected.reason == "HTTP 404 Not Found; the article indexed before is kept"
    kept = desk.get_article(ferry.id)
    assert kept is not None and kept.content_hash == ferry.content_hash


def test_the_feed_summary_stands_in_for_a_page_that_cannot_be_fetched(
    make_desk: MakeDesk, site: NewsServer
) -> None:
    summary = "<p>Fishermen protest new quotas at the harbour, blocking the <b>quay</b> for hours.</p>"
    entry = {"title": "Fishermen protest quotas", "link": site.url("/news/quotas.html"),
             "date": rfc2822(2024, 3, 5), "summary": summary}  # fmt: skip
    site.routes["/summaries.xml"] = Route(rss_feed([entry]), "application/rss+xml")
    desk = make_desk(**FETCH)
    report = desk.ingest([site.url("/summaries.xml")], progress=False)
    assert len(report.added) == 1, report.summary()
    (note,) = report.notes
    assert note.origin == entry["link"] and "feed's summary" in note.text and "HTTP 404" in note.text
    article = desk.get_article(report.added[0])
    assert article is not None and article.origin.endswith("(feed summary)")
    assert article.url == entry["link"] and article.published == "2024-03-05"
    assert [c.text for c in desk.evaluation().indexed_chunks()] == [
        "Fishermen protest new quotas at the harbour, blocking the quay for hours."
    ]

    # Once the page is there, the next refresh fetches it and the full article replaces the summary.
    full = ["Dozens of fishing boats blocked the quay on Tuesday. " * 3]
    site.routes["/news/quotas.html"] = Route(article_page("Fishermen protest quotas", full))
    again = desk.ingest([site.url("/summaries.xml")], progress=False)
    assert again.replaced == report.added and not again.notes


def test_a_summary_stand_in_is_retried_on_every_refresh_even_when_the_feed_answers_304(
    make_desk: MakeDesk, site: NewsServer
) -> None:
    summary = "<p>Fishermen protest new quotas at the harbour, blocking the quay for hours on Tuesday.</p>"
    entry = {"title": "Fishermen protest quotas", "link": site.url("/news/quotas.html"),
             "date": rfc2822(2024, 3, 5), "summary": summary}  # fmt: skip
    feed = site.url("/summaries.xml")
    site.routes["/summaries.xml"] = Route(
        rss_feed([entry, *_entries(site)]), "application/rss+xml", etag=True
    )
    desk = make_desk(**FETCH)
    first = desk.ingest([feed], progress=False)
    assert len(first.added) == 4 and len(first.notes) == 1, first.summary()
    quotas = next(a.id for a in desk.list_articles() if a.title == "Fishermen protest quotas")

    # The feed has not changed, but its page is still missing: the feed is read again (no 304 can stand
    # for a summary) and the page tried again; the other entries are not fetched again.
    site.clear()
    second = desk.ingest([feed], progress=False)
    feed_hits = [hit for hit in site.hits if hit.path == "/summaries.xml"]
    assert [hit.status for hit in feed_hits] == [200] and "if-none-match" not in feed_hits[0].headers
    assert site.pages() == ["/summaries.xml", "/news/quotas.html"]
    assert len(second.notes) == 1 and len(second.not_fetched) == 3

    # The page is there now: the full article replaces the summary, with the feed still unchanged.
    full = ["Dozens of fishing boats blocked the quay on Tuesday. " * 3]
    site.routes["/news/quotas.html"] = Route(article_page("Fishermen protest quotas", full))
    third = desk.ingest([feed], progress=False)
    assert third.replaced == [quotas] and not third.notes
    # Every entry from its page now: the next refresh is one conditional request, answered 304.
    site.clear()
    fourth = desk.ingest([feed], progress=False)
    assert [(hit.path, hit.status) for hit in site.hits if hit.path != "/robots.txt"] == [
        ("/summaries.xml", 304)
    ]
    assert len(fourth.unchanged) == 4


def test_one_story_under_two_urls_is_one_article(make_desk: MakeDesk, site: NewsServer) -> None:
    desk = make_desk(**FETCH)
    first = site.url("/news/bridge.html?utm_source=newsletter&utm_campaign=spring")
    second = site.url("/news/bridge.html?utm_source=twitter&fbclid=abc123")
    report = desk.ingest([first, second], progress=False)
    assert len(report.added) == 1 and not report.rejected
    assert site.paths().count("/news/bridge.html?utm_source=newsletter&utm_campaign=spring") == 1
    assert not any("twitter" in path for path in site.paths())  # the same page: fetched once

    later = desk.ingest([second], progress=False)
    assert later.unchanged == report.added and desk.stats().articles == 1
    (article,) = desk.list_articles()
    assert article.url == site.url("/news/bridge.html")


def test_a_canonical_link_on_the_same_site_is_the_identity(make_desk: MakeDesk, site: NewsServer) -> None:
    title, paragraphs = STORIES["bridge"]
    site.routes["/amp/bridge"] = Route(article_page(title, paragraphs, canonical="/news/bridge.html"))
    site.routes["/elsewhere"] = Route(
        article_page(title, paragraphs, canonical="https://other.example/news/bridge.html")
    )
    desk = make_desk(**FETCH)
    desk.ingest([site.url("/news/bridge.html")], progress=False)
    same = desk.ingest([site.url("/amp/bridge")], progress=False)
    assert same.unchanged and desk.stats().articles == 1
    # A page may not claim another site's article: it is its own.
    other = desk.ingest([site.url("/elsewhere")], progress=False)
    assert other.added and desk.get_article(other.added[0]).url == site.url("/elsewhere")  # type: ignore[union-attr]


def test_a_private_address_is_refused_by_default(make_desk: MakeDesk, site: NewsServer) -> None:
    desk = make_desk(fetch_host_delay_s=0)  # QA_FETCH_ALLOW_PRIVATE unset
    report = desk.ingest([site.url("/news/bridge.html"), "http://localhost:9/x"], progress=False)
    reasons = [r.reason for r in report.rejected]
    hint = "(set QA_FETCH_ALLOW_PRIVATE=true to allow)"
    assert reasons[0] == f"refused: 127.0.0.1 is a loopback address {hint}"
    assert reasons[1].startswith("refused: localhost resolves to loopback address")
    assert site.hits == []  # not one request reached the server
    assert desk.stats().articles == 0


def _stub(location: str) -> bytes:
    """A page that has moved, as old CMSs leave them: a meta refresh and a line of text."""
    return (
        f"<html><head><title>Moved</title><meta http-equiv='refresh' content='0; url={location}'></head>"
        f"<body><p>This page has moved. If your browser does not take you there, follow <a "
        f"href='{location}'>this link to the story's new address</a> on the Harbour Times site.</p>"
        "</body></html>"
    ).encode()


def test_a_meta_refresh_stub_is_followed_like_a_redirect_never_indexed(
    make_desk: MakeDesk, site: NewsServer
) -> None:
    site.routes["/old/bridge.html"] = Route(_stub("/news/bridge.html"))
    site.routes["/old/gone.html"] = Route(_stub("/news/gone.html"))
    site.routes["/old/a.html"] = Route(_stub("/old/b.html"))
    site.routes["/old/b.html"] = Route(_stub("a.html"))
    desk = make_desk(**FETCH)
    stubs = ["/old/bridge.html", "/old/gone.html", "/old/a.html"]
    report = desk.ingest([site.url(path) for path in stubs], progress=False)
    (article,) = desk.list_articles()
    assert article.title == STORIES["bridge"][0] and article.url == site.url("/news/bridge.html")
    assert [r.reason for r in report.rejected] == [
        f"a redirect stub (meta refresh to {site.url('/news/gone.html')}), not an article; its target "
        "failed: HTTP 404 Not Found",
        f"a redirect stub (meta refresh to {site.url('/old/a.html')}), not an article: a loop or more "
        "than 3 refreshes",
    ]
    assert not any("has moved" in chunk.text for chunk in desk.evaluation().indexed_chunks())


def _many_stories(server: NewsServer, count: int, *, days: list[int] | None = None) -> None:
    """`count` article pages and a feed `/many.xml` linking them, story n dated March `days[n]`."""
    entries = []
    for n in range(count):
        words = f"Story {n} of the harbour works: the council met the engineers on the quay again today."
        server.routes[f"/many/{n}.html"] = Route(article_page(f"Harbour story {n}", [words, words]))
        day = days[n] if days else 1 + n % 28
        entries.append({"title": f"Harbour story {n}", "link": server.url(f"/many/{n}.html"),
                        "date": rfc2822(2024, 3, day)})  # fmt: skip
    server.routes["/many.xml"] = Route(rss_feed(entries), "application/rss+xml")


def test_a_long_feed_reads_only_its_newest_entries_and_says_so(make_desk: MakeDesk, site: NewsServer) -> None:
    # Feed order is not date order: the newest three are stories 5, 2 and 7.
    _many_stories(site, 8, days=[3, 1, 20, 4, 2, 25, 5, 18])
    desk = make_desk(**FETCH, fetch_max_feed_items=3)
    report = desk.ingest([site.url("/many.xml")], progress=False)
    assert site.pages() == ["/many.xml", "/many/5.html", "/many/2.html", "/many/7.html"]
    assert sorted(a.title for a in desk.list_articles()) == [f"Harbour story {n}" for n in (2, 5, 7)]
    (note,) = report.notes
    assert note.origin == site.url("/many.xml")
    assert note.text == "feed has 8 entries; the newest 3 were read (QA_FETCH_MAX_FEED_ITEMS)"


def test_a_feed_ingest_killed_midway_keeps_what_it_had_fetched(tmp_path: Path, site: NewsServer) -> None:
    # A real `qa ingest` (real embedded Chroma, FAKE embedder) killed with SIGKILL while it fetches.
    _many_stories(site, 60)
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "data"), "QA_EMBEDDING_BACKEND": "fake",
           "QA_FETCH_ALLOW_PRIVATE": "true", "QA_FETCH_HOST_DELAY_S": "0.1"}  # fmt: skip
    command = [sys.executable, "-m", "qa", "ingest", site.url("/many.xml"), "--quiet", "--json"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        # Fetching waits while a batch of 20 is indexed: page 41 is asked for once 40 articles are in.
        while len(site.pages()) < 1 + 41 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the ingest ended before it could be killed"

    def ingest() -> dict[str, list[str]]:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return dict(json.loads(done.stdout))

    listed = subprocess.run([sys.executable, "-m", "qa", "list", "--json"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    kept = {article["title"] for article in json.loads(listed)}
    assert len(kept) >= 40, len(kept)
    site.clear()
    rest = ingest()  # what was indexed before the kill is remembered: not fetched again
    assert len(rest["not_fetched"]) == len(kept) and len(rest["added"]) == 60 - len(kept)
    assert len(site.pages()) == 1 + 60 - len(kept)


def test_a_cancelled_ingest_stops_fetching_and_keeps_what_it_fetched(
    make_settings: Callable[..., Any], site: NewsServer
) -> None:
    from qa.embedding.fake import FakeEmbedder
    from qa.indexing import ingest
    from qa.store import create_store

    _many_stories(site, 40)
    settings = make_settings(**{**FETCH, "fetch_host_delay_s": 0.1})
    store = create_store(settings)
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()  # as the web chat's Cancel would, from another thread
    started = time.monotonic()
    report = ingest([site.url("/many.xml")], settings, FakeEmbedder, store, progress=False, cancel=stop)
    assert time.monotonic() - started < 4
    fetched = len(site.pages()) - 1
    assert 0 < len(report.added) <= fetched < 40  # what was fetched before Cancel is in
    assert {r.reason for r in report.rejected} <= {"cancelled"}
    assert len(store.list_articles()) == len(report.added)
