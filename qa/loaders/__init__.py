"""Stage 1 of ingestion: turn files and directories into `RawArticle` records (or `Rejected` ones).

Every supported format ends up as text plus whatever metadata the file carried. Nothing here raises
out of `iter_raw_articles`: a file or record that cannot be read becomes a `Rejected` with a reason a
person can act on, so one bad file never stops a batch. One module per kind of file; trafilatura,
htmldate and pypdf are imported inside the functions that need them, so `import qa.loaders` stays cheap.

To add a format: write `load_<kind>(path, data) -> LoadResult` in its own module and register its
suffixes in `LOADERS` below. What comes from the web (pages, feeds, URL checks) is `qa.loaders.fetch`'s.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

from qa.documents import RawArticle, Rejected
from qa.loaders.base import Loader, LoadResult
from qa.loaders.html import load_html
from qa.loaders.pdf import load_pdf
from qa.loaders.records import load_csv, load_json, load_jsonl
from qa.loaders.text import load_text
from qa.text.control import is_utf8

__all__ = ["LOADERS", "SUPPORTED_SUFFIXES", "LoadResult", "iter_raw_articles"]

LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".json": load_json,
    ".jsonl": load_jsonl,
    ".csv": load_csv,
    ".pdf": load_pdf,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(LOADERS)


# Files that hold one article as plain text: their size in bytes bounds the article's length.
_PLAIN_TEXT_SUFFIXES = frozenset({".txt", ".md"})


def iter_raw_articles(
    paths: Iterable[Path], *, max_text_file_bytes: int | None = None
) -> Iterator[RawArticle | Rejected]:
    """Yield one `RawArticle` or `Rejected` per article found in the given files and directories;
    a plain-text file over `max_text_file_bytes` is rejected unread."""
    seen: set[Path] = set()
    for given in paths:
        files = yield from _files_of(Path(given))
        for file in files:
            # A file named twice (or inside a directory also given) is loaded once, so it is not
            # indexed twice in one run.
            key = file.resolve()
            if key in seen:
                continue
            seen.add(key)
            if not is_utf8(str(file)):
                # Chroma (and JSON, and most terminals) take only valid UTF-8: say so and go on.
                named = "file name" if not is_utf8(file.name) else "folder name"
                yield Rejected(_shown_path(file), f"{named} is not valid UTF-8 (rename it)")
                continue
            too_big = _too_big(file, max_text_file_bytes)
            if too_big:
                yield Rejected(str(file), too_big)
                continue
            yield from _load_file(file)


def _shown_path(path: Path) -> str:
    """The path as text safe to print, store or send as JSON: undecodable bytes shown as `\\xe9`."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _too_big(path: Path, max_bytes: int | None) -> str | None:
    if max_bytes is None or path.suffix.lower() not in _PLAIN_TEXT_SUFFIXES:
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None  # reading it will say why
    if size <= max_bytes:
        return None
    return (
        f"file is too large for one article: {size:,} bytes, the limit is {max_bytes:,} "
        "(4 bytes per character of QA_MAX_ARTICLE_CHARS); split it into separate articles"
    )


def _files_of(path: Path) -> Generator[Rejected, None, list[Path]]:
    """The files to load for one given path (returned); yields a `Rejected` when there are none."""
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    if path.is_dir():
        try:
            files, skipped = _walk_directory(path)
        except OSError as err:
            yield Rejected(_shown_path(path), f"cannot list directory: {err.strerror or err}")
            return []
        yield from skipped
        if not files and not skipped:
            # Silence here would look like success; say why nothing was loaded.
            yield Rejected(_shown_path(path), f"no supported files in directory ({supported})")
        return files
    if path.exists() and not path.is_file():
        yield Rejected(_shown_path(path), "not a regular file or directory")
        return []
    if not path.exists():
        missing = (
            "symbolic link to nothing (dangling or a loop)"
            if path.is_symlink()
            else "no such file or directory"
        )
        yield Rejected(_shown_path(path), missing)
        return []
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "(no suffix)"
        yield Rejected(_shown_path(path), f"unsupported file type {kind}; supported: {supported}")
        return []
    return [path]


def _walk_directory(root: Path) -> tuple[list[Path], list[Rejected]]:
    """Supported, non-hidden regular files under `root`, recursively, in a stable order; and the
    supported-looking entries skipped because they are no regular file (reading a FIFO would block)."""
    found: list[Path] = []
    skipped: list[Rejected] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Pruning in place stops os.walk from descending into .git, .venv and the like.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            reason = _not_a_regular_file(path)
            if reason:
                skipped.append(Rejected(_shown_path(path), reason))
            else:
                found.append(path)
    # Sort by path components so the order does not depend on the file system's listing order.
    return sorted(found, key=lambda p: p.relative_to(root).parts), skipped


def _not_a_regular_file(path: Path) -> str | None:
    """Why `path` is skipped (a FIFO, socket, device or a link to nothing), or None for a regular file."""
    try:
        mode = path.stat().st_mode  # follows symbolic links: a link to a regular file is loaded
    except OSError as err:
        if path.is_symlink():
            return "skipped: symbolic link to nothing (dangling or a loop)"
        return f"skipped: cannot read file status ({err.strerror or err})"
    if stat.S_ISREG(mode):
        return None
    kind = "FIFO (named pipe)" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    return f"skipped: not a regular file but a {kind}"


def _load_file(path: Path) -> LoadResult:
    """Dispatch on suffix; turn any unexpected error into a `Rejected` instead of raising."""
    loader = LOADERS[path.suffix.lower()]
    try:
        data = path.read_bytes()
    except OSError as err:
        yield Rejected(str(path), f"cannot read file: {err.strerror or err}")
        return
    if not data.strip():
        yield Rejected(str(path), "empty file")
        return
    try:
        yield from loader(path, data)
    except Exception as err:  # a broken file must never stop the batch
        yield Rejected(str(path), f"could not load file ({type(err).__name__}: {err})")
