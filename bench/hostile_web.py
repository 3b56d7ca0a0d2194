"""Hostile clients against a running `qa serve`: memory under a huge `/api/ask` body, and the chat's
latency while a dripping site is being fetched from the URL box.

    python bench/hostile_web.py [--body-mb 300] [--questions 10] [--data-dir DIR]

Ingests the bundled sample into a fresh data dir (or uses --data-dir), starts `python -m qa serve` as a
whole process on a free loopback port with the FAKE chat model (instant answers: the figures are the
app's own), then
  (a) posts a `--body-mb` body to `/api/ask`, once with a Content-Length and once chunked, 1 MB at a time,
      and reports the server process's peak RSS while it does and how far it rose (limit: it may not rise
      by more than 300 MB; before the fix it rose by the whole body and more);
  (b) asks `--questions` questions one after another through the chat's own path (Gradio's queue, the
      `respond` event, with gradio_client), first with nothing else running, then while the Articles
      tab's URL box (`add_url`) fetches a site that drips its headers one byte every 0.5 s: the two
      medians must be within 2 s.
It prints a Markdown table. It reuses the test helpers (`tests/integration/served.py`, `hostile.py`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import SAMPLE_QUESTIONS  # noqa: E402  (bench/, beside this script)

from tests.integration.hostile import dripping_server, peak_rss_growth_kib, post_huge_body  # noqa: E402
from tests.integration.served import qa_env, run_qa, served_app  # noqa: E402

QUESTIONS = SAMPLE_QUESTIONS
RSS_LIMIT_MB = 300
P50_GAP_LIMIT_S = 2.0


def _chat_latencies(client: Any, count: int) -> list[float]:
    """Seconds per chat answer, `count` questions one after another through Gradio's queue."""
    latencies = []
    for i in range(count):
        started = time.perf_counter()
        # question, number of sources, published from, until, as of (the conversation state is the client's)
        client.submit(QUESTIONS[i % len(QUESTIONS)], 5, "", "", "", api_name="/respond").result(timeout=300)
        latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    """Start the app, run both hostile checks, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-mb", type=int, default=300)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()

    from gradio_client import Client

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="newsdesk-bench-")) / "data"
    if args.data_dir is None:
        run_qa(qa_env(data_dir), "ingest", str(REPO / "samples"), "--quiet")
    rows = []
    settings = {"QA_FETCH_ALLOW_PRIVATE": "true", "QA_FETCH_TIMEOUT_S": "600"}  # the drip lasts the run
    with served_app(data_dir, **settings) as app:
        for chunked in (False, True):
            send = partial(
                post_huge_body, app.port, "/api/ask", args.body_mb * 1_000_000, {}, chunked=chunked
            )
            status, peak, growth = peak_rss_growth_kib(app.process.pid, send)
            how = "chunked (no length)" if chunked else "Content-Length declared"
            ok = growth / 1024 <= RSS_LIMIT_MB and status == 413  # refused, not lost on the way
            rows.append(
                (
                    f"peak RSS, {args.body_mb} MB body, {how}",
                    f"{peak / 1024:.0f} MB (+{growth / 1024:.1f} MB); HTTP {status}",
                    f"HTTP 413, growth ≤ {RSS_LIMIT_MB} MB",
                    ok,
                )
            )
        client = Client(app.url, verbose=False, download_files=False)
        _chat_latencies(client, 1)  # warm: the first answer loads what is loaded lazily
        quiet = statistics.median(_chat_latencies(client, args.questions))
        with dripping_server() as site:
            fetch = client.submit(site.url, "", api_name="/add_url")
            site.requested.wait(60)
            busy = statistics.median(_chat_latencies(client, args.questions))
            still_fetching = not fetch.done()
            fetch.cancel()
        rows.append(
            (f"chat p50, {args.questions} questions, nothing else running", f"{quiet:.2f} s", "", None)
        )
        rows.append(
            (
                f"chat p50, {args.questions} questions, while the URL box fetches a dripping site",
                f"{busy:.2f} s (fetch still running: {still_fetching})",
                f"within {P50_GAP_LIMIT_S:.0f} s of the above",
                abs(busy - quiet) <= P50_GAP_LIMIT_S and still_fetching,
            )
        )
    print("| check | figure | limit | ok |\n|---|---|---|---|")
    for check, figure, limit, ok in rows:
        print(f"| {check} | {figure} | {limit} | {'' if ok is None else 'yes' if ok else 'NO'} |")


if __name__ == "__main__":
    main()
