"""What each fetched URL returned last time (`DATA_DIR/fetch-state.json`): a small JSON file, rewritten
whole, atomically."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.files import write_json_atomically
from qa.loaders.fetch.urls import canonical_url

log = logging.getLogger(__name__)


def now_utc() -> str:
    """The time now, as the ISO text the fetch state and the saved sources keep (UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
        write_json_atomically(
            path,
            {
                "last_refreshed": state.last_refreshed,
                "urls": {k: _record(v) for k, v in sorted(state.urls.items())},
            },
        )


def _record(state: UrlState) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(state).items() if v is not None}
