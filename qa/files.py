"""Files and directories written atomically: a reader sees the old one or the new one, never half of one.

Everything is written under a temporary name in the same directory (so the last step is a rename on one
file system), flushed to disk first (so a crash right after the rename cannot leave a truncated file
under the final name), and the temporary is removed when anything fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_SUFFIX = ".tmp"
# mkstemp and mkdtemp make owner-only entries; what we write (reports, models, caches) is no secret.
_FILE_MODE = 0o644
_DIRECTORY_MODE = 0o755


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to `path` through a temporary file in the same directory."""
    with open_atomically(path) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_json_atomically(path: Path, value: object) -> None:
    """Write `value` as indented UTF-8 JSON to `path`, atomically (state files a person may read)."""
    write_atomically(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def open_atomically(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write; it replaces `path` when the block ends, and is removed if the block raises."""
    with path_atomically(path) as temporary, temporary.open("wb") as out:
        yield out


@contextlib.contextmanager
def path_atomically(path: Path) -> Iterator[Path]:
    """A temporary path for a writer that opens files by name (gguf's writer, say), beside `path`: it
    replaces `path` when the block ends, and is removed if the block raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_SUFFIX)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
        temporary.chmod(_FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def directory_atomically(path: Path) -> Iterator[Path]:
    """An empty directory to fill; it replaces `path` when the block ends, and is removed if the block raises.

    When another process puts its own `path` in place at the same moment, theirs is kept: both were
    written from the same inputs.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=_SUFFIX))
    try:
        yield staging
        staging.chmod(_DIRECTORY_MODE)
        shutil.rmtree(path, ignore_errors=True)  # an older or incomplete one
        try:
            staging.rename(path)
        except OSError:
            if not path.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def temporaries(path: Path) -> list[Path]:
    """What a writer of `path` killed mid-write left beside it (remove them only while holding its lock)."""
    return sorted(path.parent.glob(f".{path.name}.*{_SUFFIX}"))
