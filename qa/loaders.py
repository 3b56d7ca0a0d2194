"""Stage 1 of ingestion: turn files and directories into `RawArticle` records (or `Rejected` ones).

Every supported format ends up as text plus whatever metadata the file carried. Nothing here raises
out of `iter_raw_articles`: a file or record that cannot be read becomes a `Rejected` with a reason a
person can act on, so one bad file never stops a batch. trafilatura, htmldate and pypdf are imported
inside the functions that need them, so `import qa.loaders` stays cheap for the CLI and web app.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from qa.documents import RawArticle, Rejected

__all__ = ["SUPPORTED_SUFFIXES", "iter_raw_articles", "normalize_date"]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".pdf"}
)

LoadResult = Iterator[RawArticle | Rejected]

# Columns (CSV) or keys (JSON) that may hold the article body, in order of preference.
_TEXT_KEYS = ("text", "content", "body", "article")
_UTF8_BOM = b"\xef\xbb\xbf"
# C0 control characters other than tab, newline, carriage return and form feed: never in real prose.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ISO_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])")
_DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:[;|]|,|\s+and\s+|\s*&\s*)\s*")


def iter_raw_articles(paths: Iterable[Path]) -> Iterator[RawArticle | Rejected]:
    """Yield one `RawArticle` or `Rejected` per article found in the given files and directories."""
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            try:
                files = _walk_directory(path)
            except OSError as err:
                yield Rejected(str(path), f"cannot list directory: {err.strerror or err}")
                continue
            if not files:
                # Silence here would look like success; say why nothing was loaded.
                yield Rejected(
                    str(path), f"no supported files in directory ({', '.join(sorted(SUPPORTED_SUFFIXES))})"
                )
                continue
        elif path.exists() and not path.is_file():
            yield Rejected(str(path), "not a regular file or directory")
            continue
        elif not path.exists():
            yield Rejected(str(path), "no such file or directory")
            continue
        else:
            suffix = path.suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                kind = f"'{suffix}'" if suffix else "(no suffix)"
                yield Rejected(
                    str(path),
                    f"unsupported file type {kind}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}",
                )
                continue
            files = [path]
        for file in files:
            # A file named twice (or inside a directory also given) is loaded once, so it is not
            # indexed twice in one run.
            key = file.resolve()
            if key in seen:
                continue
            seen.add(key)
            yield from _load_file(file)


def _walk_directory(root: Path) -> list[Path]:
    """Supported, non-hidden files under `root`, recursively, in a stable order."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Pruning in place stops os.walk from descending into .git, .venv and the like.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(dirpath) / name)
    # Sort by path components so the order does not depend on the file system's listing order.
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _load_file(path: Path) -> Iterator[RawArticle | Rejected]:
    """Dispatch on suffix; turn any unexpected error into a `Rejected` instead of raising."""
    loader = _LOADERS[path.suffix.lower()]
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


@contextmanager
def _quiet(*logger_names: str) -> Iterator[None]:
    """Silence a library's warnings while it reads a file: the `Rejected` reason already says it."""
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# --- plain text ---------------------------------------------------------------------------------


class _DecodeError(ValueError):
    """Bytes that are not text in any encoding we accept."""


def _decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else cp1252; refuse bytes that look binary."""
    if b"\x00" in data:
        raise _DecodeError("binary data (NUL bytes), not a text file")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Old Windows exports are the common non-UTF-8 case for news text.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            raise _DecodeError("not valid UTF-8 or cp1252 text") from err
    if len(_CONTROL_CHARS.findall(text)) > max(3, len(text) // 100):
        raise _DecodeError("binary data (many control characters), not a text file")
    return text


def _load_text(path: Path, data: bytes) -> LoadResult:
    """A .txt or .md file: the whole file is one article, text kept as is (cleaning comes later)."""
    try:
        text = _decode_text(data)
    except _DecodeError as err:
        yield Rejected(str(path), str(err))
        return
    if not text.strip():
        yield Rejected(str(path), "empty file")
        return
    yield RawArticle(text=text, origin=str(path))


# --- HTML ---------------------------------------------------------------------------------------


def _load_html(path: Path, data: bytes) -> LoadResult:
    """An HTML page: main text and metadata via trafilatura (which dates the page with htmldate)."""
    import trafilatura
    from trafilatura.utils import load_html

    with _quiet("trafilatura"):
        tree = load_html(data)
    if tree is None:
        yield Rejected(str(path), "not parseable as HTML")
        return
    # Read before extraction, which may prune the tree it is given.
    canonical = _canonical_link(tree)
    # htmldate's extensive search guesses a date from any date in the body text (often an event
    # date, not the publication date); markup, JSON-LD and URL dates only are more trustworthy.
    date_params = {
        "original_date": True,
        "extensive_search": False,
        "max_date": date.today().isoformat(),
    }
    with _quiet("trafilatura", "htmldate"):
        doc = trafilatura.bare_extraction(
            tree,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=date_params,
        )
    if doc is None or isinstance(doc, dict):
        yield Rejected(str(path), "no extractable article text in HTML")
        return
    title = _clean_str(doc.title)
    text = _html_body_text(doc.body, doc.text or "", title)
    if not text.strip():
        yield Rejected(str(path), "no extractable article text in HTML")
        return
    url = canonical or _clean_str(doc.url)
    yield RawArticle(
        text=text,
        origin=str(path),
        title=title,
        url=url,
        published=normalize_date(doc.date),
        authors=_as_authors(doc.author),
        source=_clean_str(doc.sitename),
    )


def _html_body_text(body: Any, fallback: str, title: str | None) -> str:
    """Join trafilatura's top-level blocks with blank lines, so paragraphs stay paragraphs."""
    # trafilatura's plain text joins every block with a single newline, the same as a <br> inside a
    # paragraph; rendering block by block keeps the paragraph structure chunking relies on.
    if body is None:
        return fallback
    from trafilatura.xml import xmltotxt

    blocks = [xmltotxt(child, False).strip() for child in body]
    blocks = [b for b in blocks if b]
    # Pages repeat the headline as the first heading; the title is kept as metadata instead.
    if blocks and title and _same_words(blocks[0], title):
        blocks = blocks[1:]
    return "\n\n".join(blocks) if blocks else fallback


