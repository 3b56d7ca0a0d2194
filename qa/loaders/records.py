"""Record files (.json, .jsonl, .csv): each object or row is one article, with the metadata fields it has.

Fields: `text` (or `content`, `body`, `article`), `title`, `url`, `published` (or `date`), `authors` (or
`author`), `source` (or `outlet`), `id`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qa.documents import RawArticle, Rejected
from qa.loaders.base import LoadResult, clean_str
from qa.loaders.text import DecodeError, decode_or_reject, decode_text
from qa.text.dates import iso_date

# Columns (CSV) or keys (JSON) that may hold the article body, in order of preference.
TEXT_KEYS = ("text", "content", "body", "article")
_AUTHOR_SPLIT = re.compile(r"\s*(?:[;|]|,|\s+and\s+|\s*&\s*)\s*")
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_csv_limit_lock = threading.Lock()


def load_json(path: Path, data: bytes) -> LoadResult:
    """One object, a list of objects, or {"articles": [...]}; each object is one article."""
    try:
        parsed = json.loads(decode_text(data))
    except (json.JSONDecodeError, DecodeError) as err:
        yield Rejected(str(path), f"invalid JSON: {err}")
        return
    if isinstance(parsed, dict) and isinstance(parsed.get("articles"), list):
        records: list[Any] = parsed["articles"]
    elif isinstance(parsed, list):
        records = parsed
    elif isinstance(parsed, dict):
        yield record_to_raw(parsed, str(path), single=True)
        return
    else:
        yield Rejected(str(path), f"JSON must be an object or a list of objects, not {type(parsed).__name__}")
        return
    if not records:
        yield Rejected(str(path), "JSON file holds no articles (empty list)")
        return
    for n, record in enumerate(records, start=1):
        yield record_to_raw(record, f"{path}#{n}", single=False)


def load_jsonl(path: Path, data: bytes) -> LoadResult:
    """One JSON object per line; `#N` is the line number, so an error points at the right line."""
    text = decode_or_reject(path, data)
    if isinstance(text, Rejected):
        yield text
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
        yield record_to_raw(record, origin, single=False)


def load_csv(path: Path, data: bytes) -> LoadResult:
    """A CSV with a header row and a text column (`text`, else `content`, `body` or `article`)."""
    text = decode_or_reject(path, data)
    if isinstance(text, Rejected):
        yield text
        return
    _allow_article_sized_csv_fields()
    header_line = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        # Sniff on the header only: the commas and semicolons inside article text would confuse it.
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(header_line, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = [f.strip().lower() for f in (reader.fieldnames or []) if f]
    text_key = next((k for k in TEXT_KEYS if k in fields), None)
    if text_key is None:
        yield Rejected(
            str(path), f"CSV has no text column (expected one of: {', '.join(TEXT_KEYS)}); found {fields}"
        )
        return
    n = 0
    try:
        for n, row in enumerate(reader, start=1):
            # Lower-cased keys, so `Title` and `title` both work; extra cells (key None) are dropped.
            record = {k.strip().lower(): v for k, v in row.items() if isinstance(k, str)}
            if all(not (v or "").strip() for v in record.values() if isinstance(v, str)):
                continue  # a blank row, not an article
            yield record_to_raw(record, f"{path}#{n}", single=False, text_key=text_key)
    except csv.Error as err:
        yield Rejected(f"{path}#{n + 1}", f"malformed CSV: {err}")


def _allow_article_sized_csv_fields() -> None:
    """Raise csv's field limit (128 KiB, easily exceeded by an article body) to 64 MiB, once.

    The limit is process-wide in the standard library, with no per-reader setting. Raising it only
    admits larger fields, so doing it once, under a lock, cannot break another reader.
    """
    with _csv_limit_lock:
        if csv.field_size_limit() < _CSV_FIELD_LIMIT:
            csv.field_size_limit(_CSV_FIELD_LIMIT)


def record_to_raw(
    record: Any, origin: str, *, single: bool, text_key: str | None = None
) -> RawArticle | Rejected:
    """Map one JSON object or CSV row to a `RawArticle`, or say what is wrong with it."""
    if not isinstance(record, Mapping):
        return Rejected(origin, f"record is a {type(record).__name__}, not an object")
    if text_key is None:
        text_key = next((k for k in TEXT_KEYS if k in record), "text")
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
        title=clean_str(record.get("title")),
        url=clean_str(record.get("url")),
        published=iso_date(published),
        authors=as_authors(record.get("authors", record.get("author"))),
        source=clean_str(record.get("source")) or clean_str(record.get("outlet")),
        id=_record_id(record.get("id")),
        single_article_file=single,
    )


def _record_id(value: Any) -> str | None:
    """The record's own id: strings and integers only (a float or list is not an id anyone meant)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def as_authors(value: Any) -> tuple[str, ...]:
    """Authors as a tuple of names from a list or a delimited string, duplicates dropped."""
    if value is None:
        return ()
    items: list[Any] = list(value) if isinstance(value, list | tuple) else [value]
    names: list[str] = []
    for item in items:
        text = clean_str(item)
        if text is None:
            continue
        # A string may hold several names ("A; B", "A, B and C"); list items are taken as given.
        parts = _AUTHOR_SPLIT.split(text) if not isinstance(value, list | tuple) else [text]
        for part in parts:
            name = re.sub(r"^by\s+", "", part.strip(), flags=re.IGNORECASE)
            if name and name not in names:
                names.append(name)
    return tuple(names)
