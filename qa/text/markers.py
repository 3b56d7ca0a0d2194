"""Citation markers: what a model may write ("[1]", "[1, 2]", "[Source 2]") and the one checked form."""

from __future__ import annotations

import re

# What models write: "[1]", "[1, 2]", "[1 and 3]", "[Source 2]", "[sources 1; 4]".
WRITTEN_MARKER = re.compile(
    r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|;|and|&)\s*(?:sources?\s*)?\d{1,3})*)\s*\]", re.IGNORECASE
)
# The one form the citation filter emits ("[1][2]", never "[1, 2]"): what presenters and scoring read.
CHECKED_MARKER = re.compile(r"\[(\d{1,3})\]")
_TRAILING_MARKERS = re.compile(r"(?:\s*\[\d{1,3}\])+\s*$")


def marker_numbers(marker: str) -> list[int]:
    """The source numbers of one written marker ("[1 and 3]" -> [1, 3]); [] if it is not a marker."""
    match = WRITTEN_MARKER.fullmatch(marker.strip())
    return [int(n) for n in re.findall(r"\d+", match.group(1))] if match else []


def cited_numbers(text: str) -> list[int]:
    """The numbers of the checked markers in `text`, in order, repeats included."""
    return [int(n) for n in CHECKED_MARKER.findall(text)]


def strip_markers(text: str) -> str:
    """`text` without its checked markers (and the space before each)."""
    return re.sub(r"\s*" + CHECKED_MARKER.pattern, "", text)


def strip_trailing_markers(text: str) -> str:
    """`text` without the markers that close it ("... next year [1][2]" -> "... next year")."""
    return _TRAILING_MARKERS.sub("", text)
