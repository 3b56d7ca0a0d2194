"""The evidence judgment (issue 21): its signals, its decision, dated answers, its figures in `qa eval`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from qa.answer.evidence import EvidenceSentence, EvidenceSource, gather_evidence, related_sources
from qa.answer.judgment import DEFAULT_MODEL, answers_what_is_asked, evidence_signals, holds_answer_kind
from qa.answer.period import no_source_in_period, sources_for_period
from qa.documents import ArticleInfo, Chunk, DateRange, ScoredChunk
from qa.eval.judging import declined_with_evidence, judgment_curve, per_week, truthfulness
from qa.llm.fake import FakeChatModel
from qa.results import AbstainReason, GivenSource, Judgment, Signals
from qa.service import NewsDesk
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit

BRIDGE = GivenSource(
    1,
    "bridge",
    "2026-03-14",
    (
        "Repair crews have finished replacing the suspension cables on the Kestrel Harbour Bridge.",
        "Engineers replaced 212 steel cables over eleven months, the city said.",
    ),
)
FERRY = GivenSource(2, "ferry", "2026-04-02", ("Ferry crews voted to accept a three-year pay deal.",))


def test_a_sentence_holding_the_questions_rare_words_and_a_number_covers_a_how_many_question() -> None:
    signals = evidence_signals(
        "How many steel cables were replaced on the harbour bridge?", [BRIDGE, FERRY], best_score=0.53
    )
    assert signals.coverage >= 0.5 and signals.source_coverage == 1.0
    assert signals.answer_type == 1.0 and signals.names_found == 1.0 and signals.missing == ()
    assert DEFAULT_MODEL.probability(signals) > 0.5


def test_evidence_about_something_else_is_judged_not_to_hold_the_answer_and_says_which_words_lack() -> None:
    question = "Which country's prime minister unexpectedly announced her resignation?"
    signals = evidence_signals(question, [BRIDGE, FERRY], best_score=0.2)
    assert signals.coverage == 0.0 and signals.source_coverage == 0.0
    assert {"prime", "minister", "resignation"} <= set(signals.missing)
    judgment = Judgment(signals, DEFAULT_MODEL.probability(signals), threshold=0.16)
    assert not judgment.holds
    said = AbstainReason.NOT_STATED.explain(_declined(judgment))
    assert said.startswith("no source sentence states what the question asks: the closest holds 0%")
    assert "“" in said and "appear in none" in said


def test_the_similarity_score_is_recorded_but_not_what_decides() -> None:
    question = "How many steel cables were replaced on the harbour bridge?"
    low = evidence_signals(question, [BRIDGE], best_score=0.13)
    high = evidence_signals(question, [BRIDGE], best_score=0.8)
    assert DEFAULT_MODEL.probability(low) == DEFAULT_MODEL.probability(
        high
    )  # a short question's cosine is low
    assert "best_score" not in DEFAULT_MODEL.weights and low.to_json()["best_score"] == 0.13


def test_the_searches_agreeing_and_the_questions_names_are_read_from_the_evidence() -> None:
    question = "What did Marlow Civil Works replace on the bridge?"
    signals = evidence_signals(
        question, [BRIDGE, FERRY], best_score=0.5, dense_articles=("bridge",), keyword_articles=("bridge",)
    )
    assert signals.agreement == 1.0
    assert signals.names_found == 0.0  # "Marlow Civil Works" is in no sentence
    apart = evidence_signals(question, [BRIDGE], best_score=0.5, dense_articles=("bridge",))
    assert apart.agreement == 0.0


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        ("How many cables were replaced?", "Engineers replaced 212 cables.", True),
        ("How many cables were replaced?", "Engineers replaced the cables.", False),
        ("how much did the deal cost", "The deal is worth four million dollars.", True),
        ("When did the bridge open?", "The bridge opened in 1961.", True),
        ("When did the bridge open?", "The bridge is long.", False),
        ("Who replaced the cables?", "Marlow Civil Works replaced them.", True),
        ("Who replaced the cables on the Kestrel bridge?", "The Kestrel cables were replaced.", False),
    ],
)
def test_the_kind_of_answer_asked_for_must_be_in_the_sentence_beyond_the_question(
    question: str, sentence: str, holds: bool
) -> None:
    assert holds_answer_kind(question, sentence) is holds


def test_years_in_a_question_say_when_and_are_not_names_the_evidence_must_hold() -> None:
    signals = evidence_signals("what's the ferry raise each year after 2026", [FERRY], best_score=0.5)
    assert signals.names_found == 1.0 and "2026" not in signals.missing


def _hit(article_id: str, text: str, published: str | None = None) -> ScoredChunk:
    info = ArticleInfo(id=article_id, title=article_id, published=published)
    return ScoredChunk(Chunk(f"{article_id}#0", article_id, 0, text, 0, len(text)), info, 0.5)


def test_evidence_gives_the_sentence_holding_the_number_a_reworded_question_asks_for() -> None:
    text = (
        "Repair crews finished work on the Kestrel bridge. The lanes reopened on Monday. Drivers were "
        "pleased. Engineers also fitted 140 sensors along the deck. The mayor thanked the crews."
    )
    (source,) = gather_evidence(
        "how many monitors are going on the kestrel span", [_hit("bridge", text)], sentences_per_article=2
    )
    assert any("140 sensors" in s.text for s in source.sentences)


def test_articles_sharing_no_word_with_the_question_are_left_out_and_the_rest_renumbered() -> None:
    sources = gather_evidence(
        "how many cables on the kestrel bridge",
        [
            _hit("a", "Ferry crews voted on pay."),
            _hit("b", "The weather was mild."),
            _hit("c", "The Kestrel bridge has 212 cables."),
        ],
        sentences_per_article=3,
    )
    kept = related_sources("how many cables on the kestrel bridge", sources)
    assert [(s.n, s.article.id) for s in kept] == [(1, "a"), (2, "c")]  # the first-ranked always stays


def test_an_article_covering_far_less_of_the_question_than_the_best_one_is_not_read() -> None:
    question = "how many bus drivers will millford hire"
    sources = gather_evidence(
        question,
        [
            _hit("ferry", "Sound Link will hire 45 new deckhands by July."),
            _hit("budget", "Millford approved its budget. The plan funds 30 new bus drivers."),
            _hit("trams", "Millford trams carry more riders than its buses."),
        ],
        sentences_per_article=3,
    )
    # The ferry story shares only "hire": the model took its 45 for Millford's drivers.
    kept = related_sources(question, sources, min_share=0.5)
    assert [(s.n, s.article.id) for s in kept] == [(1, "ferry"), (2, "budget")]
    assert [s.article.id for s in related_sources(question, sources, min_share=0.0)] == [
        "ferry",
        "budget",
        "trams",
    ]


def test_a_headline_without_a_full_stop_keeps_its_line_break_in_the_evidence() -> None:
    text = "Stone Age grave found in Finland\n\nThe burial site was discovered in Eastern Finland."
    hit = _hit("grave", text)
    first = EvidenceSentence("Stone Age grave found in Finland", 0, 32, hit)
    second = EvidenceSentence("The burial site was discovered in Eastern Finland.", 34, len(text), hit)
    assert EvidenceSource(1, hit.article, (first, second)).text == (
        "Stone Age grave found in Finland\nThe burial site was discovered in Eastern Finland."
    )


def _dated_source(n: int, published: str | None) -> EvidenceSource:
    hit = _hit(f"a{n}", "A dangerous ice storm hit Texas.", published)
    return EvidenceSource(n, hit.article, (EvidenceSentence("A dangerous ice storm hit Texas.", 0, 32, hit),))


def test_only_sources_from_the_period_asked_about_are_given_renumbered() -> None:
    this_week = DateRange(date(2023, 1, 27), date(2023, 2, 2))
    sources = [
        _dated_source(1, "2023-01-20"),  # before the week
        _dated_source(2, "2023-01-28"),
        _dated_source(3, "2023-02-04"),  # reports lag: within the slack after the week
        _dated_source(4, None),  # undated: may be from it
        _dated_source(5, "2023-02-06"),  # after the slack
    ]
    kept = sources_for_period(this_week, sources, slack_days=2)
    assert [(s.n, s.article.id) for s in kept] == [(1, "a2"), (2, "a3"), (3, "a4")]
    assert sources_for_period(None, sources, slack_days=2) == sources
    assert sources_for_period(this_week, sources[:1], slack_days=2) == []
    assert no_source_in_period(this_week, ["2023-01-20", "2023-01-25", None]) == (
        "The question is about 2023-01-27 – 2023-02-02, and the newest article that bears on it is from "
        "2023-01-25."
    )


def _ice_storm_desk(
    make_desk: Callable[..., NewsDesk], tmp_path: Path, *articles: dict[str, str]
) -> NewsDesk:
    path = write_jsonl(tmp_path / "news.jsonl", list(articles))
    desk = make_desk(chat_model=FakeChatModel())  # FAKE extractive model: cites the closest sentence
    desk.ingest([path], progress=False)
    return desk


_OLD_STORM = {
    "id": "old",
    "title": "Ice storm hits Texas",
    "published": "2023-01-10",
    "text": "A dangerous ice storm hit Texas, cutting power to 300,000 homes.",
}


def test_a_this_week_question_whose_sources_are_all_older_is_declined_before_the_model(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    markets = {
        "id": "new",
        "title": "Markets calm",
        "published": "2023-02-01",
        "text": "Stock markets were calm on Wednesday as traders waited for the Fed.",
    }
    desk = _ice_storm_desk(make_desk, tmp_path, _OLD_STORM, markets)
    result = desk.ask("Which state was hit by a dangerous ice storm this week?", as_of=date(2023, 2, 2))
    assert result.abstained and result.abstain_reason == AbstainReason.NO_SOURCE_IN_PERIOD
    assert not result.llm_called and result.withdrawn_answer is None
    # The markets story shares no word with the question: it is not evidence, so not what "bears on it".
    assert result.answer.endswith("the newest article that bears on it is from 2023-01-10.")
    assert "2023-01-10" in AbstainReason.NO_SOURCE_IN_PERIOD.explain(result)
    asked_in_january = desk.ask(
        "Which state was hit by a dangerous ice storm this week?", as_of=date(2023, 1, 11)
    )
    assert not asked_in_january.abstained and "Texas" in asked_in_january.answer


def test_a_this_week_question_is_answered_from_this_weeks_article_not_an_older_closer_one(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    this_week = {
        "id": "new",
        "title": "Ice storm moves east",
        "published": "2023-01-31",
        "text": "A dangerous ice storm hit Tennessee on Tuesday, closing schools.",
    }
    desk = _ice_storm_desk(make_desk, tmp_path, _OLD_STORM, this_week)
    result = desk.ask("Which state was hit by a dangerous ice storm this week?", as_of=date(2023, 2, 2))
    assert not result.abstained, result.answer
    assert "Tennessee" in result.answer and [c.article_id for c in result.citations] == ["new"]
    assert [s.article_id for s in result.evidence] == ["new"]


def test_a_question_the_evidence_does_not_cover_is_declined_before_the_model_with_its_signals(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "news.jsonl",
        [
            {
                "id": "b",
                "title": "Bridge reopens",
                "text": "The Kestrel bridge reopened after 212 cables were replaced.",
            }
        ],
    )
    desk = make_desk(chat_model=FakeChatModel())
    desk.ingest([path], progress=False)
    result = desk.ask("Which airline gave frequent flier miles to stranded passengers?")
    assert result.abstained and result.abstain_reason == AbstainReason.NOT_STATED and not result.llm_called
    assert result.judgment is not None and result.judgment.probability < result.judgment.threshold
    answered = desk.ask("how many cables were swapped on the kestrel bridge")
    assert not answered.abstained and "212" in answered.answer
    assert answered.judgment is not None and answered.judgment.holds


def test_a_word_no_word_list_knows_is_a_name_the_evidence_must_hold_even_in_lower_case() -> None:
    from qa.answer.judgment import question_names

    assert question_names("what did the committee decide about the zorblax tariff?") == {"zorblax"}
    assert question_names("how many cables got swapped out on the kestrel bridge") == set()


def test_a_question_about_a_thing_no_article_names_is_declined_though_the_story_matches(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    text = (
        "The trade committee decided on Tuesday to impose a 25% tariff on imported steel. "
        "The tariff takes effect in March, the committee said."
    )
    path = write_jsonl(tmp_path / "news.jsonl", [{"id": "t", "title": "Steel tariff", "text": text}])
    desk = make_desk(chat_model=FakeChatModel(reply="The committee decided to impose it [1]."))
    desk.ingest([path], progress=False)
    invented = desk.ask("what did the committee decide about the zorblax tariff")
    assert invented.abstained and invented.abstain_reason == AbstainReason.NOT_STATED
    assert not invented.llm_called and invented.judgment is not None
    assert invented.judgment.signals.names_found == 0.0 and "zorblax" in invented.judgment.signals.missing
    stated = desk.ask("what did the committee decide about the steel tariff")
    assert stated.llm_called and stated.judgment is not None and stated.judgment.holds


def _declined(judgment: Judgment):  # type: ignore[no-untyped-def]
    from qa.results import AnswerResult, Timings

    return AnswerResult(
        question="q",
        answer="I can't find that in the indexed articles.",
        abstained=True,
        citations=(),
        retrieved=(),
        timings=Timings(0.0, 0.0),
        abstain_reason=AbstainReason.NOT_STATED,
        judgment=judgment,
    )


def _record(qid: str, *, gold: bool, abstained: bool, answer: str, p: float | None, **extra: object) -> dict:
    return {
        "id": qid,
        "question": "Who won?",
        "answers": ["Ann Lee"],
        "choices": [],
        "gold_ids": ["a"] if gold else [],
        "abstained": abstained,
        "answer": answer,
        "verdict": {},
        "judgment": None if p is None else {"probability": p},
        **extra,
    }


RECORDS = [
    _record(
        "rtqa-20230106_0",
        gold=True,
        abstained=False,
        answer="Ann Lee won [1].",
        p=0.9,
        evidence_states_answer=True,
    ),
    _record(
        "rtqa-20230106_1",
        gold=True,
        abstained=False,
        answer="Bo Ray won [1].",
        p=0.3,
        evidence_states_answer=True,
    ),
    _record(
        "rtqa-20230113_0",
        gold=True,
        abstained=True,
        answer="I can't find that in the indexed articles.",
        p=0.1,
        abstain_reason="not_stated",
        evidence_states_answer=True,
    ),
    _record(
        "rtqa-20230113_1",
        gold=False,
        abstained=True,
        answer="I can't find that in the indexed articles.",
        p=None,
        abstain_reason="period_not_covered",
    ),
]


def test_truthfulness_counts_right_minus_wrong_over_all_and_a_decline_is_wrong_only_with_evidence() -> None:
    assert truthfulness(RECORDS) == 0.0  # one right, one wrong, two declines
    assert declined_with_evidence(RECORDS) == pytest.approx(1 / 3, abs=1e-4)
    weeks = per_week(RECORDS)
    assert list(weeks) == ["20230106", "20230113"]
    assert weeks["20230106"]["accuracy_answerable"] == 0.5 and weeks["20230113"]["declined"] == 1.0


def test_the_curve_replays_the_threshold_and_leaves_unknown_what_the_run_never_asked() -> None:
    curve = {row["threshold"]: row for row in judgment_curve(RECORDS)}
    assert curve[0.0]["unknown"] == 1  # the not_stated decline at 0.1 has no answer to score below 0.1
    assert curve[0.12]["unknown"] == 0 and curve[0.12]["truthfulness"] == 0.0
    assert curve[0.32]["declined"] == 0.75 and curve[0.32]["truthfulness"] == 0.25  # the wrong one declined
    assert curve[0.32]["declined_with_evidence"] == pytest.approx(2 / 3, abs=1e-4)


def test_signals_come_back_from_their_json() -> None:
    signals = Signals(0.5, 0.4, 0.6, 1.0, 1.0, 0.0, ("capsule",))
    assert signals.to_json() == {
        "best_score": 0.5,
        "coverage": 0.4,
        "source_coverage": 0.6,
        "names_found": 1.0,
        "answer_type": 1.0,
        "agreement": 0.0,
        "missing": ["capsule"],
    }


@pytest.mark.parametrize(
    ("question", "answer", "answers"),
    [
        ("how hot is the surface of comet varga-lind", "The surface of comet Varga-Lind is hot.", False),
        ("how hot is the surface of comet varga-lind", "About 120 degrees.", True),
        ("what do ashcombe teachers earn a year", "Ashcombe teachers earn a year.", False),
        ("what do ashcombe teachers earn a year", "They earn a starting salary of $48,000.", True),
        ("Which country was hit with the highest tariff?", "Brazil was hit hardest.", True),  # name first
        (
            "Which country was hit with the highest tariff?",
            "The country was hit with the highest tariff.",
            False,
        ),
        ("When did the bridge reopen?", "The bridge reopened on Monday.", True),
        ("what time does eastbrook library shut on weekdays", "It shuts at 9 p.m. on weekdays.", True),
        ("what time does eastbrook library shut on weekdays", "It shuts later on weekdays.", False),
        ("When did the bridge reopen?", "The bridge reopened after the repairs.", False),
        ("True or false: the bridge reopened?", "True.", True),  # a closed question may repeat its words
        ("Did the mayor sign the budget?", "No, the mayor did not sign the budget.", True),
        (  # the answer is one of the alternatives the question offers
            "Was Messina Denaro arrested before or after Ardern announced she would resign?",
            "Messina Denaro was arrested before Ardern announced she would resign.",
            True,
        ),
        ("Who was older at death, Queen Elizabeth II or Benedict XVI?", "Benedict XVI was older.", True),
    ],
)
def test_a_reply_answers_only_when_it_adds_the_kind_of_thing_asked_for(
    question: str, answer: str, answers: bool
) -> None:
    assert answers_what_is_asked(question, answer) is answers


def test_the_desk_withdraws_a_reply_that_only_restates_the_question(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "news.jsonl",
        [
            {
                "id": "t",
                "title": "Teachers strike",
                "text": "Ashcombe teachers went on strike over pay a year ago.",
            }
        ],
    )
    reply = "Ashcombe teachers earn a year [1]."
    desk = make_desk(chat_model=FakeChatModel(reply=reply))  # FAKE model: this fixed reply
    desk.ingest([path], progress=False)
    result = desk.ask("what do ashcombe teachers earn a year", as_of=date(2026, 5, 21))
    assert result.abstained and result.abstain_reason == AbstainReason.NOT_AN_ANSWER
    assert result.withdrawn_answer == reply and not result.citations
    assert AbstainReason.NOT_AN_ANSWER.explain(result).startswith(f"the model replied “{reply}”")
    from qa.results import SearchScope
    from qa.web.views import describe_scope

    scope = SearchScope(collection="c", articles=1, chunks=1, min_score=0.1)
    assert describe_scope(result, scope).startswith(f"The model replied “{reply}”, which does not say")
