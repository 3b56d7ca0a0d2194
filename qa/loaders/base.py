"""What every loader is: bytes of one file in, raw articles or rejections out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.documents import RawArticle, Rejected

LoadResult = Iterator[RawArticle | Rejected]
Loader = Callable[[Path, bytes], LoadResult]

_quiet_lock = threading.Lock()
_quiet_depth: dict[str, int] = {}
_saved_levels: dict[str, int] = {}


@contextmanager
def quiet_library_logs(*logger_names: str) -> Iterator[None]:
    """Silence a parsing library's warnings while it reads a file: the `Rejected` reason already says it.

    Logger levels are process-wide, so concurrent ingests (the web chat's workers) share one count per
    logger: the first to enter silences it and the last to leave restores the level it had before.
    """
    with _quiet_lock:
        for name in logger_names:
            if _quiet_depth.get(name, 0) == 0:
                logger = logging.getLogger(name)
                _saved_levels[name] = logger.level
                logger.setLevel(logging.CRITICAL)
            _quiet_depth[name] = _quiet_depth.get(name, 0) + 1
    try:
        yield
    finally:
        with _quiet_lock:
            for name in logger_names:
                _quiet_depth[name] -= 1
                if _quiet_depth[name] == 0:
                    logging.getLogger(name).setLevel(_saved_levels.pop(name))


def clean_str(value: object) -> str | None:
    """A stripped, non-empty string, or None; numbers become strings, anything else is dropped."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None
