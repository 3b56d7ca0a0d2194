"""Work the page starts and then only watches: a fetch from the URL box runs in a thread of its own, so
the event that watches it can be cancelled at once (Gradio cancels between two yields) and no queue
slot waits on the network."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class BackgroundJobs:
    """At most `limit` jobs running at once, each in its own daemon thread; more are refused, not queued
    (a cancelled fetch keeps its place until it has stopped, within a moment)."""

    def __init__(self, limit: int) -> None:
        self._free = threading.BoundedSemaphore(limit)

    def start(self, work: Callable[[], T], name: str = "qa-web-job") -> Future[T] | None:
        """Run `work` in a new thread and return its future; None when `limit` jobs are running."""
        if not self._free.acquire(blocking=False):
            return None
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()

        def run() -> None:
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to whoever reads the future
                future.set_exception(exc)
            finally:
                self._free.release()

        threading.Thread(target=run, name=name, daemon=True).start()
        return future
