"""Thumbs up/down with a comment, one JSON line each in `DATA_DIR/feedback.jsonl`."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.web.state import Turn


def feedback_record(
    turn: Turn, rating: str, comment: str, *, llm: str, embedding_model: str
) -> dict[str, Any]:
    """The JSON line written for one thumbs up/down: question, answer, cited sources, settings, time."""
    result = turn.result
    dates = turn.dates
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": rating,
        "comment": comment.strip(),
        "question": turn.question,
        "searched_for": turn.searched_for,
        "answer": result.answer if result else None,
        "abstained": result.abstained if result else None,
        "error": turn.error,
        "cited": [
            {"n": c.n, "article_id": c.article_id, "title": c.title, "url": c.url, "quote": c.quote}
            for c in (result.citations if result else ())
        ],
        "settings": {
            "k": turn.k,
            "since": dates.since if dates else None,
            "until": dates.until if dates else None,
            "as_of": turn.as_of.isoformat() if turn.as_of else None,
            "llm": llm,
            "embedding_model": embedding_model,
        },
    }


class FeedbackLog:
    """The feedback file; appends from the chat's parallel workers go in one at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Append one JSON line (the file and its directory are created on first use)."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)
