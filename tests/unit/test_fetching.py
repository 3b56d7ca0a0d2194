"""Which URLs may be fetched, and how the fetcher treats redirects, sizes, robots.txt and validators.

No sockets: host names resolve through a fake resolver (labelled as such) and responses come from
httpx's MockTransport, so what is under test is the real `Fetcher` with its real checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import FrozenInstanceError, fields
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.loaders.fetch.config import FetchConfig
from qa.loaders.fetch.fetcher import Fetcher
from qa.loaders.fetch.urls import (
    FetchError,
    blocked_kind,
    canonical_url,
    check_url,
    is_url,
    target,
    without_tracking,
)
from qa.settings import Settings

pytestmark = pytest.mark.unit

PUBLIC = "93.184.216.34"
# FAKE resolver: host name -> addresses, instead of DNS.
NAMES = {
    "news.example": [PUBLIC],
    "cdn.example": ["2606:4700:4700::1111"],
    "intranet.example": ["10.0.0.5"],
    "mixed.example": [PUBLIC, "192.168.1.20"],
    "robots.example": [PUBLIC],
}


def fake_resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    if host.replace(".", "").isdigit() or ":" in host:
        return [host]
    raise FetchError(f"host {host} not found (FAKE resolver)")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services live here
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("::", "unspecified"),
        (PUBLIC, None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_every_kind_of_non_public_address_is_named(address: str, kind: str | None) -> None:
    assert blocked_kind(address) == kind


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://news.example/feed.xml", "only http and https URLs are fetched, not ftp:"),
        ("file:///etc/passwd", "only http and https URLs are fetched, not file:"),
        ("javascript:alert(1)", "only http and https URLs are fetched, not javascript:"),
        ("news.example/story", "only http and https URLs are fetched, not a URL without scheme:"),
        ("http:///story", "the URL has no host"),
        ("http://user:secret@news.example/", "URLs with a user name or password are not fetched"),
        ("http://news.example:99999/", "not a valid URL"),
    ],
)
def test_only_plain_http_and_https_urls_are_fetched(url: str, reason: str) -> None:
    with pytest.raises(FetchError, match="^" + reason.replace("(", r"\(")):
        check_url(url)


def test_every_resolved_address_is_checked_unless_private_ones_are_allowed() -> None:
    with pytest.raises(FetchError) as refused:
        target("http://mixed.example/story", allow_private=False, resolver=fake_resolver)
    assert str(refused.value) == (
        "refused: mixed.example resolves to private address 192.168.1.20 "
        "(set QA_FETCH_ALLOW_PRIVATE=true to allow)"
    )
    allowed = target("http://mixed.example/story", allow_private=True, resolver=fake_resolver)
    assert allowed.addresses == (PUBLIC, "192.168.1.20")
    assert target("https://news.example/a", allow_private=False, resolver=fake_resolver).port == 443


def test_tracking_parameters_are_dropped_from_the_link_and_the_identity() -> None:
    a = "https://www.news.example/story?id=7&utm_source=rss&utm_medium=feed#comments"
    b = "https://news.example/story/?fbclid=XYZ&id=7&gclid=1"
    assert without_tracking(a) == "https://www.news.example/story?id=7"  # the host kept as linked
    assert without_tracking("https://news.example/story?b=2&a=1") == "https://news.example/story?b=2&a=1"
    assert canonical_url(a) == canonical_url(b) == "https://news.example/story?id=7"


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport that records requests and answers them with `handler`, as a stream not read
    yet (as from a server: a response made from bytes would count as read already)."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/robots.txt" and request.headers["host"] != "robots.example":
            return httpx.Response(404)
        response = self.handler(request)
        if not response.is_stream_consumed:
            return response
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(response.content)
        )


def make_fetcher(handler: Handler, **settings: Any) -> tuple[Fetcher, Recorder, list[float]]:
    recorder = Recorder(handler)
    sleeps: list[float] = []
    values = {"fetch_host_delay_s": 0, "fetch_max_bytes": 10_000, **settings}
    fetcher = Fetcher(
        FetchConfig.from_settings(Settings(_env_file=None, **values)),  # type: ignore[call-arg]
        resolver=fake_resolver,
        sleep=sleeps.append,
        transport=httpx.MockTransport(recorder),
    )
    return fetcher, recorder, sleeps


def page(body: bytes = b"<html><body><p>story</p></body></html>", **headers: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/html", **headers})


def test_the_request_goes_to_the_checked_address_with_the_real_host_name() -> None:
    fetcher, recorder, _ = make_fetcher(lambda request: page())
    got = fetcher.get("https://cdn.example/news/story.html?id=1")
    assert got.url == "https://cdn.example/news/story.html?id=1" and got.content_type == "text/html"
    sent = recorder.requests[-1]
    assert sent.url.host == "2606:4700:4700::1111" and sent.url.path == "/news/story.html"
    assert sent.headers["host"] == "cdn.example"
    assert sent.extensions["sni_hostname"] == "cdn.example"  # the certificate is checked for the name
    assert sent.headers["user-agent"].startswith("newsdesk-qa/")


def test_a_redirect_is_checked_again_scheme_and_address() -> None:
    def redirect_to(location: str) -> Handler:
        return lambda request: httpx.Response(302, headers={"location": location})

    fetcher, recorder, _ = make_fetcher(redirect_to("http://intranet.example/admin"))
    with pytest.raises(FetchError, match="^refused: intranet.example resolves to private address 10.0.0.5"):
        fetcher.get("http://news.example/short")
    assert [r.headers["host"] for r in recorder.requests] == ["news.example", "news.example"]  # robots, page

    fetcher, _, _ = make_fetcher(redirect_to("file:///etc/passwd"))
    with pytest.raises(FetchError, match="^only http and https URLs are fetched, not file:"):
        fetcher.get("http://news.example/short")

    fetcher, _, _ = make_fetcher(redirect_to("http://[::1]:8080/"))
    with pytest.raises(FetchError, match="^refused: ::1 is a loopback address"):
        fetcher.get("http://news.example/short")


def test_redirect_loops_and_long_chains_end_with_the_reason() -> None:
    def chain(request: httpx.Request) -> httpx.Response:
        step = int(request.url.path.strip("/") or 0)
        return httpx.Response(301, headers={"location": f"/{step + 1}"})

    fetcher, _, _ = make_fetcher(chain)
    with pytest.raises(FetchError, match=r"^too many redirects \(more than 5\)$"):
        fetcher.get("http://news.example/0")

    def ping_pong(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/a" if request.url.path == "/b" else "/b"})

    fetcher, _, _ = make_fetcher(ping_pong)
    with pytest.raises(FetchError) as loop:
        fetcher.get("http://news.example/b")
    site = "http://news.example"
    assert str(loop.value) == f"redirect loop: {site}/b -> {site}/a -> {site}/b"


def test_the_size_limit_holds_with_or_without_a_content_length() -> None:
    big = b"<p>" + b"x" * 20_000 + b"</p>"
    fetcher, _, _ = make_fetcher(lambda request: page(big))
    with pytest.raises(FetchError, match=r"^page larger than 10,000 bytes \(QA_FETCH_MAX_BYTES\)$"):
        fetcher.get("http://news.example/big")

    def streamed(request: httpx.Request) -> httpx.Response:
        pieces: Iterator[bytes] = iter([b"x" * 4000] * 10)
        return httpx.Response(200, content=pieces, headers={"content-type": "text/html"})

    fetcher, _, _ = make_fetcher(streamed)
    with pytest.raises(FetchError, match="^page larger than 10,000 bytes"):
        fetcher.get("http://news.example/chunked")


def test_validators_are_sent_and_a_304_says_not_modified() -> None:
    def conditional(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return page(etag='"v1"', **{"last-modified": "Tue, 05 Mar 2024 09:30:00 GMT"})

    fetcher, recorder, _ = make_fetcher(conditional)
    first = fetcher.get("http://news.example/story")
    assert (first.etag, first.last_modified) == ('"v1"', "Tue, 05 Mar 2024 09:30:00 GMT")
    again = fetcher.get("http://news.example/story", etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body == b""
    assert recorder.requests[-1].headers["if-modified-since"] == "Tue, 05 Mar 2024 09:30:00 GMT"


def test_http_errors_are_named() -> None:
    fetcher, _, _ = make_fetcher(lambda request: httpx.Response(410))
    with pytest.raises(FetchError, match="^HTTP 410 Gone$"):
        fetcher.get("http://news.example/old")


def test_requests_to_one_host_wait_their_turn() -> None:
    fetcher, _, sleeps = make_fetcher(lambda request: page(), fetch_host_delay_s=2.0)
    fetcher.get("http://news.example/a")
    fetcher.get("http://news.example/b")
    fetcher.get("http://cdn.example/c")
    # A host's first request (its robots.txt) goes at once; each next one waits out the delay.
    assert len(sleeps) == 3 and all(1.0 < s <= 2.0 for s in sleeps)  # before /a, /b and /c


def robots(rules: str, status: int = 200) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(status, text=rules)
        return page()

    return answer


def test_robots_txt_is_respected_by_default_and_can_be_ignored() -> None:
    rules = "User-agent: newsdesk-qa\nDisallow: /archive/\n\nUser-agent: *\nDisallow: /\n"
    fetcher, recorder, _ = make_fetcher(robots(rules))
    assert fetcher.get("http://robots.example/news/today").status == 200  # our agent's own group
    with pytest.raises(FetchError, match=r"^disallowed by robots.txt of http://robots.example \("):
        fetcher.get("http://robots.example/archive/2019")
    assert [r.url.path for r in recorder.requests].count("/robots.txt") == 1  # read once per site

    fetcher, _, _ = make_fetcher(robots(rules), fetch_respect_robots=False)
    assert fetcher.get("http://robots.example/archive/2019").status == 200

    fetcher, _, _ = make_fetcher(robots("", status=503))
    unreadable = r"^robots.txt of http://robots.example could not be read \(HTTP 503\); not fetching"
    with pytest.raises(FetchError, match=unreadable):
        fetcher.get("http://robots.example/news/today")


def encoded(body: bytes, encoding: str) -> httpx.Response:
    """A 200 page whose body is `body` as sent, with this Content-Encoding (a stream, as from a server)."""
    headers = {"content-type": "text/html", "content-encoding": encoding}
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))


def zeros_compressed(make: Callable[[], Any], megabytes: int) -> bytes:
    """`megabytes` MiB of zero bytes through a compressor object (zlib's, or one with the same API)."""
    compressor = make()
    block = bytes(1 << 20)
    return b"".join(compressor.compress(block) for _ in range(megabytes)) + compressor.flush()


def peak_traced(action: Callable[[], object]) -> int:
    """The peak of Python's allocations while `action` runs, in bytes."""
    import tracemalloc

    tracemalloc.start()
    try:
        action()
    except FetchError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_gzip_and_deflate_are_decoded_and_the_only_encodings_asked_for() -> None:
    import zlib

    story = b"<html><body><p>" + b"The harbour bridge opens. " * 100 + b"</p></body></html>"
    bodies = {
        "gzip": zlib.compress(story, wbits=31),
        "deflate": zlib.compress(story),  # zlib's format, as the standard says
        "Deflate": zlib.compress(story, wbits=-15),  # raw deflate, as some servers send it
        "identity": story,
    }
    for encoding, body in bodies.items():
        fetcher, recorder, _ = make_fetcher(lambda request, b=body, e=encoding: encoded(b, e))
        assert fetcher.get("http://news.example/story").body == story, encoding
        assert recorder.requests[-1].headers["accept-encoding"] == "gzip, deflate"


def test_brotli_zstd_and_stacked_encodings_are_refused_unread() -> None:
    brotli = pytest.importorskip("brotli")
    zstandard = pytest.importorskip("zstandard")
    bombs = {  # 64 MiB of zeros each, a few KB sent
        "br": brotli.compress(bytes(64 << 20), quality=1),
        "zstd": zstandard.ZstdCompressor(level=1).compress(bytes(64 << 20)),
        "gzip, gzip": b"\x1f\x8b",
        "compress": b"\x1f\x9d",
    }
    for encoding, body in bombs.items():
        fetcher, _, _ = make_fetcher(lambda request, b=body, e=encoding: encoded(b, e))
        with pytest.raises(FetchError) as refused:
            fetcher.get("http://news.example/bomb")
        assert str(refused.value) == f"unsupported content-encoding {encoding} (asked for gzip, deflate)"
        fetcher, _, _ = make_fetcher(lambda request, b=body, e=encoding: encoded(b, e))
        assert peak_traced(lambda f=fetcher: f.get("http://news.example/bomb")) < 2_000_000, encoding


def test_a_gzip_bomb_is_decoded_in_bounded_steps_and_stopped_at_the_cap() -> None:
    import zlib

    bomb = zeros_compressed(lambda: zlib.compressobj(9, zlib.DEFLATED, 31), 256)  # 256 MiB, ~250 KB sent
    fetcher, _, _ = make_fetcher(lambda request: encoded(bomb, "gzip"))
    with pytest.raises(FetchError, match=r"^page larger than 10,000 bytes \(QA_FETCH_MAX_BYTES\)$"):
        fetcher.get("http://news.example/bomb")
    fetcher, _, _ = make_fetcher(lambda request: encoded(bomb, "gzip"))
    # The bomb in memory (~250 KB) and one decoding step: never the 256 MiB.
    assert peak_traced(lambda: fetcher.get("http://news.example/bomb")) < 2_000_000

    fetcher, _, _ = make_fetcher(lambda request: encoded(b"this is not gzip at all", "gzip"))
    with pytest.raises(FetchError, match=r"^the gzip body could not be decoded \("):
        fetcher.get("http://news.example/broken")


def test_an_unspecified_address_is_named_with_the_right_article() -> None:
    with pytest.raises(FetchError) as refused:
        target("http://0.0.0.0:8080/", allow_private=False, resolver=fake_resolver)
    assert str(refused.value) == (
        "refused: 0.0.0.0 is an unspecified address (set QA_FETCH_ALLOW_PRIVATE=true to allow)"
    )


def test_a_data_url_is_refused_as_a_url_not_looked_for_on_disk(
    make_desk: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.loaders.fetch.remote import is_remote

    monkeypatch.chdir(tmp_path)
    (tmp_path / "about:harbour.md").write_text("A file whose name looks like a URL stays a file.")
    assert not is_remote(Path("about:harbour.md")) and is_remote(Path("about:quay.md"))

    urls = ["data:text/html,<p>The harbour bridge opens</p>", "javascript:alert(1)", "http:news.example"]
    assert all(is_remote(url) for url in urls)
    assert not is_remote("notes/data.txt") and not is_remote("2024-03-01 harbour.md")
    # `qa ingest` makes a Path of anything without `://`: a Path that looks like a URL is one too.
    report = make_desk().ingest([urls[0], Path(urls[1]), Path(urls[2])], progress=False)
    assert [r.reason for r in report.rejected] == [
        "only http and https URLs are fetched, not data:",
        "only http and https URLs are fetched, not javascript:",
        "the URL has no host",
    ]


@pytest.mark.parametrize(
    ("text", "a_url", "a_web_url"),
    [
        ("https://news.example/story", True, True),
        ("  HTTP://news.example/  ", True, True),
        ("ftp://news.example/file", True, False),
        ("data:text/html,<p>story</p>", True, False),
        ("http:news.example", True, False),  # a URL (refused: no host), though not one the URL box takes
        ("notes/data.txt", False, False),
        ("2024-03-01 harbour.md", False, False),
        ("dir/a://b", False, False),
        ("url-1234abcd", False, False),
    ],
)
def test_one_test_says_what_is_a_url(text: str, a_url: bool, a_web_url: bool) -> None:
    assert is_url(text) is a_url
    assert is_url(text, web=True) is a_web_url


def test_a_file_wins_over_a_url_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "about:harbour.md").write_text("A file whose name looks like a URL.")
    assert is_url("about:harbour.md") and not is_url("about:harbour.md", file_wins=True)
    assert is_url("about:quay.md", file_wins=True)
    assert is_url("https://news.example/" + "x" * 5000, file_wins=True)  # too long a name for a file


def test_the_fetch_config_carries_every_fetch_setting(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, fetch_timeout_s=7, fetch_max_feed_items=3)  # type: ignore[call-arg]
    config = FetchConfig.from_settings(settings)
    fetch_settings = {name for name in Settings.model_fields if name.startswith("fetch_")}
    assert {field.name for field in fields(config)} - {"fetch_state_path"} == fetch_settings
    assert (config.fetch_timeout_s, config.fetch_max_feed_items) == (7, 3)
    assert config.fetch_state_path == settings.fetch_state_path
    with pytest.raises(FrozenInstanceError):
        config.fetch_timeout_s = 1  # type: ignore[misc]
