"""Feeds read from bytes (RSS 2.0, Atom, broken ones), intervals, the sources file and the fetch state,
and the web chat's URL box: all offline (what needs a server is in tests/integration/test_feeds.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.errors import InvalidInputError, UserError
from qa.loaders.fetch.feeds import FeedError, fragment_text, looks_like_feed, parse_feed
from qa.loaders.fetch.state import FetchState, UrlState
from qa.service import NewsDesk
from qa.text.durations import parse_interval
from qa.web.handlers import WebApp
from qa.web.views import render_header

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Harbour Times</title><link>https://news.example/</link><description>Local news</description>
<item><title>Council approves the harbour bridge</title>
  <link>https://news.example/news/bridge.html?utm_source=rss</link>
  <guid>bridge-1</guid><pubDate>Tue, 05 Mar 2024 23:30:00 -0500</pubDate>
  <dc:creator>Ada Reporter</dc:creator>
  <description><![CDATA[<p>The council voted for the bridge.</p>
  <p>It costs <b>40 million</b> euros.</p>]]></description>
</item>
<item><title>Ferry returns</title><link>/news/ferry.html</link>
  <pubDate>Wed, 06 Mar 2024 08:00:00 GMT</pubDate></item>
<item><title>No link here</title><description>Only words.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Tunnel Watch</title><id>urn:tunnel</id><updated>2024-03-09T10:00:00Z</updated>
  <entry>
    <title>Tunnel works delayed by flooding</title>
    <link rel="alternate" href="https://tunnel.example/2024/03/flooding"/>
    <id>urn:tunnel:1</id><published>2024-03-08T07:00:00+01:00</published><updated>2024-03-09T10:00:00Z</updated>
    <author><name>Ben Engineer</name></author><author><name>Cleo Writer</name></author>
    <summary>Short summary.</summary>
    <content type="html">&lt;p&gt;Works on the rail tunnel are delayed by three months.&lt;/p&gt;</content>
  </entry>
</feed>"""


def test_rss_entries_carry_title_link_date_authors_and_summary_text() -> None:
    feed = parse_feed(RSS, base_url="https://news.example/feed.xml")
    assert feed.title == "Harbour Times"
    bridge, ferry, no_link = feed.entries
    assert bridge.title == "Council approves the harbour bridge"
    assert bridge.link == "https://news.example/news/bridge.html?utm_source=rss"
    assert bridge.published == "2024-03-05"  # the day as the feed dates it, not shifted to UTC
    assert bridge.authors == ("Ada Reporter",)
    assert bridge.summary == "The council voted for the bridge.\n\nIt costs 40 million euros."
    assert ferry.link == "https://news.example/news/ferry.html"  # relative link resolved
    assert ferry.published == "2024-03-06" and ferry.summary == ""
    assert no_link.link is None


def test_atom_entries_and_their_full_content() -> None:
    (entry,) = parse_feed(ATOM).entries
    assert entry.link == "https://tunnel.example/2024/03/flooding"
    assert entry.published == "2024-03-08"
    assert entry.authors == ("Ben Engineer", "Cleo Writer")
    assert entry.summary == "Works on the rail tunnel are delayed by three months."  # the longer text


def test_an_entry_fingerprint_changes_when_the_feed_updates_the_entry() -> None:
    before = parse_feed(ATOM).entries[0].fingerprint
    assert parse_feed(ATOM).entries[0].fingerprint == before  # stable across runs
    updated = ATOM.replace(b"<updated>2024-03-09T10:00:00Z</updated>\n    <author>", b"<author>")
    assert updated != ATOM
    assert parse_feed(updated).entries[0].fingerprint != before


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not a feed {", "syntax error"),
        (b"<rss><channel><item><title>cut sh", "no element found"),
        (b"<html><body><p>A page, not a feed.</p></body></html>", "not an RSS or Atom feed"),
        # Given a string, feedparser would open a file of that name: it only ever gets a stream.
        (b"/etc/passwd", "not well-formed (invalid token)"),
    ],
)
def test_a_broken_feed_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as error:
        parse_feed(data)
    assert str(error.value) == reason