def _canonical_link(tree: Any) -> str | None:
    """The page's <link rel="canonical">, made absolute; trafilatura prefers og:url over it."""
    from urllib.parse import urljoin

    og_url = next((m.get("content", "").strip() for m in tree.iterfind(".//meta[@property='og:url']")), "")
    for link in tree.iterfind(".//link[@href]"):
        if "canonical" not in (link.get("rel") or "").lower().split():
            continue
        href = link.get("href", "").strip()
        if href.startswith("//"):
            href = "https:" + href
        elif og_url and not re.match(r"^[a-z][a-z0-9+.-]*://", href, re.IGNORECASE):
            href = urljoin(og_url, href)  # a relative canonical link, resolved against og:url
        if re.match(r"^https?://", href, re.IGNORECASE):
            return href
    return None


def _same_words(a: str, b: str) -> bool:
    """Equal ignoring case, punctuation and spacing (a headline vs the page title)."""

    def words(s: str) -> list[str]:
        return re.findall(r"\w+", s.casefold())

    return words(a) == words(b)


# --- JSON / JSONL / CSV -------------------------------------------------------------------------


def _load_json(path: Path, data: bytes) -> LoadResult:
    """One object, a list of objects, or {"articles": [...]}; each object is one article."""
    try:
        parsed = json.loads(_decode_text(data))
    except (json.JSONDecodeError, _DecodeError) as err:
        yield Rejected(str(path), f"invalid JSON: {err}")
        return
    if isinstance(parsed, dict) and isinstance(parsed.get("articles"), list):
        records: list[Any] = parsed["articles"]
    elif isinstance(parsed, list):
        records = parsed
    elif isinstance(parsed, dict):
        yield _record_to_raw(parsed, str(path), single=True)
        return
    else:
        yield Rejected(str(path), f"JSON must be an object or a list of objects, not {type(parsed).__name__}")
        return
    if not records:
        yield Rejected(str(path), "JSON file holds no articles (empty list)")
        return
    for n, record in enumerate(records, start=1):
        yield _record_to_raw(record, f"{path}#{n}", single=False)


def _load_jsonl(path: Path, data: bytes) -> LoadResult:
    """One JSON object per line; `#N` is the line number, so an error points at the right line."""
    try:
        text = _decode_text(data)
    except _DecodeError as err:
        yield Rejected(str(path), str(err))
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        origin = f"{path}#{n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield Rejected(origin, f"invalid JSON on line {n}: {err.msg} (column {err.colno})")
            continue
        yield _record_to_raw(record, origin, single=False)


