"""What fetching is allowed to do, read once from the settings: the Fetcher and the collector take this,
never the whole `Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.settings import Settings


@dataclass(frozen=True)
class FetchConfig:
    """The limits, politeness and address rules of fetching, and where the fetch state is kept."""

    allow_private: bool
    timeout_s: float
    max_bytes: int
    host_delay_s: float
    max_feed_items: int
    respect_robots: bool
    user_agent: str
    state_path: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchConfig:
        """The fetch config of `settings` (its `QA_FETCH_*` values and the fetch state's path)."""
        return cls(
            allow_private=settings.fetch_allow_private,
            timeout_s=settings.fetch_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            host_delay_s=settings.fetch_host_delay_s,
            max_feed_items=settings.fetch_max_feed_items,
            respect_robots=settings.fetch_respect_robots,
            user_agent=settings.fetch_user_agent,
            state_path=settings.fetch_state_path,
        )
