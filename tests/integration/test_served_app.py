"""The app as a user runs it: a real `qa serve` process, other `qa` commands beside it, hostile clients."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEED_ARTICLE
from tests.integration.served import post_json, qa_env, run_qa, served_app

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
