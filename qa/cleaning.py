"""Stage 2 of ingestion: normalise a `RawArticle` into the `Article` that gets chunked and indexed.

Cleaning is deterministic: the same raw record always gives the same text, id and content hash, which
is what lets re-ingesting an unchanged file be a no-op.
"""

from __future__ import annotations

import json
import re
import unicodedata
from enum import Enum

from qa.documents import MIN_TEXT_CHARS, Article, RawArticle, Rejected
from qa.loaders.fetch.urls import canonical_url
from qa.text.control import strip_control
from qa.text.hashing import text_sha
from qa.text.sentences import split_sentences

__all__ = [
    "clean_article",
    "clean_text",
    "derive_title",
    "strip_leading_boilerplate",
    "strip_trailing_boilerplate",
]

TITLE_MAX_CHARS = 80

# Invisible characters that split words for search without showing anything to a reader.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# No-break and narrow spaces from HTML look like spaces and should tokenise like them.
_ODD_SPACES = re.compile("[\u00a0\u2007\u202f\u3000]")
_SPACE_RUN = re.compile(r"[ \t]+")
_BLANK_RUN = re.compile(r"\n{3,}")

# --- trailing boilerplate ---------------------------------------------------------------------------
# Lines a site appends after the story: calls to action, teaser lists, copyright. They are matched only
# in the trailing run of lines, and only when short, so a story sentence that happens to contain
# "subscribe" or "read more" is never dropped.
_BOILERPLATE_MAX_WORDS = 40
_TEASER_MAX_WORDS = 25
_BOILERPLATE = re.compile(
    r"""
    \b(?:try|take|do)\s+(?:our|the|this)\s+(?:\w+\s+)?quiz\b     # "Try our quiz!"
    | ^quiz\s*[:!]
    | ^sign\s+up\b.*\b(?:newsletter|our|free|today|now|here|e-?mail|alerts?)\b
    | \bsign\s+up\s+(?:for|to)\s+(?:our|the)\b | \bsupport\s+local\s+journalism\b
    | ^subscribe\b | \bsubscribe\s+(?:to|for)\s+(?:our|the)\b
    | \bour\s+(?:\w+\s+)?newsletters?\b
    | ^get\s+(?:the|our)\b.*\b(?:newsletter|inbox|app)\b
    | ^(?:read|see)\s+(?:more|next|also|the\s+full\s+(?:story|article))\b
    | ^(?:continue|keep)\s+reading\b
    | ^(?:related|related\s+(?:articles?|stories|content|coverage)|see\s+also|more\s+on\s+this(?:\s+story)?
        |more\s+from\s+\S+(?:\s+\S+)?|recommended(?:\s+for\s+you)?|most\s+(?:read|popular|viewed)
        |trending(?:\s+now)?|also\s+read|further\s+reading|you\s+may\s+also\s+like|top\s+stories
        |tags|topics|filed\s+under)\s*(?:[:\-–—|]|$)
    | ^follow\s+(?:us|me)\b
    | ^follow\b.{0,60}\bon\s+(?:twitter|x|facebook|instagram|linkedin|threads|bluesky|tiktok|youtube)\b
    | ^like\s+us\s+on\b | ^join\s+(?:us|the\s+conversation)\b
    | ^(?:advertisement|advertising|sponsored(?:\s+content)?|ad|promoted|story\s+continues\s+below)$
    | ^share\s+(?:this|on|via)\b | ^(?:share|tweet|email|print|comments?|back\s+to\s+top)$
    | ^video\s+player\s+was\s+slow\s+to\s+load\b                   # a video player's feedback form
    | ^click\s+here\b | ^download\s+(?:our|the)\b.*\bapp\b
    | ^(?:©|\(c\)\s*\d{4}) | ^copyright\s*(?:©|\(c\)\s*)?\d{4} | \ball\s+rights\s+reserved\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A teaser headline cut off by the site: ends in an ellipsis right after a word or comma (a story that
# trails off in a quote ends with a quote mark instead).
_TEASER = re.compile(r"[\w,;)\-–]\s?(?:…|\.{3})\s*$")


class _Line(Enum):
    STORY = "story"
    BOILERPLATE = "boilerplate"
    TEASER = "teaser"


def clean_text(text: str) -> str:
    """Normalise unicode and whitespace, keeping paragraph breaks (a blank line) intact."""
    text = unicodedata.normalize("NFC", text)
    # Regular expressions, not str.translate with a dict: that looks up every character in Python.
    text = _ODD_SPACES.sub(" ", _ZERO_WIDTH.sub("", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = strip_control(text)
    lines = [_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def _classify(line: str) -> _Line:
    """Is this line, found after the story, site boilerplate, a teaser headline, or story text?"""
    words = len(line.split())
    if words > _BOILERPLATE_MAX_WORDS:
        return _Line.STORY
    if _BOILERPLATE.search(line):
        return _Line.BOILERPLATE
    if 3 <= words <= _TEASER_MAX_WORDS and _TEASER.search(line):
        return _Line.TEASER
    return _Line.STORY


def strip_trailing_boilerplate(text: str) -> tuple[str, tuple[str, ...]]:
    """Drop the trailing run of promo, teaser and copyright lines; return the text and the dropped lines."""
    lines = text.split("\n")
    run: list[tuple[int, _Line]] = []  # (index, kind), bottom-up
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].strip():
            continue
        kind = _classify(lines[i])
        if kind is _Line.STORY:
            break
        run.append((i, kind))
    if not run:
        return text, ()
    run.reverse()  # top-down: the first entry is the one next to the story
    teasers = sum(kind is _Line.TEASER for _, kind in run)
    # One line ending in "..." may be the story's own last line. It counts as a teaser only with
    # corroboration: another teaser, or a boilerplate line (a quiz prompt, "Related:") above it.
    if teasers == 1:
        first_boilerplate = next((n for n, (_, kind) in enumerate(run) if kind is _Line.BOILERPLATE), None)
        lone = next(n for n, (_, kind) in enumerate(run) if kind is _Line.TEASER)
        if first_boilerplate is None or lone < first_boilerplate:
            run = run[lone + 1 :]
    if not run:
        return text, ()
    cut = run[0][0]
    dropped = tuple(lines[i].strip() for i, _ in run)
    return "\n".join(lines[:cut]).rstrip(), dropped


# Lines a site puts before the story: a newsletter prompt, an ad-feedback form, a note that the story
# first ran in a newsletter, a registration notice, a photo credit. Matched only in the leading run of
# short lines, before the first line of story text.
_LEADING_BOILERPLATE = re.compile(
    r"""
    \bnewsletters?\b.*\b(?:sign\s+up|subscribe|subscriber|inbox|delivered)\b
    | \b(?:sign\s+up|subscribe|receive|get\s+it)\b.*\bnewsletters?\b
    | \bnot\s+a\s+subscriber\b
    | ^\d+\.\s+how\s+relevant\s+is\s+this\s+ad\b
    | ^(?:editor[’']?s\s+note:\s*)?a\s+version\s+of\s+this\s+story\s+(?:first\s+)?appeared\b
    | ^we\s+will\s+use\s+the\s+details\s+you\s+have\s+shared\b
    | ^[—–-]?\s*recommendations\s+are\s+independently\s+chosen\b
    | ^produced\s+by\b.*\bphoto\s+team\b
    | ^(?:photo|image|video)s?\s*(?:credit|courtesy)?\s*:
    """,
    re.IGNORECASE | re.VERBOSE,
)


def strip_leading_boilerplate(text: str) -> tuple[str, tuple[str, ...]]:
    """Drop the leading run of newsletter prompts, ad forms and credits (below a headline line, if the
    text opens with one); return the text and the dropped lines."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if filled and _looks_like_headline(lines[filled[0]]) and not _leading_boilerplate(lines[filled[0]]):
        filled = filled[1:]  # a plain-text file's headline, with the prompt below it
    run: list[int] = []
    for i in filled:
        if not _leading_boilerplate(lines[i]):
            break
        run.append(i)
    if not run:
        return text, ()
    dropped = tuple(lines[i].strip() for i in run)
    kept = lines[: run[0]] + lines[run[-1] + 1 :]
    return _BLANK_RUN.sub("\n\n", "\n".join(kept)).strip("\n"), dropped


def _leading_boilerplate(line: str) -> bool:
    short = len(line.split()) <= _BOILERPLATE_MAX_WORDS
    return short and bool(_LEADING_BOILERPLATE.search(line) or _BOILERPLATE.search(line))


# --- title ------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^#{1,6}\s+(.+?)(?:\s+#+)?$")
_TERMINAL = tuple(".!?…:;,-–—\"”’'")


def plain_field(value: str | None) -> str | None:
    """A metadata field (title, outlet, author, URL, date) as one clean line; None when nothing is left."""
    if value is None:
        return None
    return " ".join(clean_text(value).split()) or None


def derive_title(raw_title: str | None, text: str) -> tuple[str, str]:
    """Pick the title (record's, heading, short first line, else lead sentence); return (title, text)."""
    title = plain_field(raw_title)
    if title:
        return title, text
    first, _, rest = text.partition("\n")
    heading = _HEADING.match(first.strip())
    if heading:
        # A markdown heading is the title, not story text: take it out of the body.
        return heading[1].strip(), rest.lstrip("\n")
    if rest.strip() and _looks_like_headline(first):
        return first.strip(), text
    return _lead_sentence(text), text


def _looks_like_headline(line: str) -> bool:
    """A short line without closing punctuation, with at least two real words (not "CNN —")."""
    line = line.strip()
    words = len(line.split())
    return 0 < words <= 15 and _alphabetic_words(line) >= 2 and not line.endswith(_TERMINAL)


def _alphabetic_words(line: str) -> int:
    """Words with at least one letter (so "—" or "2023" do not count)."""
    return sum(any(c.isalpha() for c in word) for word in line.split())


def _lead_sentence(text: str) -> str:
    """The first sentence of the text, cut at a word boundary with "…" if longer than ~80 chars."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    # Skip a dateline or kicker ("CNN —", "UPDATE:") to reach the first line that reads as prose.
    paragraph = next((line for line in lines if _alphabetic_words(line) >= 3), lines[0] if lines else "")
    spans = split_sentences(paragraph)
    sentence = paragraph[spans[0][0] : spans[0][1]] if spans else paragraph
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence
    cut = sentence[: TITLE_MAX_CHARS + 1].rsplit(None, 1)[0] if " " in sentence[:TITLE_MAX_CHARS] else ""
    cut = (cut or sentence[:TITLE_MAX_CHARS]).rstrip(" ,;:-–—")
    return cut + "…"


# --- ids and hashes ---------------------------------------------------------------------------------


def _content_hash(
    text: str,
    title: str,
    url: str | None,
    published: str | None,
    authors: tuple[str, ...],
    source: str | None,
) -> str:
    """Hash of text plus metadata, as canonical JSON so it is stable across runs and platforms."""
    payload = {
        "text": text,
        "title": title,
        "url": url,
        "published": published,
        "authors": list(authors),
        "source": source,
    }
    return text_sha(json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def _article_id(raw: RawArticle, text: str) -> str:
    """The record's own id, else one derived from its URL, else from its cleaned text."""
    if raw.id:
        return raw.id
    if raw.url and raw.url.strip():
        return "url-" + text_sha(canonical_url(raw.url))[:16]
    return "sha-" + text_sha(text)[:16]


# --- the stage ----------------------------------------------------------------------------------------


def clean_article(raw: RawArticle) -> Article | Rejected:
    """Clean one raw record into an `Article`, or reject it when too little text is left."""
    text = clean_text(raw.text)
    if not text:
        return Rejected(raw.origin, "article text is empty")
    text, dropped_leading = strip_leading_boilerplate(text)
    text, dropped_trailing = strip_trailing_boilerplate(text)
    dropped = dropped_leading + dropped_trailing
    title, text = derive_title(raw.title, text)
    text = text.strip()
    if len(text) < MIN_TEXT_CHARS:
        what = "empty" if not text else f"too short ({len(text)} characters)"
        after = " after removing site boilerplate" if dropped else ""
        return Rejected(raw.origin, f"article text is {what}{after}; need at least {MIN_TEXT_CHARS}")
    url = plain_field(raw.url)
    authors = tuple(dict.fromkeys(a for a in map(plain_field, raw.authors) if a))
    source = plain_field(raw.source)
    published = plain_field(raw.published)
    return Article(
        id=_article_id(raw, text),
        text=text,
        title=title,
        origin=raw.origin,
        content_hash=_content_hash(text, title, url, published, authors, source),
        url=url,
        published=published,
        authors=authors,
        source=source,
        single_article_file=raw.single_article_file,
        dropped_lines=dropped,
    )
