"""The Fetcher against a hostile server on a loopback port (`tests/hostileserver.py`): compression
bombs stay bounded in memory, and slow headers, slow bodies and slow redirect chains end at one deadline.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.loaders.fetch.config import FetchConfig
from qa.loaders.fetch.fetcher import FetchCancelled, Fetcher
from qa.loaders.fetch.urls import FetchError
from qa.settings import Settings
from tests.hostileserver import (
    HostileServer,
    brotli_bomb,
    drip_body,
    drip_headers,
    drip_tls_handshake,
    encoded_page,
    gzip_bomb,
    hostile_server,
    slow_redirect,
    zstd_bomb,
)

pytestmark = pytest.mark.integration

TIMEOUT_S = 2.0


@pytest.fixture
def site() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


def fetcher(**settings: Any) -> Fetcher:
    values = {"fetch_allow_private": True, "fetch_host_delay_s": 0, "fetch_timeout_s": TIMEOUT_S, **settings}
    return Fetcher(FetchConfig.from_settings(Settings(_env_file=None, **values)))  # type: ignore[call-arg]


def failure(get: Callable[[], object]) -> tuple[str, float, int]:
    """Why `get` failed, after how many seconds, and the peak of Python's allocations meanwhile."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        get()
    except FetchError as exc:
        return exc.reason, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError("the fetch succeeded")


@pytest.mark.parametrize(("encoding", "make"), [("br", brotli_bomb), ("zstd", zstd_bomb)])
def test_brotli_and_zstd_bombs_are_refused_unread(
    site: HostileServer, encoding: str, make: Callable[[int], bytes | None]
) -> None:
    bomb = make(256)  # 256 MiB of zeros, a few hundred bytes sent
    if bomb is None:
        pytest.skip(f"no {encoding} module to make the bomb with")
    site.routes["/bomb"] = encoded_page(bomb, encoding)
    client = fetcher()  # made outside the measure: an SSL context alone is a few MB
    reason, _, peak = failure(lambda: client.get(site.url("/bomb")))
    assert reason == f"unsupported content-encoding {encoding} (asked for gzip, deflate)"
    assert peak < 2_000_000


def test_a_gzip_bomb_stops_at_the_size_cap_in_bounded_memory(site: HostileServer) -> None:
    site.routes["/bomb"] = encoded_page(gzip_bomb(256), "gzip")  # 256 MiB of zeros, ~250 KB sent
    client = fetcher()
    reason, _, peak = failure(lambda: client.get(site.url("/bomb")))
    assert reason == "page larger than 5,000,000 bytes (QA_FETCH_MAX_BYTES)"
    assert peak < 20_000_000  # the cap (5 MB) and a few decoding steps


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body", "/slow-redirects/0"])
def test_slow_headers_a_slow_body_and_slow_redirects_end_at_one_deadline(
    site: HostileServer, path: str
) -> None:
    site.routes["/slow-headers"] = drip_headers(every_s=1.0, max_drip_s=15)
    site.routes["/slow-body"] = drip_body(every_s=1.0, max_drip_s=15)
    for hop in range(5):  # each head takes 1.5 s, under a per-read timeout of 2 s
        site.routes[f"/slow-redirects/{hop}"] = slow_redirect(f"/slow-redirects/{hop + 1}", 1.5)
    reason, seconds, _ = failure(lambda: fetcher().get(site.url(path)))
    assert reason == "timed out after 2s (QA_FETCH_TIMEOUT_S)"
    assert seconds <= TIMEOUT_S + 2


def test_a_fetch_can_be_cancelled_from_another_thread(site: HostileServer) -> None:
    site.routes["/slow-headers"] = drip_headers(every_s=1.0, max_drip_s=15)
    slow = fetcher(fetch_timeout_s=30)
    threading.Timer(0.5, slow.cancel).start()
    reason, seconds, _ = failure(lambda: slow.get(site.url("/slow-headers")))
    assert reason == "cancelled" and seconds < 2
    with pytest.raises(FetchCancelled):
        slow.get(site.url("/slow-headers"))  # and no later fetch starts


def test_a_cancel_event_given_to_the_fetcher_ends_its_request(site: HostileServer) -> None:
    site.routes["/slow-body"] = drip_body(every_s=1.0, max_drip_s=15)
    stop = threading.Event()
    slow = Fetcher(fetcher(fetch_timeout_s=30).config, cancel=stop)
    threading.Timer(0.5, stop.set).start()
    reason, seconds, _ = failure(lambda: slow.get(site.url("/slow-body")))
    assert reason == "cancelled" and seconds < 2


def test_a_tls_server_dripping_its_headers_ends_at_the_deadline(tmp_path: Path) -> None:
    # The watchdog must shut the socket TLS took over, not the plain one it wrapped (closed by then).
    import httpx

    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))  # the test's certificate, trusted here only
    with hostile_server(tls=served) as site:
        site.routes["/slow-headers"] = drip_headers(every_s=1.0, max_drip_s=15)
        config = fetcher().config
        client = Fetcher(config, transport=httpx.HTTPTransport(verify=trusting))
        reason, seconds, _ = failure(lambda: client.get(site.url("/slow-headers")))
    assert reason == "timed out after 2s (QA_FETCH_TIMEOUT_S)"
    assert seconds <= TIMEOUT_S + 2


def test_a_tls_handshake_dripped_a_byte_a_second_ends_at_the_deadline_or_on_cancel(
    site: HostileServer,
) -> None:
    site.on_connect = drip_tls_handshake(every_s=1.0, max_drip_s=15)
    https = site.url("/story").replace("http://", "https://")
    reason, seconds, _ = failure(lambda: fetcher(fetch_respect_robots=False).get(https))
    assert reason == "timed out after 2s (QA_FETCH_TIMEOUT_S)"
    assert seconds <= TIMEOUT_S + 2
    # Cancelled mid-handshake: TLS has taken the connection over from the plain socket by then.
    slow = fetcher(fetch_respect_robots=False, fetch_timeout_s=30)
    threading.Timer(0.5, slow.cancel).start()
    reason, seconds, _ = failure(lambda: slow.get(https))
    assert reason == "cancelled" and seconds < 2
