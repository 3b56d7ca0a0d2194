"""The one hash of text that every article id, content hash and feed-entry fingerprint uses."""

from __future__ import annotations

import hashlib


def text_sha(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text; the one hash helper every id and content hash uses."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
