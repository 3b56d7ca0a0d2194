"""Where news comes from besides files: the saved feeds and pages `qa refresh` fetches, and what each
fetched URL returned last time. Two small JSON files in the data dir, each rewritten whole, atomically.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.cleaning import canonical_url
from qa.errors import InvalidInputError, UserError
from qa.loaders.urls import FetchError, check_url
from qa.results import Source

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[\w.-]{1,60}$")


def now_utc() -> str:
    """The time now, as the ISO text both files keep (UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_json_atomic(path: Path, value: Any) -> None:
    """Write `value` as JSON through a temporary file in the same directory: readers see the old file or
    the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class SourceList:
    """The saved sources (`DATA_DIR/sources.json`): a name and a feed or page URL each."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[Source]:
        """Every saved source, in the order they were added."""
        if not self.path.exists():
            return []
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            return [Source(str(s["name"]), str(s["url"]), str(s.get("added", ""))) for s in saved["sources"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(
                f"the sources file {self.path} cannot be read ({type(exc).__name__}: {exc}); "
                "fix it or remove it and add the sources again"
            ) from None

    def add(self, name: str, url: str) -> Source:
        """Save a source; InvalidInputError for a bad name or URL, or one already saved."""
        name, url = name.strip(), url.strip()
        if not _NAME.match(name):
            raise InvalidInputError(f"a source name is 1-60 letters, digits, '.', '_' or '-', not {name!r}")
        try:
            check_url(url)
        except FetchError as exc:
            raise InvalidInputError(f"cannot save {url!r}: {exc.reason}") from None
        sources = self.all()
        for other in sources:
            if other.name == name:
                raise InvalidInputError(
                    f"a source named {name!r} is already saved ({other.url}); remove it first"
                )
            if canonical_url(other.url) == canonical_url(url):
                raise InvalidInputError(f"{url} is already saved as {other.name!r}")
        source = Source(name, url, now_utc())
        self._save([*sources, source])
        return source

    def remove(self, name: str) -> Source | None:
        """Forget a saved source (its articles stay indexed); None when there is none by that name."""
        sources = self.all()
        gone = next((s for s in sources if s.name == name.strip()), None)
        if gone is not None:
            self._save([s for s in sources if s is not gone])
        return gone

    def _save(self, sources: list[Source]) -> None:
        write_json_atomic(self.path, {"sources": [asdict(s) for s in sources]})


@dataclass(frozen=True)
class UrlState:
    """What a URL gave last time: the article it became, the feed entry's fingerprint, the validators."""

    article_id: str | None = None
    fingerprint: str | None = None  # of the feed entry that linked to it
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None
    from_summary: bool = False  # the article's text came from the feed's summary, not the page
    entries: tuple[str, ...] | None = None  # a feed: the links of its entries

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> UrlState:
        """Read a record, ignoring fields it does not know (a newer version's)."""
        known = {f.name for f in fields(cls)}
        record = {k: v for k, v in value.items() if k in known}
        if record.get("entries") is not None:
            record["entries"] = tuple(record["entries"])
        return cls(**record)


class FetchState:
    """The fetch state (`DATA_DIR/fetch-state.json`), keyed by canonical URL; a cache: when it is
    unreadable, everything is simply fetched again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.urls: dict[str, UrlState] = {}
        self.last_refreshed: str | None = None
        if not path.exists():
            return
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            self.urls = {k: UrlState.from_json(v) for k, v in saved.get("urls", {}).items()}
            self.last_refreshed = saved.get("last_refreshed")
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("%s is unreadable (%s): every URL is fetched again", path, exc)

    def get(self, url: str) -> UrlState | None:
        """What `url` (any spelling of it) gave last time, if it was fetched."""
        return self.urls.get(canonical_url(url))

    @classmethod
    def update(cls, path: Path, updates: Mapping[str, UrlState]) -> None:
        """Merge `updates` (by URL) into the file as it is now, and note the time of this refresh."""
        state = cls(path)  # re-read: another refresh may have written since this one started
        for url, new in updates.items():
            key = canonical_url(url)
            old = state.urls.get(key)
            if old is not None and new.fingerprint is None:
                # A page ingested by its URL that a feed also links to: the entry is still the same one.
                new = replace(new, fingerprint=old.fingerprint)
            state.urls[key] = new
        state.last_refreshed = now_utc()
        write_json_atomic(
            path,
            {
                "last_refreshed": state.last_refreshed,
                "urls": {k: _record(v) for k, v in sorted(state.urls.items())},
            },
        )


def _record(state: UrlState) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(state).items() if v is not None}
