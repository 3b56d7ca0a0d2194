"""Questions as users type them, about short articles of the project's own (issue 21). The suite is
tests/data/user_suite/ (its README says how it was made).

Issue 21 asks for none of the answerable ones declined, nine in ten right, and nine in ten of the others
declined. Measured on the whole suite with the shipped defaults (docs/EVALUATION.md, "Evidence
judgment"): see the figures there; the 1.5B model's picks are what is left. These tests hold
what is reached, so that it cannot slip back while the rest is worked on.

Two tiers, to bound the suite's time (each model answer is 15-40 s on two cores, and CI has minutes):
the judgment before the model is asked of every suite question (retrieval and evidence only, real
embedding model and Chroma, no LLM); the real default model answers a fixed spread sample end to end.
`qa eval` runs the whole suite with the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.answer.support import key_words, supports
from qa.embedding.sentence_transformer import SentenceTransformerEmbedder
from qa.eval.questions import Question, load_questions
from qa.eval.scoring import judge_answer
from qa.results import AnswerResult
from qa.service import NewsDesk
from qa.settings import DEFAULT_EMBEDDING_MODEL, Settings
from tests.conftest import REPO_ROOT
from tests.integration.test_end_to_end import TEST_LLM

pytestmark = pytest.mark.integration

SUITE = REPO_ROOT / "tests" / "data" / "user_suite"
ANSWERABLE = load_questions(SUITE / "questions.jsonl")
UNANSWERABLE = load_questions(SUITE / "questions-unanswerable.jsonl")
# A fixed spread over the suite's articles and question kinds for the model: every 12th answerable one
# from the 6th (8 questions) and every 4th unanswerable one from the 2nd (7).
ANSWERABLE_SAMPLE = ANSWERABLE[5::12]
UNANSWERABLE_SAMPLE = UNANSWERABLE[1::4]


@pytest.fixture(scope="module")
def suite_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsDesk]:
    """The suite's articles on embedded Chroma, the real embedding model and the real local LLM."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("suite") / "data", collection="suite", llm_model=TEST_LLM
    )
    desk = NewsDesk(settings, embedder=SentenceTransformerEmbedder(DEFAULT_EMBEDDING_MODEL))
    report = desk.ingest([SUITE / "articles.jsonl"], progress=False)
    assert not report.rejected, report.summary()
    yield desk
    desk.close()


def _ask(desk: NewsDesk, questions: list[Question]) -> list[tuple[Question, AnswerResult]]:
    return [(q, desk.ask(q.question, as_of=q.asked_on)) for q in questions]


def _right(question: Question, result: AnswerResult) -> bool:
    """The answer states a gold answer: the scoring rule, or its names and values ("6 houses" for "Six")."""
    if result.abstained:
        return False
    if judge_answer(result.answer, False, question.answers)["correct"]:
        return True
    return any(key_words(gold) and supports(result.answer, gold) for gold in question.answers)


def _listed(pairs: list[tuple[Question, AnswerResult]]) -> str:
    return "\n".join(f"  {q.id} {q.question!r} -> {r.answer!r} ({r.abstain_reason})" for q, r in pairs)


def test_the_judgment_declines_no_answerable_suite_question(suite_desk: NewsDesk) -> None:
    evaluation = suite_desk.evaluation()
    declined = [
        (q.id, q.question, prepared.declined)
        for q in ANSWERABLE
        if (prepared := evaluation.prepare(q.question, as_of=q.asked_on)).declined is not None
    ]
    # Measured: none of the 95 (v2's cosine gate declined 34 of them).
    assert not declined, f"{len(declined)} answerable questions declined before the model: {declined}"


def test_the_judgment_declines_unrelated_suite_questions_before_the_model(suite_desk: NewsDesk) -> None:
    evaluation = suite_desk.evaluation()
    declined = {
        q.id: prepared.declined
        for q in UNANSWERABLE
        if (prepared := evaluation.prepare(q.question, as_of=q.asked_on)).declined is not None
    }
    # Measured: 12 of 29 ("the carran crumb shop": a name no article holds, since issue 21's word-list
    # rule; the rest are asked of articles that tell the story but not this detail: the model, the
    # support check and the reply check decline most of them, the test below).
    assert len(declined) >= 11, declined
    assert {"u-na-016", "u-na-017", "u-na-019"} <= declined.keys()  # the World Cup, Canberra, Austen
    assert declined.get("u-na-025") == "not_stated"  # "carran": in no word list and no article
    # "by July", "in 2027" (twice): no article is from the period they name.
    assert {q: declined.get(q) for q in ("u-na-022", "u-na-027", "u-na-029")} == dict.fromkeys(
        ("u-na-022", "u-na-027", "u-na-029"), "no_source_in_period"
    )
    assert set(declined.values()) <= {"not_stated", "no_relevant_passage", "no_source_in_period"}


def test_the_model_answers_the_answerable_sample_right(suite_desk: NewsDesk) -> None:
    assert len(ANSWERABLE_SAMPLE) == 8
    answered = _ask(suite_desk, ANSWERABLE_SAMPLE)
    declined = [(q, r) for q, r in answered if r.abstained]
    wrong = [(q, r) for q, r in answered if not r.abstained and not _right(q, r)]
    # Measured on these 8: none declined, all 8 right since an article covering under half of what the
    # best one covers is not read (7 before: u-078 answered with the firefighters, not who fled). One of
    # slack for another CPU's arithmetic.
    assert not declined, f"{len(declined)} answerable questions declined:\n{_listed(declined)}"
    right = len(answered) - len(wrong)
    assert right >= 7, f"{right} of {len(answered)} right; wrong:\n{_listed(wrong)}"
    assert all(r.citations for _, r in answered)


def test_the_model_sample_of_unanswerable_questions_is_declined(suite_desk: NewsDesk) -> None:
    assert len(UNANSWERABLE_SAMPLE) == 7
    answered = _ask(suite_desk, UNANSWERABLE_SAMPLE)
    shown = [(q, r) for q, r in answered if not r.abstained]
    # Measured on these 7: all declined (3 before the model, 2 by the support check, one by the model,
    # and "how hot is the surface of comet varga-lind" answered "… is hot", withdrawn as not an answer).
    assert len(shown) <= 1, f"{len(shown)} of {len(answered)} answered:\n{_listed(shown)}"
    assert all(r.abstain_reason is not None for _, r in answered if r.abstained)


def test_the_suite_is_the_projects_own_and_large_enough() -> None:
    texts = Path(SUITE / "articles.jsonl").read_text(encoding="utf-8")
    assert texts.count("\n") >= 12 and "rtqa-" not in texts  # not dev data
    assert len(ANSWERABLE) >= 60 and len(UNANSWERABLE) >= 20
