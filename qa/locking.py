"""One writer at a time: the data dir's lock file, held by an ingest, delete or reset while it writes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from qa.errors import IndexBusyError
from qa.settings import Settings

log = logging.getLogger(__name__)


@contextlib.contextmanager
def write_lock(settings: Settings) -> Iterator[None]:
    """Hold the data dir's lock file for the duration of a write; wait `lock_timeout_s` (saying for
    whom), then fail."""
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.lock_path))
    holder_file = settings.lock_path.with_name(settings.lock_path.name + ".holder")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _read_holder(holder_file)
        # Waiting in silence looks like a hang: say who holds the lock and for how long we wait.
        log.warning("waiting up to %.0fs for the ingest lock held by %s", settings.lock_timeout_s, holder)
        try:
            lock.acquire(timeout=settings.lock_timeout_s)
        except Timeout:
            raise IndexBusyError(
                f"another ingest or delete ({holder}) is writing to {settings.data_dir} (lock file "
                f"{settings.lock_path}); waited {settings.lock_timeout_s:.0f}s. Try again when it has "
                "finished, or wait longer with QA_LOCK_TIMEOUT_S."
            ) from None
    try:
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else "python"
        holder_file.write_text(f"PID {os.getpid()} ({command})")
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()


def _read_holder(holder_file: Path) -> str:
    try:
        return holder_file.read_text().strip() or "another process"
    except OSError:
        return "another process"
