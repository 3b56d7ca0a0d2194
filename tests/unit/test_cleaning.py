"""Stage 2: RawArticle -> Article (normalised text, boilerplate left out, title, id, content hash)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.cleaning import clean_article, clean_text, derive_title
from qa.documents import Article, RawArticle, Rejected
from qa.loaders import iter_raw_articles
from qa.loaders.fetch.urls import canonical_url
from qa.service import NewsDesk
from qa.text.hashing import text_sha
from tests.conftest import SEED_ARTICLE as SEED  # the brief's article as given; the demo in samples/

pytestmark = pytest.mark.unit

STORY = (
    "The city council voted on Tuesday to approve a new bridge across the river.\n\n"
    "The bridge will cost 40 million euros and is due to open in 2026, the mayor said."
)


def clean(text: str, **fields: object) -> Article:
    result = clean_article(RawArticle(text=text, origin="test.txt", **fields))  # type: ignore[arg-type]
    assert isinstance(result, Article), result
    return result


# --- text normalisation -----------------------------------------------------------------------------


def test_clean_text_normalises_unicode_and_whitespace() -> None:
    raw = (
        "Cafe\u0301\u200b  owners\t\tsaid  \r\nprices\u00a0rose.   "
        "\r\n\r\n\r\n\r\n\r\nNext\ufeff paragraph.\n\n"
    )
    assert clean_text(raw) == "Café owners said\nprices rose.\n\nNext paragraph."


def test_clean_text_keeps_single_blank_lines() -> None:
    assert clean_text("One.\n\nTwo.\nThree.") == "One.\n\nTwo.\nThree."


# --- trailing boilerplate ---------------------------------------------------------------------------


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_article_loses_quiz_and_teasers(seed_text: str) -> None:
    (raw,) = iter_raw_articles([SEED])
    assert isinstance(raw, RawArticle)
    article = clean_article(raw)
    assert isinstance(article, Article)
    assert article.text.endswith("to prepare for commercial rollout in 2020.")
    trailing = [line for line in seed_text.splitlines() if line.strip()][-7:]
    assert trailing[0] == "Do you know all about security? Try our quiz!"
    assert article.dropped_lines == tuple(line.strip() for line in trailing)
    for line in trailing:
        assert line.strip() not in article.text
    # the story itself is intact: every other line is still there
    for line in [line for line in seed_text.splitlines() if line.strip()][:-7]:
        assert line.strip() in article.text


def test_boilerplate_mid_story_is_kept() -> None:
    text = (
        "Officials met on Monday to discuss the budget.\n\n"
        "Read more: the council's statement is online.\n\n"
        "“We are not sure what comes next…” the mayor said, before leaving the room.\n\n"
        "Sign up for our newsletter\n\n"
        "The vote is expected on Friday after a second reading."
    )
    article = clean(text)
    assert article.text == text
    assert article.dropped_lines == ()


def test_trailing_promo_lines_are_dropped() -> None:
    tail = [
        "Related: Council delays vote on new parking rules…",
        "Sign up for our daily newsletter",
        "Follow us on Twitter @dailyplanet",
        "Advertisement",
        "Share this article",
        "© 2023 The Daily Planet. All rights reserved.",
    ]
    article = clean(STORY + "\n\n" + "\n".join(tail) + "\n")
    assert article.text == STORY
    assert article.dropped_lines == tuple(tail)


def test_two_teasers_are_dropped_but_a_lone_trailing_ellipsis_is_story() -> None:
    teasers = "Markets slide as rates climb again…\nWhy the bridge costs so much more than planned..."
    assert clean(STORY + "\n\n" + teasers).text == STORY
    lone = STORY + "\n\nAnd so the wait goes on..."
    assert clean(lone).text == lone


def test_long_story_line_mentioning_subscribe_is_kept() -> None:
    last = (
        "Read more widely, the professor urged her students, because subscribers to a single outlet "
        "tend to share its blind spots, and subscribe to at least two newspapers with different views, "
        "she said in a speech that drew a standing ovation from the audience in the packed hall."
    )
    assert clean(STORY + "\n\n" + last).text.endswith(last)


def test_copyright_words_in_story_are_not_boilerplate() -> None:
    last = "Copyright law experts said the ruling would be appealed."
    assert clean(STORY + "\n\n" + last).text.endswith(last)


def test_text_that_is_all_boilerplate_is_rejected() -> None:
    result = clean_article(RawArticle(text="Subscribe\nAdvertisement\n", origin="x.txt"))
    assert isinstance(result, Rejected)
    assert "boilerplate" in result.reason


# --- rejection ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\u200b\n", "Too short."])
def test_empty_or_short_text_is_rejected(text: str) -> None:
    result = clean_article(RawArticle(text=text, origin="short.txt"))
    assert isinstance(result, Rejected)
    assert result.origin == "short.txt"
    assert "empty" in result.reason or "too short" in result.reason


# --- title ------------------------------------------------------------------------------------------


def test_record_title_wins_and_body_is_untouched() -> None:
    article = clean("# Heading in text\n\n" + STORY, title="  Bridge   approved ")
    assert article.title == "Bridge approved"
    assert article.text.startswith("# Heading in text")


def test_markdown_heading_becomes_title_and_leaves_body() -> None:
    article = clean("# Council approves bridge\n\n" + STORY)
    assert article.title == "Council approves bridge"
    assert article.text == STORY


def test_short_first_line_becomes_title_but_stays_in_body() -> None:
    article = clean("Council approves new bridge\n" + STORY)
    assert article.title == "Council approves new bridge"
    assert article.text.startswith("Council approves new bridge\n")


def test_dateline_is_neither_headline_nor_lead_sentence() -> None:
    article = clean("CNN —\n\n" + STORY)
    assert article.title == "The city council voted on Tuesday to approve a new bridge across the river."
    assert article.text.startswith("CNN —")


def test_lead_sentence_title_is_truncated_at_a_word_boundary() -> None:
    text = (
        "The founder and CEO of the company, speaking at a forum in the capital on Thursday, said he "
        "was willing to license the technology. More text follows here."
    )
    title = clean(text).title
    assert title.endswith("…")
    assert len(title) <= 81
    assert text.startswith(title[:-1])
    assert not title[:-1].endswith((" ", ","))


def test_short_lead_sentence_is_the_title_and_abbreviations_do_not_end_it() -> None:
    assert (
        clean("U.S. officials met Mr. Smith on Monday. " + STORY).title
        == "U.S. officials met Mr. Smith on Monday."
    )


def test_derive_title_directly() -> None:
    assert derive_title(None, "## Sub heading\n\nBody text here.") == ("Sub heading", "Body text here.")
    assert derive_title("Given", "Body.") == ("Given", "Body.")


# --- ids and canonical URLs -------------------------------------------------------------------------


def test_record_id_is_kept_as_is() -> None:
    assert clean(STORY, id="rtqa-0b8eeee04623", url="https://example.com/a").id == "rtqa-0b8eeee04623"


def test_url_id_ignores_tracking_and_cosmetic_differences() -> None:
    a = clean(STORY, url="https://www.Example.com/news/bridge/?utm_source=x&fbclid=1#comments")
    b = clean(STORY + " Changed.", url="https://example.com/news/bridge")
    assert a.id == b.id
    assert a.id == "url-" + text_sha("https://example.com/news/bridge")[:16]
    assert a.url == "https://www.Example.com/news/bridge/?utm_source=x&fbclid=1#comments"  # stored as given


def test_text_id_without_url() -> None:
    article = clean("  " + STORY + "\n\n")
    assert article.id == "sha-" + text_sha(STORY)[:16]
    assert clean(STORY.replace("Tuesday", "Monday")).id != article.id


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM/Path/", "https://example.com/Path"),
        ("https://example.com:443/a?b=2&utm_medium=x&a=1", "https://example.com/a?a=1&b=2"),
        ("http://example.com:80/a#frag", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a?gclid=x&ref=home&fbclid=y&UTM_Campaign=z", "https://example.com/a"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/search?q=a+b&page=", "https://example.com/search?page=&q=a+b"),
        ("  https://news.example.org/story  ", "https://news.example.org/story"),
        ("not a url#x", "not a url"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


# --- content hash -----------------------------------------------------------------------------------


def test_content_hash_is_stable_and_tracks_text_and_metadata() -> None:
    base = RawArticle(
        text=STORY,
        origin="a.txt",
        title="Bridge",
        url="https://example.com/a",
        published="2023-01-05",
        authors=("Lois Lane",),
        source="Daily Planet",
    )

    def hash_of(raw: RawArticle) -> str:
        result = clean_article(raw)
        assert isinstance(result, Article)
        return result.content_hash

    original = hash_of(base)
    assert original == hash_of(base)  # same input, same hash
    assert hash_of(dataclasses.replace(base, origin="moved/a.txt")) == original
    assert hash_of(dataclasses.replace(base, text=STORY + "  \r\n")) == original  # cleaned away
    for change in [
        {"text": STORY + " One more sentence."},
        {"title": "Bridge approved"},
        {"url": "https://example.com/b"},
        {"published": "2023-01-06"},
        {"authors": ("Clark Kent",)},
        {"source": "The Planet"},
    ]:
        assert hash_of(dataclasses.replace(base, **change)) != original, change  # type: ignore[arg-type]


def test_article_carries_metadata() -> None:
    article = clean(
        STORY,
        title="Bridge",
        url=" https://example.com/a ",
        published="2023-01-05",
        authors=("Lois Lane", " ", "Lois Lane", "Clark Kent"),
        source=" Daily Planet ",
        single_article_file=False,
    )
    assert article.origin == "test.txt"
    assert article.url == "https://example.com/a"
    assert article.published == "2023-01-05"
    assert article.authors == ("Lois Lane", "Clark Kent")
    assert article.source == "Daily Planet"
    assert article.single_article_file is False


GRAVE = (
    "Sign up for CNN’s Wonder Theory science newsletter. Explore the universe with news on fascinating "
    "discoveries, scientific advancements and more.\n\n"
    "The burial site of a young child who lived 8,000 years ago has been discovered in Eastern Finland.\n\n"
    "Feathers found in the grave suggest the child was laid to rest on a bed of bird down."
)


def test_leading_newsletter_prompts_and_ad_forms_are_dropped() -> None:
    article = clean(GRAVE)
    assert article.text.startswith("The burial site of a young child")
    assert article.dropped_lines[0].startswith("Sign up for CNN’s Wonder Theory science newsletter.")
    form = (
        "1. How relevant is this ad to you?\n"
        "Video player was slow to load content Video content never loaded Ad froze\n"
        "Editor’s Note: A version of this story appeared in CNN’s Meanwhile in China newsletter.\n\n"
        "Factories in the south reopened on Monday after the holiday, officials said."
    )
    assert clean(form).text == "Factories in the south reopened on Monday after the holiday, officials said."
    assert len(clean(form).dropped_lines) == 3


def test_a_story_that_opens_on_sign_ups_or_newsletters_is_kept() -> None:
    for text in (
        "Millions rushed to sign up for health insurance before the deadline on Sunday, officials said.",
        "Substack said its newsletter writers earned more than ever last year.",
        "Photographers lined the street as the parade began. Photo credits were shared later.",
    ):
        article = clean(text + "\n\nThe second paragraph of the story goes on here.")
        assert article.text.startswith(text) and article.dropped_lines == ()


def test_the_quote_is_the_sentence_with_the_fact_not_the_newsletter_prompt(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    path = tmp_path / "grave.txt"
    path.write_text("Stone Age grave found in Finland\n\n" + GRAVE, encoding="utf-8")
    desk = make_desk()  # FAKE extractive chat model: it cites the source sentence closest to the question
    desk.ingest([path], progress=False)
    result = desk.ask("Where was the burial site of a child who lived 8,000 years ago discovered?")
    assert result.citations and not result.abstained
    assert all("newsletter" not in c.quote for c in result.citations)
    assert result.citations[0].quote.startswith("The burial site of a young child who lived 8,000 years ago")
    assert all("newsletter" not in hit.chunk.text for hit in result.retrieved)


def test_escape_sequences_and_control_characters_leave_text_and_every_metadata_field() -> None:
    raw = RawArticle(
        text="Prices \x1b[31mrose\x1b[0m sharply on Monday.\x07 " + "The market closed higher. " * 5,
        origin="feed.jsonl#1",
        title="Markets\x1b]0;pwned\x07 rally",
        url=" https://example.com/markets\x1b[2K ",
        published="2023-01-05\x00",
        authors=("Ann\x1b[2K Lee", "\x9b"),
        source="Out\x1b[2Klet",
    )
    article = clean_article(raw)
    assert isinstance(article, Article)
    assert article.text.startswith("Prices rose sharply on Monday. The market")
    assert (article.title, article.source, article.authors) == ("Markets rally", "Outlet", ("Ann Lee",))
    assert (article.url, article.published) == ("https://example.com/markets", "2023-01-05")
