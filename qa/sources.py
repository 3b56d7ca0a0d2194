"""Where news comes from besides files: the saved feeds and pages `qa refresh` fetches
(`DATA_DIR/sources.json`, rewritten whole, atomically). What each URL returned is the fetch state's
(`qa.loaders.fetch.state`)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

from qa.errors import InvalidInputError, UserError
from qa.files import write_json_atomically
from qa.loaders.fetch.state import now_utc
from qa.loaders.fetch.urls import FetchError, canonical_url, check_url
from qa.results import Source

_NAME = re.compile(r"^[\w.-]{1,60}$")


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
        write_json_atomically(self.path, {"sources": [asdict(s) for s in sources]})
