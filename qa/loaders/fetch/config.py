"""What fetching is allowed to do, read once from the settings: the Fetcher and the collector take this,
never the whole `Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.settings import StageConfig


@dataclass(frozen=True)
class FetchConfig(StageConfig):
    """The limits, politeness and address rules of fetching (the `QA_FETCH_*` settings of the same
    names), and where the fetch state is kept."""

    fetch_allow_private: bool
    fetch_timeout_s: float
    fetch_max_bytes: int
    fetch_host_delay_s: float
    fetch_max_feed_items: int
    fetch_respect_robots: bool
    fetch_user_agent: str
    fetch_state_path: Path
