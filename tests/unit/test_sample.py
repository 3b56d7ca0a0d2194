"""The bundled sample (what scripts/run.sh ingests from samples/): the brief's article with its real
headline, date and outlet, and the same story text the brief gave. FAKE embedder, in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qa.cleaning import clean_article
from qa.documents import Article, RawArticle
from qa.loaders import iter_raw_articles
from qa.service import NewsDesk
from tests.conftest import REPO_ROOT, SAMPLE_ARTICLE, SEED_ARTICLE

pytestmark = pytest.mark.unit


def _cleaned(path: Path) -> Article:
    (raw,) = iter_raw_articles([path])
    assert isinstance(raw, RawArticle)
    article = clean_article(raw)
    assert isinstance(article, Article)
    return article


def test_the_sample_is_indexed_with_its_headline_date_outlet_and_link(
    make_desk: Callable[..., NewsDesk],
) -> None:
    desk = make_desk()
    report = desk.ingest([REPO_ROOT / "samples"], progress=False)  # as scripts/run.sh does
    assert len(report.added) == 1 and not report.rejected, report.summary()
    (article,) = desk.list_articles()
    assert article.title == "Huawei’s Ren Zhengfei willing to licence 5G technology to a US firm"
    assert article.published == "2019-09-27" and article.source == "Silicon UK"
    assert article.url == "https://www.silicon.co.uk/mobility/huawei-licence-5g-tech-to-us-290535"


def test_the_sample_tells_the_story_the_brief_gave_without_the_sites_furniture() -> None:
    sample, given = _cleaned(SAMPLE_ARTICLE), _cleaned(SEED_ARTICLE)
    assert sample.text == given.text and sample.dropped_lines == ()
    # Given as plain text, the article's title was its lead sentence, cut off.
    assert given.title == "The founder and CEO of Huawei Technologies, Ren Zhengfei, has said he is…"
