"""Questions as users type them, about short articles of the project's own, answered by the real default
model (issue 21). The suite is tests/data/user_suite/ (its README says how it was made).

Issue 21 asks for none of the answerable ones declined, nine in ten right, and nine in ten of the others
declined. Measured on the whole suite with the shipped defaults (docs/EVALUATION.md, "Evidence
judgment"): 2 of 95 answerable declined (both model answers withdrawn by the support check, rightly:
"9 p.m. to 10 p.m.", and the worked example's "900 passengers"), 79 right, and 21 of 29 unanswerable
ones declined: the 1.5B model's picks are what is left. These tests hold what is reached, so that it
cannot slip back while the rest is worked on; the issue stays open for the remainder. To bound the
suite's time (each answer is 10-40 s on two cores) they ask the first 64 answerable and the first 24
unanswerable questions by id, the issue's minimum counts; `qa eval` runs the whole suite.
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

ANSWERABLE = 64
UNANSWERABLE = 24

SUITE = REPO_ROOT / "tests" / "data" / "user_suite"


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


def test_questions_the_articles_answer_are_answered_and_right(suite_desk: NewsDesk) -> None:
    questions = load_questions(SUITE / "questions.jsonl", limit=ANSWERABLE)
    assert len(questions) == ANSWERABLE
    answered = _ask(suite_desk, questions)
    declined = [(q, r) for q, r in answered if r.abstained]
    wrong = [(q, r) for q, r in answered if not r.abstained and not _right(q, r)]
    # Measured on these 64: 1 declined, 54 right (the goal: none declined, nine in ten right).
    assert len(declined) <= 2, f"{len(declined)} answerable questions declined:\n{_listed(declined)}"
    assert not [r for _, r in declined if r.abstain_reason in ("not_stated", "no_relevant_passage")], (
        "the judgment declined an answerable question before the model"
    )
    right = len(questions) - len(wrong) - len(declined)
    assert right / len(questions) >= 0.8, f"{right} of {len(questions)} right; wrong:\n{_listed(wrong)}"
    assert all(r.citations for _, r in answered if not r.abstained)


def test_questions_the_articles_cannot_answer_are_declined(suite_desk: NewsDesk) -> None:
    questions = load_questions(SUITE / "questions-unanswerable.jsonl", limit=UNANSWERABLE)
    assert len(questions) == UNANSWERABLE
    answered = _ask(suite_desk, questions)
    shown = [(q, r) for q, r in answered if not r.abstained]
    declined = len(questions) - len(shown)
    # Measured on these 24: 16 declined (the goal: nine in ten).
    assert declined / len(questions) >= 0.6, (
        f"{declined} of {len(questions)} declined; answered:\n{_listed(shown)}"
    )
    assert all(r.abstain_reason is not None for _, r in answered if r.abstained)


def test_the_suite_is_the_projects_own_and_large_enough() -> None:
    texts = Path(SUITE / "articles.jsonl").read_text(encoding="utf-8")
    assert texts.count("\n") >= 12 and "rtqa-" not in texts  # not dev data
