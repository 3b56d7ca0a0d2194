"""The app as a user runs it: a real `qa serve` process, other `qa` commands beside it, hostile clients."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.conftest import SEED_ARTICLE
from tests.integration.hostile import dripping_server, peak_rss_growth_kib, post_huge_body
from tests.integration.served import ServedApp, basic_auth, post_json, qa_env, run_qa, served_app

pytestmark = pytest.mark.integration


def test_an_ingest_beside_a_running_app_that_has_not_answered_yet_is_seen(tmp_path: Path) -> None:
    # The app loads its index at start and the page lists the articles, but it answers nothing before
    # the CLI writes: its first question must see the new article, not fail on vectors it cannot find.
    data = tmp_path / "data"
    assert run_qa(qa_env(data), "ingest", str(SEED_ARTICLE), "--quiet").returncode == 0
    story = tmp_path / "glacier.txt"
    story.write_text(
        "Glacier walkway reopens\n\nThe glacier walkway in Svalbard reopened on Monday after repairs "
        "that took eleven weeks, the local council said."
    )
    with served_app(data) as app:
        with urllib.request.urlopen(app.url, timeout=30) as page:
            assert page.status == 200  # the page loads; nothing asked yet
        done = app.qa("ingest", str(story), "--quiet")
        assert done.returncode == 0, done.stderr
        for _ in range(2):  # and again: no request may leave it broken
            status, _, body = post_json(
                app.url + "api/ask", {"question": "When did the glacier walkway in Svalbard reopen?"}
            )
            assert status == 200, body
            assert body["retrieved"][0]["title"] == "Glacier walkway reopens"


# -- one app behind a login, for the hostile clients below (issue 19)

USER, PASSWORD = "editor", "correct horse battery staple"
QUESTION = "How many base stations does Huawei make a month?"
ATTACKER = "127.0.0.2"  # the loopback network is 127/8: a second client address on this machine
BODY_CAP_GROWTH_KIB = 24 * 1024  # "a few MB": the server's RSS may move a little while it refuses


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """`qa serve` with a login, on the seed article, that may fetch from loopback (hostile servers)."""
    data = tmp_path_factory.mktemp("guarded") / "data"
    assert run_qa(qa_env(data), "ingest", str(SEED_ARTICLE), "--quiet").returncode == 0
    with served_app(
        data,
        QA_WEB_AUTH_USER=USER,
        QA_WEB_AUTH_PASSWORD=PASSWORD,
        QA_FETCH_ALLOW_PRIVATE="true",
        QA_FETCH_TIMEOUT_S="120",  # the fetch stays slow for the whole test, whatever bounds it
    ) as app:
        yield app


def _ask_as_user(app: ServedApp) -> tuple[int, Any]:
    status, _, body = post_json(app.url + "api/ask", {"question": QUESTION}, basic_auth(USER, PASSWORD))
    return status, body


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


def test_a_slow_site_in_the_url_box_never_holds_up_a_question(guarded_app: ServedApp) -> None:
    from gradio_client import Client

    client = Client(guarded_app.url, auth=(USER, PASSWORD), verbose=False, download_files=False)
    chat_question = (QUESTION, 5, "", "", "")  # question, number of sources, from, until, as of

    client.predict(*chat_question, api_name="/respond")  # warm: the first answer loads what is lazy
    with dripping_server() as site:
        fetch = client.submit(site.url, "", api_name="/add_url")  # the Articles tab's URL box
        assert site.requested.wait(60), "the fetch never reached the dripping site"
        time.sleep(1)  # well inside the fetch now
        chat = client.submit(*chat_question, api_name="/respond")
        chat_s, answered = _timed(lambda: chat.result(timeout=30))
        api_s, (status, body) = _timed(lambda: _ask_as_user(guarded_app))
        assert "5,000" in str(answered[0]) and chat_s < 10  # the chat's own question, through its queue
        assert status == 200 and body["citations"] and api_s < 10
        progress = [str(update[0]) for update in fetch.outputs()]
        assert any("Fetching " + site.url in line for line in progress), progress
        assert not fetch.done()  # still dripping: what was measured above ran beside it
        fetch.cancel()


def _login_form(app: ServedApp, password: str, *, source: str = ATTACKER) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60, source_address=(source, 0))
    try:
        form = urllib.parse.urlencode({"username": USER, "password": password})
        conn.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        reply = conn.getresponse()
        reply.read()
        return reply.status, {name.lower(): value for name, value in reply.getheaders()}
    finally:
        conn.close()


def _basic_ask(app: ServedApp, password: str, *, source: str = ATTACKER) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60, source_address=(source, 0))
    try:
        headers = {"Content-Type": "application/json", **basic_auth(USER, password)}
        conn.request("POST", "/api/ask", json.dumps({"question": QUESTION}), headers)
        reply = conn.getresponse()
        reply.read()
        return reply.status, {name.lower(): value for name, value in reply.getheaders()}
    finally:
        conn.close()


def test_wrong_passwords_slow_down_only_the_guesser(guarded_app: ServedApp) -> None:
    guesses = [_login_form(guarded_app, f"guess {i}") for i in range(4)]
    with ThreadPoolExecutor(max_workers=2) as attacker:
        more = [
            attacker.submit(_login_form, guarded_app, "guess 5"),
            attacker.submit(_basic_ask, guarded_app, "guess 6"),
        ]
        time.sleep(0.2)  # the guesser's next attempts are in flight now
        page_s, _ = _timed(lambda: urllib.request.urlopen(guarded_app.url + "theme.css", timeout=30).read())
        api_s, (status, body) = _timed(lambda: _ask_as_user(guarded_app))
        guesses += [attempt.result() for attempt in more]
    # Nobody else waits for the guesser (it was 7.5 s and 8.5 s); an answer embeds the question, so it
    # gets a little room on a busy 2-core box.
    assert page_s < 1 and api_s < 2, (page_s, api_s)
    assert status == 200 and body["citations"]
    assert guesses[0][0] == 400  # Gradio's "Incorrect credentials."
    for refused, headers in guesses[1:]:  # each inside the back-off window of the failure before
        assert refused == 429 and int(headers["retry-after"]) >= 1


def _huge_body(app: ServedApp, *, chunked: bool) -> tuple[int, int]:
    """(status, server RSS growth in KiB) of a 300 MB body posted to /api/ask by the logged-in user."""
    send = partial(
        post_huge_body, app.port, "/api/ask", 300_000_000, basic_auth(USER, PASSWORD), chunked=chunked
    )
    status, _, growth_kib = peak_rss_growth_kib(app.process.pid, send)
    return status, growth_kib


def test_a_huge_declared_body_is_refused_before_it_is_read(guarded_app: ServedApp) -> None:
    status, growth_kib = _huge_body(guarded_app, chunked=False)
    assert status == 413 and growth_kib < BODY_CAP_GROWTH_KIB, growth_kib


def test_a_huge_chunked_body_is_refused_at_the_cap(guarded_app: ServedApp) -> None:
    status, growth_kib = _huge_body(guarded_app, chunked=True)
    assert status == 413 and growth_kib < BODY_CAP_GROWTH_KIB, growth_kib
    assert _ask_as_user(guarded_app)[0] == 200  # and the app answers as before


def test_the_api_schema_is_not_readable_without_the_login(guarded_app: ServedApp) -> None:
    for path in ("openapi.json", "docs", "redoc", "gradio_api/openapi.json"):
        try:
            with urllib.request.urlopen(guarded_app.url + path, timeout=30) as reply:
                status, text = reply.status, reply.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as refused:
            status, text = refused.code, refused.read().decode("utf-8", errors="replace")
        assert status in (401, 404) and '"paths"' not in text, (path, status, text[:200])


def test_in_the_browser_a_slow_fetch_shows_its_progress_and_cancels(
    browser: Browser, guarded_app: ServedApp
) -> None:
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.goto(guarded_app.url)
    page.locator("input[type=text]").first.fill(USER)  # the login form goes through the throttle
    page.fill("input[type=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#nd-header .nd-brand")
    with dripping_server() as site:
        page.get_by_role("tab", name="Articles").click()
        page.fill("#nd-url textarea", site.url)
        page.click("#nd-add-url")
        page.wait_for_function("document.querySelector('#nd-results').innerText.includes('Fetching')")
        assert site.requested.wait(30)

        page.get_by_role("tab", name="Chat").click()
        page.fill("#nd-question textarea", QUESTION)
        started = time.monotonic()
        page.click("#nd-ask")
        page.wait_for_selector("#nd-chat .nd-answer:not(.nd-streaming)", timeout=20_000)
        assert time.monotonic() - started < 10  # answered while the fetch drips on

        page.get_by_role("tab", name="Articles").click()
        assert "Fetching " + site.url in page.inner_text("#nd-results")  # still running, still shown
        page.click("#nd-cancel-fetch")
        page.wait_for_function("document.querySelector('#nd-results').innerText.includes('Cancelled')")
        # The fetch itself stops (its deadline is 120 s here): the server sees the connection closed.
        assert site.hung_up.wait(15)
        time.sleep(1.5)  # a cancelled fetch writes no more progress over the message
        assert "Cancelled" in page.inner_text("#nd-results")
        # The URL box works again at once: its slot is free even though the drip goes on.
        page.fill("#nd-url textarea", "ftp://example.com/feed.xml")
        page.click("#nd-add-url")
        page.wait_for_function(
            "document.querySelector('#nd-results').innerText.includes('Only http')", timeout=10_000
        )
    page.close()
