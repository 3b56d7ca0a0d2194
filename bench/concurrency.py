"""Concurrent questions against the running web app's `POST /api/ask`: latency p50/p95 and failures.

    python bench/concurrency.py [--clients 20 45] [--llm fake|local] [--data-dir DIR]

Ingests the bundled sample into a fresh data dir (or uses --data-dir), starts the app on a free
loopback port with the chosen LLM (`fake`: instant extractive answers, so the figure is the app, the
embedding model and the store; `local`: the real default model), then fires N questions at once per
round and prints one line per round. Requests beyond the answer slots wait in the app's queue
(`QA_WEB_QUEUE_MAX_SIZE`, 32 by default) or are refused with 503, which counts as a refusal, not a crash.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import SAMPLE_QUESTIONS, median_and_p95  # noqa: E402  (bench/, beside this script)

from qa.ports import free_port  # noqa: E402

QUESTIONS = SAMPLE_QUESTIONS


def _ask(url: str, question: str) -> tuple[float, int]:
    started = time.perf_counter()
    request = urllib.request.Request(
        url, data=json.dumps({"question": question}).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            status = response.status
            json.loads(response.read())
    except urllib.error.HTTPError as refused:
        status = refused.code
    except OSError:
        status = 0  # the connection failed: a crash or a hang, not a refusal
    return time.perf_counter() - started, status


def main() -> None:
    """Start the app, fire each round of concurrent questions, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 45])
    parser.add_argument("--llm", choices=["fake", "local"], default="fake")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()

    from qa.service import NewsDesk
    from qa.settings import Settings
    from qa.web.app import launch

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    port = free_port()
    settings = Settings(data_dir=data_dir, llm_mode=args.llm, web_port=port)  # type: ignore[call-arg]
    desk = NewsDesk(settings)
    desk.ingest([REPO / "samples"], progress=False)
    app = launch(desk, block=False)
    url = f"http://127.0.0.1:{port}/api/ask"
    print(
        f"llm {desk.llm_label}; answer slots {settings.web_concurrency_limit}, "
        f"queue {settings.web_queue_max_size}; {len(desk.list_articles())} article(s)"
    )
    try:
        _ask(url, QUESTIONS[0])  # warm: the first answer loads what is loaded lazily
        for clients in args.clients:
            with ThreadPoolExecutor(max_workers=clients) as pool:
                started = time.perf_counter()
                outcomes = list(pool.map(lambda i: _ask(url, QUESTIONS[i % len(QUESTIONS)]), range(clients)))
                wall = time.perf_counter() - started
            answered = sorted(seconds for seconds, status in outcomes if status == 200)
            refused = sum(1 for _, status in outcomes if status == 503)
            failed = sum(1 for _, status in outcomes if status not in (200, 503))
            p50, p95 = median_and_p95(answered)
            print(
                f"{clients:>3} concurrent: answered {len(answered)}, refused (503) {refused}, "
                f"failed {failed}; latency p50 {p50:.2f} s, p95 {p95:.2f} s; all done in {wall:.1f} s"
            )
    finally:
        app.close()
        desk.close()


if __name__ == "__main__":
    main()
