"""The facade on the in-memory store with the FAKE embedder and the FAKE extractive chat model."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from qa.documents import DateRange
from qa.embedding.fake import FakeEmbedder
from qa.errors import InvalidInputError
from qa.service import NewsDesk
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]


@pytest.fixture
def two_years(tmp_path: Path) -> Path:
    """The same story told in 2022 and in 2023, with different figures."""
    path = tmp_path / "stations.jsonl"
    records = [
        {
            "id": "old",
            "published": "2022-06-01",
            "title": "Stations 2022",
            "text": "Huawei made 3,000 base stations a month in June.",
        },
        {
            "id": "new",
            "published": "2023-01-05",
            "title": "Stations 2023",
            "text": "Huawei made 5,000 base stations a month in January.",
        },
    ]
    return write_jsonl(path, records)


def test_a_date_range_reaches_the_store(make_desk: MakeDesk, two_years: Path) -> None:
    desk = make_desk(min_score=0.0)
    desk.ingest([two_years], progress=False)
    question = "How many base stations did Huawei make a month?"
    assert {h.article.id for h in desk.evaluation().rank(question, chunks=10).nearest} == {"old", "new"}
    recent = desk.ask(question, dates=DateRange.parse("2023-01-01", None))
    assert {h.article.id for h in recent.retrieved} == {"new"}
    assert [c.article_id for c in recent.citations] == ["new"] and "5,000" in recent.answer
    earlier = desk.ask(question, dates=DateRange.parse(None, "2022-12-31"))
    assert [c.article_id for c in earlier.citations] == ["old"] and "3,000" in earlier.answer


def test_scope_says_what_was_searched(make_desk: MakeDesk, two_years: Path) -> None:
    desk = make_desk()
    desk.ingest([two_years], progress=False)
    dates = DateRange.parse("2023-01-01", None)
    scope = desk.scope(dates)
    assert (scope.collection, scope.articles, scope.chunks, scope.dates) == ("test", 2, 2, dates)
    assert scope.min_score == desk.settings.min_score
    stats = desk.stats()
    assert (stats.articles, stats.chunks, stats.embedding_model) == (2, 2, "fake-hashing-embedder")
    assert stats.chunk_tokens == desk.evaluation().index_config()["chunk_tokens"]


def test_another_collection_shares_the_model_and_keeps_its_own_articles(
    make_desk: MakeDesk, two_years: Path
) -> None:
    embedder = FakeEmbedder()
    desk = make_desk(embedder=embedder)
    other = desk.evaluation().on_collection("other").desk
    assert other.settings.collection == "other" and other.embedding_model == desk.embedding_model
    other.ingest([two_years], progress=False)
    assert other.stats().articles == 2 and desk.stats().articles == 0
    assert embedder.calls > 0  # the one model did the embedding for both


def test_labels_and_answer_config_load_no_model(make_desk: MakeDesk) -> None:
    desk = make_desk(llm_mode="local")
    assert desk.llm_label == "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    config = desk.evaluation().stage_configs(answers=True)
    assert config["llm"] == desk.llm_label and len(config["prompt_sha256"]) == 12
    desk.close()  # nothing was started: closing is a no-op


@pytest.mark.parametrize(
    ("question", "as_of"),
    [
        ("What happened this week?", date(1, 1, 1)),
        ("What happened yesterday?", date(1, 1, 1)),
        ("What happened last year?", date(1, 1, 1)),
        ("What happened this weekend?", date(9999, 12, 31)),
        ("What happened in December?", date(9999, 12, 31)),
    ],
)
def test_a_day_near_the_ends_of_the_calendar_is_refused_not_a_crash(
    make_desk: MakeDesk, question: str, as_of: date
) -> None:
    desk = make_desk()
    message = f"the day the question is asked on (as of) must be from 1900-01-01 to 2999-12-31, not {as_of}"
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        desk.ask(question, as_of=as_of)
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        desk.evaluation().rank(question, chunks=3, as_of=as_of)
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        desk.evaluation().names_a_time(question, as_of)


def test_a_question_with_a_lone_surrogate_is_refused_before_any_work(make_desk: MakeDesk) -> None:
    # JSON's "\ud800" escape (the API) and an undecodable byte in argv (the CLI) both arrive as one.
    desk = make_desk()
    message = "the question contains characters that are not valid text (a lone surrogate)"
    for question in ("Who won \ud800?", "Who won \udcff?"):
        with pytest.raises(InvalidInputError, match=re.escape(message)):
            desk.ask(question)
        with pytest.raises(InvalidInputError, match=re.escape(message)):
            desk.condense(question, [("Who played?", "Two teams [1].")])
