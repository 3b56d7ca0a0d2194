"""HTML pages (.html, .htm): main text and metadata via trafilatura, which dates the page with htmldate."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

from qa.documents import RawArticle, Rejected
from qa.loaders.base import LoadResult, clean_str, quiet_library_logs
from qa.loaders.fetch.urls import is_url
from qa.loaders.hidden import hidden_elements
from qa.loaders.records import as_authors
from qa.text.dates import iso_date
from qa.text.words import tokens

log = logging.getLogger(__name__)


def load_html(path: Path, data: bytes) -> LoadResult:
    """An HTML page: one article with its title, canonical URL, date, authors and outlet."""
    yield from extract_html(str(path), data)


def extract_html(origin: str, data: bytes, base_url: str | None = None) -> LoadResult:
    """The article of an HTML page read from `origin` (a file, or a URL fetched from `base_url`), or why
    there is none."""
    import trafilatura
    from trafilatura.utils import load_html as parse_html

    with quiet_library_logs("trafilatura"):
        tree = parse_html(data)
    if tree is None:
        yield Rejected(origin, "not parseable as HTML")
        return
    # Read before extraction, which may prune the tree it is given.
    canonical = _canonical_link(tree, base_url)
    hidden = _drop_hidden_elements(tree)
    if hidden:
        log.info("%s: %d hidden element(s) left out", origin, hidden)
    # htmldate's extensive search guesses a date from any date in the body text (often an event
    # date, not the publication date); markup, JSON-LD and URL dates only are more trustworthy.
    date_params = {
        "original_date": True,
        "extensive_search": False,
        "max_date": date.today().isoformat(),
    }
    with quiet_library_logs("trafilatura", "htmldate"):
        doc = trafilatura.bare_extraction(
            tree,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=date_params,
        )
    if doc is None or isinstance(doc, dict):
        yield Rejected(origin, "no extractable article text in HTML")
        return
    title = clean_str(doc.title)
    text = _html_body_text(doc.body, doc.text or "", title)
    if not text.strip():
        yield Rejected(origin, "no extractable article text in HTML")
        return
    yield RawArticle(
        text=text,
        origin=origin,
        title=title,
        url=canonical or clean_str(doc.url),
        published=iso_date(doc.date),
        authors=as_authors(doc.author),
        source=clean_str(doc.sitename),
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
    if blocks and title and tokens(blocks[0]) == tokens(title):
        blocks = blocks[1:]
    return "\n\n".join(blocks) if blocks else fallback


def _drop_hidden_elements(tree: Any) -> int:
    """Remove the elements a browser would not show (see `qa.loaders.hidden`), keeping the text that
    follows each; how many."""
    doomed = hidden_elements(tree)
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            # Keep the text that follows the element (its tail): it belongs to the parent.
            tail = element.tail or ""
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(element)
    return len(doomed)


def _canonical_link(tree: Any, base_url: str | None = None) -> str | None:
    """The page's <link rel="canonical">, made absolute (against og:url, else the page's own URL when it
    was fetched); trafilatura prefers og:url over it."""
    from urllib.parse import urljoin

    og_url = next((m.get("content", "").strip() for m in tree.iterfind(".//meta[@property='og:url']")), "")
    for link in tree.iterfind(".//link[@href]"):
        if "canonical" not in (link.get("rel") or "").lower().split():
            continue
        href = link.get("href", "").strip()
        if href.startswith("//"):
            href = "https:" + href
        elif (og_url or base_url) and not re.match(r"^[a-z][a-z0-9+.-]*://", href, re.IGNORECASE):
            href = urljoin(og_url or base_url or "", href)  # a relative canonical link
        if is_url(href, web=True):
            return href
    return None


# `<meta http-equiv="refresh" content="0; url=/new/story.html">`: the delay, then where to go (if anywhere).
_REFRESH_CONTENT = re.compile(
    r"^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['\"]?)(?P<url>[^'\"]*)\1", re.IGNORECASE
)


def meta_refresh_target(data: bytes, base_url: str) -> str | None:
    """Where the page's `<meta http-equiv="refresh">` sends a reader (made absolute), or None when it
    has none or only reloads itself after a while (no URL)."""
    from urllib.parse import urljoin

    from trafilatura.utils import load_html as parse_html

    if b"refresh" not in data.lower():
        return None  # most pages: no parse needed
    with quiet_library_logs("trafilatura"):
        tree = parse_html(data)
    if tree is None:
        return None
    for meta in tree.iterfind(".//meta[@http-equiv]"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        found = _REFRESH_CONTENT.match(meta.get("content") or "")
        url = found.group("url").strip() if found else ""
        if url:
            return urljoin(base_url, url)
    return None