def _load_csv(path: Path, data: bytes) -> LoadResult:
    """A CSV with a header row and a text column (`text`, else `content`, `body` or `article`)."""
    try:
        text = _decode_text(data)
    except _DecodeError as err:
        yield Rejected(str(path), str(err))
        return
    # Article bodies easily exceed csv's default 128 KiB field limit.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    header_line = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        # Sniff on the header only: the commas and semicolons inside article text would confuse it.
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(header_line, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = [f.strip().lower() for f in (reader.fieldnames or []) if f]
    text_key = next((k for k in _TEXT_KEYS if k in fields), None)
    if text_key is None:
        yield Rejected(
            str(path), f"CSV has no text column (expected one of: {', '.join(_TEXT_KEYS)}); found {fields}"
        )
        return
    n = 0
    try:
        for n, row in enumerate(reader, start=1):
            # Lower-cased keys, so `Title` and `title` both work; extra cells (key None) are dropped.
            record = {k.strip().lower(): v for k, v in row.items() if isinstance(k, str)}
            if all(not (v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # a blank row, not an article
            yield _record_to_raw(record, f"{path}#{n}", single=False, text_key=text_key)
    except csv.Error as err:
        yield Rejected(f"{path}#{n + 1}", f"malformed CSV: {err}")


def _record_to_raw(
    record: Any, origin: str, *, single: bool, text_key: str | None = None
) -> RawArticle | Rejected:
    """Map one JSON object or CSV row to a `RawArticle`, or say what is wrong with it."""
    if not isinstance(record, Mapping):
        return Rejected(origin, f"record is a {type(record).__name__}, not an object")
    if text_key is None:
        text_key = next((k for k in _TEXT_KEYS if k in record), "text")
    if text_key not in record or record[text_key] is None:
        return Rejected(origin, f"record has no '{text_key}' field")
    text = record[text_key]
    if not isinstance(text, str):
        return Rejected(origin, f"'{text_key}' is a {type(text).__name__}, not a string")
    if not text.strip():
        return Rejected(origin, f"'{text_key}' is empty")
    published = record.get("published")
    if published in (None, ""):
        published = record.get("date")
    return RawArticle(
        text=text,
        origin=origin,
        title=_clean_str(record.get("title")),
        url=_clean_str(record.get("url")),
        published=normalize_date(published),
        authors=_as_authors(record.get("authors", record.get("author"))),
        source=_clean_str(record.get("source")) or _clean_str(record.get("outlet")),
        id=_record_id(record.get("id")),
        single_article_file=single,
    )


def _record_id(value: Any) -> str | None:
    """The record's own id: strings and integers only (a float or list is not an id anyone meant)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


# --- PDF ----------------------------------------------------------------------------------------


def _load_pdf(path: Path, data: bytes) -> LoadResult:
    """A PDF: the text of all pages (one article per file); title from the document info."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    pages: list[str] = []
    try:
        with _quiet("pypdf"):
            reader = PdfReader(io.BytesIO(data))
            # Many PDFs are "encrypted" with an empty user password only to restrict printing.
            readable = not reader.is_encrypted or bool(reader.decrypt(""))
            if readable:
                pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        yield Rejected(str(path), f"corrupt or unreadable PDF: {err}")
        return
    if not readable:
        yield Rejected(str(path), "encrypted PDF (needs a password)")
        return
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        yield Rejected(str(path), "PDF has no extractable text (scanned images need OCR first)")
        return
    title: str | None = None
    try:
        meta = reader.metadata
        title = _clean_str(meta.title) if meta is not None else None
    except Exception:  # broken info dictionaries are common; the text is what matters
        title = None
    if title:
        # Word's PDF export names the document after the file; that is not a headline.
        title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title).strip() or None
    yield RawArticle(text=text, origin=str(path), title=title)


_LOADERS: dict[str, Callable[[Path, bytes], LoadResult]] = {
    ".txt": _load_text,
    ".md": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".json": _load_json,
    ".jsonl": _load_jsonl,
    ".csv": _load_csv,
    ".pdf": _load_pdf,
}


# --- field normalisation ------------------------------------------------------------------------


def _clean_str(value: Any) -> str | None:
    """A stripped, non-empty string, or None; numbers become strings, anything else is dropped."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def _as_authors(value: Any) -> tuple[str, ...]:
    """Authors as a tuple of names from a list or a delimited string, duplicates dropped."""
    if value is None:
        return ()
    items: list[Any] = list(value) if isinstance(value, list | tuple) else [value]
    names: list[str] = []
    for item in items:
        text = _clean_str(item)
        if text is None:
            continue
        # A string may hold several names ("A; B", "A, B and C"); list items are taken as given.
        parts = _AUTHOR_SPLIT.split(text) if not isinstance(value, list | tuple) else [text]
        for part in parts:
            name = re.sub(r"^by\s+", "", part.strip(), flags=re.IGNORECASE)
            if name and name not in names:
                names.append(name)
    return tuple(names)


def normalize_date(value: Any) -> str | None:
    """Return an ISO `YYYY-MM-DD` date for a parseable date or datetime value, else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime | date):
        return _valid(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return _from_timestamp(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    # The date part as written, not converted to UTC: a story dated 23:30 in New York is that day's.
    match = _ISO_DATE_PREFIX.match(text)
    if match:
        return _valid(int(match[1]), int(match[2]), int(match[3]))
    if re.fullmatch(r"\d{10}(?:\.\d+)?|\d{13}", text):
        return _from_timestamp(float(text))
    try:
        return _valid_dt(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return _valid_dt(parsedate_to_datetime(text))  # RFC 2822, as in RSS feeds
    except (TypeError, ValueError, IndexError):
        pass
    simplified = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    simplified = re.sub(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", "", simplified, flags=re.I)
    for fmt in _DATE_FORMATS:
        try:
            return _valid_dt(datetime.strptime(simplified, fmt))
        except ValueError:
            continue
    return None


def _from_timestamp(seconds: float) -> str | None:
    """A Unix timestamp in seconds (or milliseconds) as a UTC date."""
    from datetime import UTC

    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return _valid_dt(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _valid_dt(value: datetime) -> str | None:
    return _valid(value.year, value.month, value.day)


def _valid(year: int, month: int, day: int) -> str | None:
    """ISO date if it is a real calendar date in a plausible range, else None."""
    if not 1800 <= year <= 2200:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
