"""The errors a person can act on. Presenters show these as one clear line; anything else is a bug.

Every stage raises a subclass of `UserError` for problems the person running the product can fix (a
busy index, a missing model, a bad date), with a message that says how. Other exceptions (a ValueError
from a data bug, say) are not user errors and keep their traceback.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """A problem the person running the product can fix; the message says how."""

    exit_code = 1


class InvalidInputError(UserError):
    """The request itself is wrong (a bad date, an empty question): fix the input and ask again."""

    exit_code = 2


class IndexBusyError(UserError):
    """Another process holds the write lock of the data dir."""


class StoreError(UserError):
    """A store problem a person can act on (the message says how)."""


class IndexMismatchError(StoreError):
    """The collection was built with other index settings (embedding model, chunking)."""


class EmbeddingModelNotAvailable(UserError):
    """The embedding model could not be loaded (not installed, not a path, no hub access)."""


class ModelNotAvailable(UserError):
    """The requested local model cannot be found or built; the message says what to do."""


class ModelIntegrityError(ModelNotAvailable):
    """An assembled model file does not have the expected size or SHA-256."""


class LLMConfigError(UserError):
    """The settings do not describe a usable chat model."""


class ServiceBusyError(UserError):
    """Every answer slot of the web app is taken and its queue is full: retry shortly."""


class PromptTooLongError(UserError):
    """The question with even one source does not fit the model's context window."""


class LocalServerError(UserError):
    """llama.cpp's server could not be started for a model file."""


class EvalError(UserError):
    """A problem with the evaluation inputs or run directory that a person can fix (message says how)."""


class InvalidDateError(InvalidInputError):
    """A date bound that is not a real YYYY-MM-DD date, or a range that ends before it starts."""


class DiskFullError(UserError):
    """The disk (or the quota) that holds the data dir is full: free space and run the command again."""


# OSError numbers of a full disk or an exhausted quota.
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# How libraries that wrap the OSError say it (SQLite, Chroma's Rust bindings).
_DISK_FULL_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, says the disk or the quota is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
            return True
        if any(words in str(exc).lower() for words in _DISK_FULL_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def quoted(text: str, limit: int = 40) -> str:
    """`text` as an error message quotes what a person typed: in quotes, cut to `limit` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"