def test_feeds_are_told_from_pages_by_type_or_first_element() -> None:
    assert looks_like_feed(b"", "application/rss+xml")
    assert looks_like_feed(b"<?xml version='1.0'?><feed xmlns='...'>", "")
    assert looks_like_feed(b"<rss version='2.0'>", "text/plain")
    assert not looks_like_feed(b"<rss version='2.0'>", "text/html")
    assert not looks_like_feed(b"<!doctype html><html>", "")


def test_summary_html_becomes_plain_text_without_scripts() -> None:
    html = "<div>One <i>two</i></div><script>alert(1)</script><ul><li>three</li></ul>&amp; four"
    assert fragment_text(html) == "One two\n\nthree\n\n& four"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("1h30m", 5400), (" 1.5m ", 90)]
)
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "-5m", "0m", "15x", "15m extra", "m15"])
def test_a_bad_interval_is_refused_with_examples(text: str) -> None:
    with pytest.raises(InvalidInputError, match="--every must be an interval such as 30s, 15m or 2h"):
        parse_interval(text)


def test_sources_are_added_listed_and_removed(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk = make_desk()
    assert desk.sources() == []
    saved = desk.add_source("harbour", "https://news.example/feed.xml")
    desk.add_source("tunnel", "https://tunnel.example/atom.xml")
    assert [(s.name, s.url) for s in desk.sources()] == [
        ("harbour", "https://news.example/feed.xml"),
        ("tunnel", "https://tunnel.example/atom.xml"),
    ]
    assert saved.added.endswith("Z")
    on_disk = json.loads(desk.settings.sources_path.read_text())
    assert [s["name"] for s in on_disk["sources"]] == ["harbour", "tunnel"]
    assert not list(desk.settings.data_dir.glob("*.tmp"))  # written through a temporary file, renamed

    removed = desk.remove_source("harbour")
    assert removed is not None and removed.url == "https://news.example/feed.xml"
    assert desk.remove_source("harbour") is None
    assert [s.name for s in desk.sources()] == ["tunnel"]


@pytest.mark.parametrize(
    ("name", "url", "message"),
    [
        ("tunnel", "https://other.example/feed", "a source named 'tunnel' is already saved"),
        ("copy", "https://tunnel.example/atom.xml?utm_source=x", "is already saved as 'tunnel'"),
        ("ftp", "ftp://tunnel.example/atom.xml", "only http and https URLs are fetched"),
        ("two words", "https://a.example/feed", "a source name is 1-60 letters"),
    ],
)
def test_a_bad_or_duplicate_source_is_refused(make_desk: MakeDesk, name: str, url: str, message: str) -> None:
    desk = make_desk()
    desk.add_source("tunnel", "https://tunnel.example/atom.xml")
    with pytest.raises(InvalidInputError, match=message):
        desk.add_source(name, url)


def test_refresh_without_sources_says_how_to_add_one(make_desk: MakeDesk) -> None:
    with pytest.raises(UserError, match="qa sources add NAME URL"):
        make_desk().refresh(progress=False)


def test_the_fetch_state_merges_updates_and_survives_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "fetch-state.json"
    FetchState.update(path, {"https://www.news.example/a?utm_source=x": UrlState("url-1", fingerprint="f1")})
    FetchState.update(path, {"https://news.example/a": UrlState("url-1", etag='"e"')})  # fingerprint kept
    state = FetchState(path)
    assert state.get("https://news.example/a/") == UrlState("url-1", fingerprint="f1", etag='"e"')
    assert state.last_refreshed is not None
    path.write_text("{ broken")
    assert FetchState(path).urls == {}  # a cache: everything is fetched again


def test_the_url_box_refuses_private_addresses_by_default(make_desk: MakeDesk) -> None:
    web = WebApp(make_desk())
    results, _, _, header, box = web.add_url("http://127.0.0.1:8080/admin", "")
    assert "rejected" in results and "refused: 127.0.0.1 is a loopback address" in results
    assert "QA_FETCH_ALLOW_PRIVATE=true" in results
    assert box == "http://127.0.0.1:8080/admin"  # kept, to correct it
    results, *_ = web.add_url("file:///etc/passwd", "")
    assert "Only http:// and https:// URLs can be added." in results


def test_the_header_says_when_the_index_was_last_refreshed() -> None:
    assert "not refreshed from the web yet" in render_header("fake", "emb", 1, 2)
    assert "refreshed 2024-05-01 12:03 UTC" in render_header("fake", "emb", 1, 2, "2024-05-01T12:03:04Z")
