"""Web chat: rendering and sanitising, feedback lines, upload results, follow-up condensing.

FAKES here, labelled: a FAKE hashing embedder and FAKE chat models (fixed or recorded replies). The
rendering, the answer chain and the handlers are the real code; the browser tests cover the page itself.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from langchain_core.messages import BaseMessage
from markupsafe import escape

from qa.answer.condense import clean_condensed, condense_question
from qa.documents import ArticleRecord, Chunk, DateRange, Rejected, ScoredChunk
from qa.errors import InvalidDateError, StoreError
from qa.llm.fake import FakeChatModel
from qa.results import ABSTAIN_TEXT, AbstainReason, AnswerResult, Citation, IngestReport, SearchScope, Timings
from qa.service import NewsDesk
from qa.web.app import LoginCheck, build_app, listening_line
from qa.web.feedback import FeedbackLog, feedback_record
from qa.web.handlers import WebApp
from qa.web.login import LoginThrottle
from qa.web.state import Turn, file_outcome, filter_articles
from qa.web.views import (
    describe_scope,
    render_library,
    render_sources_panel,
    render_turn,
    safe_url,
)

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
PASSAGE = (
    "Ren Zhengfei was quoted by Reuters. From October, the company will be producing 5,000 base stations "
    "per month, and next year it plans to make about 1.5 million stations. The offer could include chips."
)
QUOTE = "From October, the company will be producing 5,000 base stations per month, and next year it plans to make about 1.5 million stations."  # noqa: E501


class RecordingFakeChat(FakeChatModel):
    """FAKE chat model: replies with `reply` and records each prompt and the call options."""

    prompts: list[str] = []
    options: list[dict[str, Any]] = []

    def _reply_for(self, messages: list[BaseMessage]) -> str:
        self.prompts.append(messages[-1].text)
        return super()._reply_for(messages)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> Any:
        self.options.append({"stop": stop, **{k: v for k, v in kwargs.items() if k != "run_manager"}})
        return super()._generate(messages, stop, **kwargs)


class FailingFakeChat(FakeChatModel):
    """FAKE chat model whose every call fails, like a stopped model server."""

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("model server gone")

    def _stream(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("model server gone")


def _record(
    title: str = "Huawei 5G", url: str | None = "https://example.com/huawei", **kw: Any
) -> ArticleRecord:
    return ArticleRecord(
        id=kw.pop("id", "a1"), title=title, origin="o", content_hash="h", chunks=3, url=url, **kw
    )


def _hit(text: str, record: ArticleRecord, score: float = 0.8, n: int = 0) -> ScoredChunk:
    chunk = Chunk(id=f"{record.id}#{n}", article_id=record.id, index=n, text=text, start=0, end=len(text))
    return ScoredChunk(chunk=chunk, article=record, score=score)


def _citation(**overrides: Any) -> Citation:
    fields: dict[str, Any] = {
        "n": 1,
        "article_id": "a1",
        "title": "Huawei 5G",
        "url": "https://example.com/huawei",
        "published": "2019-09-27",
        "source": "Tech Outlet",
        "quote": QUOTE,
        "passage": PASSAGE,
        "chunk_id": "a1#0",
        "quote_start": 10,
        "quote_end": 20,
    }
    fields.update(overrides)
    return Citation(**fields)


def _result(answer: str, citations: list[Citation], retrieved: list[ScoredChunk], **kw: Any) -> AnswerResult:
    return AnswerResult(
        question="q",
        answer=answer,
        abstained=kw.pop("abstained", False),
        citations=tuple(citations),
        retrieved=tuple(retrieved),
        timings=Timings(retrieval_ms=1.0, total_ms=2.0),
        **kw,
    )


def _scope(chunks: int, articles: int, dates: DateRange | None = None) -> SearchScope:
    return SearchScope(collection="c", articles=articles, chunks=chunks, min_score=0.3, dates=dates)


def _tags(html_text: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*([a-zA-Z][\w-]*)", html_text)}


# --- rendering and sanitising ---------------------------------------------------------------------


def _answer_text(answer: str, index: int) -> str:
    """The answer's own text as the chat shows it for turn `index` (notes left out)."""
    turn = Turn("q?", "q?", k=5, result=_result(answer, [_citation()], []))
    found = re.search(r'<div class="nd-answer">(.*?)</div>', render_turn(turn, index), re.DOTALL)
    assert found
    return found.group(1)


def _card(citation: Citation) -> str:
    """The source card of `citation`, as the sources panel shows it for the first answer."""
    turn = Turn("q?", "q?", k=5, result=_result("A [1].", [citation], []))
    panel = render_sources_panel([turn], threshold=0.3)
    return panel[panel.index('<article class="nd-card"') : panel.index("</article>") + len("</article>")]


def _passage(passage: str, quote: str) -> str:
    """The passage shown on a source card, with its supporting sentence marked."""
    card = _card(_citation(passage=passage, quote=quote))
    opening = '<blockquote class="nd-passage">'
    return card[card.index(opening) + len(opening) : card.index("</blockquote>")]


def test_cited_markers_become_links_to_their_source_cards_and_text_is_escaped() -> None:
    out = _answer_text(f"Huawei makes 5,000 a month [1]. {PAYLOAD} Also [3].\nNext", 2)
    assert '<a class="nd-cite" href="#nd-src-2-1"' in out and ">[1]</a>" in out
    assert "Also [3]." in out  # a marker for a source that is not cited stays text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in out
    assert _tags(out) == {"a", "br"}


def test_a_finished_answer_notes_the_standalone_question_it_searched_for() -> None:
    citation = _citation()
    turn = Turn("And next year?", "How many base stations will Huawei make next year?", k=5)
    turn.result = _result("About 1.5 million [1].", [citation], [_hit(PASSAGE, _record())])
    out = render_turn(turn, 0)
    assert 'href="#nd-src-0-1"' in out
    assert "Read as: “How many base stations will Huawei make next year?”" in out
    assert "as of 2019-09-27, the newest source cited" in out
    undated = Turn("How many?", "How many?", k=5)
    undated.result = _result("5,000 [1].", [_citation(published=None)], [_hit(PASSAGE, _record())])
    assert "as of" not in render_turn(undated, 0)


def test_an_abstention_for_a_period_no_article_is_from_says_so() -> None:
    why = (
        "The question is about 2023-02-04 – 2023-02-10, and the indexed articles were published "
        "from 2019-01-03 to 2023-01-04."
    )
    hits = [_hit("text", _record(), score=0.8)]
    result = _result(
        f"{ABSTAIN_TEXT} {why}", [], hits, abstained=True, abstain_reason=AbstainReason.PERIOD_NOT_COVERED
    )
    assert describe_scope(result, _scope(chunks=4, articles=2)) == why


def test_an_abstention_looks_different_and_says_what_was_searched() -> None:
    result = _result(ABSTAIN_TEXT, [], [_hit("text", _record(), score=0.21)], abstained=True)
    scope = describe_scope(result, _scope(chunks=4, articles=1))
    assert scope == "Searched 4 chunks of 1 article; best match 0.21 < threshold 0.30."
    turn = Turn(f"Who won? {PAYLOAD}", f"Who won? {PAYLOAD}", k=5, result=result, scope=scope)
    out = render_turn(turn, 0)
    assert 'class="nd-abstain"' in out and "Not in the articles" in out and escape(ABSTAIN_TEXT) in out
    assert escape(scope) in out and "<script" not in out and escape(PAYLOAD) in out
    assert "nd-cite" not in out


def test_scope_of_other_abstentions() -> None:
    called = _result(
        ABSTAIN_TEXT, [], [_hit("t", _record(), 0.52)], abstained=True, llm_called=True, sources_given=2
    )
    said = describe_scope(called, _scope(9, 3, DateRange.parse("2019-01-01", None)))
    assert "(only those published 2019-01-01 – …)" in said
    assert "best match (0.52) reached the threshold (0.30)" in said and "2 sources" in said
    withdrawn = _result(
        ABSTAIN_TEXT,
        [],
        [_hit("t", _record(), 0.8)],
        abstained=True,
        llm_called=True,
        abstain_reason=AbstainReason.UNSUPPORTED_ANSWER,
        withdrawn_answer="It hit Boston [1].",
    )
    assert describe_scope(withdrawn, _scope(9, 3)) == (
        "The model answered “It hit Boston [1].”, but no sentence it cited says so: the answer was withdrawn."
    )
    empty = _result(ABSTAIN_TEXT, [], [], abstained=True)
    assert "index is empty" in describe_scope(empty, _scope(chunks=0, articles=0))


def test_the_supporting_sentence_is_marked_inside_the_escaped_passage() -> None:
    out = _passage(PASSAGE, QUOTE)
    assert out.count("<mark>") == 1 and f"<mark>{QUOTE}</mark>" in out
    assert out.startswith("Ren Zhengfei was quoted by Reuters. ")
    # Whitespace that differs (a joined line break) still finds the sentence.
    out = _passage(PASSAGE.replace("5,000 base", "5,000\nbase"), QUOTE)
    assert re.search(r"<mark>From October.*1\.5 million stations\.</mark>", out)
    # Markup inside the passage or the quote is text.
    out = _passage(f"Before. {PAYLOAD} After.", PAYLOAD)
    assert _tags(out) == {"mark"}
    # A quote not found in the passage is still shown, marked, above it.
    out = _passage("Something else entirely.", "A sentence from elsewhere.")
    assert '<div class="nd-quote-alone"><mark>A sentence from elsewhere.</mark></div>' in out


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("http://example.com", "http://example.com"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("file:///etc/passwd", None),
        ("//evil.example/x", None),
        ("http://", None),
        ("https://example.com/a b", None),
        (None, None),
    ],
)
def test_only_plain_web_urls_become_links(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_a_source_card_shows_title_outlet_date_link_and_passage_all_escaped() -> None:
    card = _card(_citation(title=PAYLOAD, source=f"Outlet {PAYLOAD}"))
    assert card.startswith('<article class="nd-card" id="nd-src-0-1">')
    assert 'href="https://example.com/huawei" target="_blank" rel="noopener noreferrer"' in card
    assert "2019-09-27" in card and "example.com/huawei ↗" in card
    assert "<script" not in card and "<img" not in card and "&lt;script&gt;" in card
    bad = _card(_citation(url="javascript:alert(1)"))
    assert "<a " not in bad and "javascript:alert(1)" in bad  # shown as text, never a link
    assert "nd-unsupported" not in card
    unsupported = _card(_citation(supported=False))
    assert 'class="nd-unsupported"' in unsupported and "does not name everything" in unsupported


def test_uncited_sources_are_collapsed_and_only_the_newest_answer_is_open() -> None:
    cited, other = _record(), _record("Norway", url=None, id="a2")
    retrieved = [_hit(PASSAGE, cited), _hit(f"Norway will not ban Huawei. {PAYLOAD}", other, 0.25)]
    first = Turn("first?", "first?", k=5, result=_result("A [1].", [_citation()], retrieved))
    second = Turn("second?", "second?", k=5, result=_result("B [1].", [_citation()], retrieved))
    panel = render_sources_panel([first, second], threshold=0.3)
    assert panel.index("second?") < panel.index("first?")  # newest first
    assert panel.count('<details class="nd-turn" open>') == 1
    assert '<details class="nd-uncited"><summary>1 retrieved passage not cited</summary>' in panel
    assert "similarity 0.25 (below the relevance threshold)" in panel
    assert "<script" not in panel and 'id="nd-src-1-1"' in panel and 'id="nd-src-0-1"' in panel
    assert "Ask a question" in render_sources_panel([], threshold=0.3)


def test_library_filters_and_escapes() -> None:
    records = [
        _record(f"Huawei {PAYLOAD}", source="Tech <b>Outlet</b>", published="2019-09-27"),
        _record("Norway and 5G", url=None, id="n1", source="NRK"),
    ]
    assert [r.id for r in filter_articles(records, "NORWAY 5g")] == ["n1"]
    assert [r.id for r in filter_articles(records, "")] == ["a1", "n1"]  # newest first
    table = render_library(records, total=2)
    assert "2 of 2 articles" in table and "<script" not in table and "<b>" not in table
    assert "No article matches" in render_library([], total=2)
    assert "No articles indexed" in render_library([], total=0)


def test_each_uploaded_file_gets_its_outcome_and_reasons() -> None:
    added = IngestReport(added=["a"], chunks_written=4)
    assert file_outcome("a.txt", added).outcome == "added"
    assert file_outcome("a.txt", added).detail == "added 1 article; 4 chunks written"
    assert file_outcome("b.txt", IngestReport(unchanged=["b"])).outcome == "unchanged"
    assert file_outcome("c.txt", IngestReport(replaced=["c"], chunks_written=1)).outcome == "replaced"
    rejected = file_outcome("d.docx", IngestReport(rejected=[Rejected("d.docx", "unsupported file type")]))
    assert (rejected.outcome, rejected.detail) == ("rejected", "unsupported file type")
    mixed = IngestReport(added=["x", "y"], rejected=[Rejected("e.jsonl#3", "invalid JSON on line 3")])
    assert (
        file_outcome("e.jsonl", mixed).detail == "added 2 articles; 1 record rejected: invalid JSON on line 3"
    )


def test_date_bounds_are_checked() -> None:
    labels = ("from", "until")
    dates = DateRange.parse(" 2019-09-27 ", "", labels=labels)
    assert dates is not None and (dates.since, dates.until) == ("2019-09-27", None)
    assert DateRange.parse("", " ", labels=labels) is None
    with pytest.raises(InvalidDateError, match="from must be a date as YYYY-MM-DD"):
        DateRange.parse("27/09/2019", None, labels=labels)
    with pytest.raises(InvalidDateError, match="until is not a real date"):
        DateRange.parse(None, "2019-02-30", labels=labels)
    with pytest.raises(InvalidDateError, match="before it starts"):
        DateRange.parse("2019-03-01", "2019-02-01", labels=labels)


def test_the_chat_refuses_an_impossible_date_with_a_message(make_desk: MakeDesk) -> None:
    web = WebApp(make_desk())
    with pytest.raises(gr.Error, match="Published from is not a real date"):
        list(web.respond("How many base stations?", [], 5, "2023-02-30", ""))


def test_the_chat_reads_time_words_as_of_the_day_the_reader_sets(make_desk: MakeDesk, tmp_path: Path) -> None:
    from tests.conftest import write_jsonl

    path = tmp_path / "storms.jsonl"
    records = [
        {
            "id": "old",
            "published": "2019-01-03",
            "title": "Storm Elliott",
            "text": "Storm Elliott hit. Storm Elliott.",
        },
        {
            "id": "new",
            "published": "2023-01-04",
            "title": "Storm Elliott",
            "text": "Storm Elliott hit the coast.",
        },
    ]
    write_jsonl(path, records)
    desk = make_desk()
    desk.ingest([path], progress=False)
    web = WebApp(desk)
    *_, (_, _, turns, _) = web.respond("Where did Storm Elliott hit this week?", [], 5, "", "", "2023-01-06")
    assert turns[-1].as_of == date(2023, 1, 6)
    assert turns[-1].result is not None and turns[-1].result.retrieved[0].article.id == "new"
    *_, (_, _, turns, _) = web.respond("Where did Storm Elliott hit this week?", [], 5, "", "", "2019-01-04")
    assert turns[-1].result is not None and turns[-1].result.retrieved[0].article.id == "old"
    with pytest.raises(gr.Error, match="Asked as of is not a real date"):
        list(web.respond("Where did it hit?", [], 5, "", "", "2023-02-30"))
    # The first day of the calendar with "this week" was "The answer failed: OverflowError".
    with pytest.raises(gr.Error, match="must be from 1900-01-01 to 2999-12-31, not 0001-01-01"):
        list(web.respond("What happened this week?", [], 5, "", "", "0001-01-01"))


# --- feedback ---------------------------------------------------------------------------------------


def test_feedback_lines_hold_question_answer_sources_settings_and_time(tmp_path: Path) -> None:
    turn = Turn("How many?", "How many base stations?", k=4, dates=DateRange.parse("2019-01-01", None))
    turn.result = _result("5,000 [1].", [_citation()], [])
    path = tmp_path / "data" / "feedback.jsonl"
    log = FeedbackLog(path)
    for rating in ("up", "down"):
        log.append(feedback_record(turn, rating, " useful ", llm="fake", embedding_model="fake-emb"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["rating"] for line in lines] == ["up", "down"]
    first = lines[0]
    assert first["question"] == "How many?" and first["searched_for"] == "How many base stations?"
    assert first["answer"] == "5,000 [1]." and first["comment"] == "useful"
    assert first["cited"] == [
        {
            "n": 1,
            "article_id": "a1",
            "title": "Huawei 5G",
            "url": "https://example.com/huawei",
            "quote": QUOTE,
        }
    ]
    assert first["settings"] == {
        "k": 4,
        "since": "2019-01-01",
        "until": None,
        "as_of": None,
        "llm": "fake",
        "embedding_model": "fake-emb",
    }
    assert first["time"].endswith("+00:00")


# --- the handlers on the real chain, with fakes ------------------------------------------------------


def _desk(make_desk: MakeDesk, tmp_path: Path, chat: FakeChatModel) -> NewsDesk:
    desk = make_desk(chat_model=chat, min_score=0.2)  # FAKE embedder and chat model, memory store
    corpus = tmp_path / "huawei.txt"
    corpus.write_text(
        "Huawei plans to make 1.5 million 5G base stations next year, its founder said.\n"
        "The company already makes 5,000 base stations a month without US parts.\n",
        encoding="utf-8",
    )
    desk.ingest([corpus], progress=False)
    return desk


def test_the_chat_streams_then_cites_and_a_follow_up_searches_with_the_conversation(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    # The FAKE extractive model answers from the sources; it cannot rewrite a follow-up (no sources in
    # that prompt), so the handler falls back to "previous question + follow-up" for retrieval.
    web = WebApp(_desk(make_desk, tmp_path, FakeChatModel()))
    states = list(web.respond("How many base stations does Huawei make a month?", [], 5, "", ""))
    assert any("nd-streaming" in messages[-1]["content"] for messages, *_ in states[:-1])
    messages, panel, turns, cleared = states[-1]
    assert cleared == "" and len(turns) == 1 and turns[0].result is not None
    assert 'class="nd-cite" href="#nd-src-0-1"' in messages[1]["content"]
    assert 'id="nd-src-0-1"' in panel and "<mark>" in panel

    follow = list(web.respond("And next year?", turns, 5, "", ""))
    assert "Reading the conversation" in follow[0][0][-1]["content"]
    turns = follow[-1][2]
    assert turns[1].searched_for == "How many base stations does Huawei make a month? And next year?"
    assert "Read as:" in follow[-1][0][-1]["content"]

    assert web.new_chat()[2] == []


def test_a_failing_model_is_reported_in_the_chat(make_desk: MakeDesk, tmp_path: Path) -> None:
    web = WebApp(_desk(make_desk, tmp_path, FailingFakeChat()))
    messages, _, turns, _ = list(web.respond("How many base stations does Huawei make?", [], 5, "", ""))[-1]
    assert turns[0].error is not None and "model server gone" in turns[0].error
    assert 'class="nd-error"' in messages[-1]["content"]


def test_a_user_error_is_said_in_the_chat_as_is(
    make_desk: MakeDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = _desk(make_desk, tmp_path, FakeChatModel())
    lost = "cannot reach the chroma server 127.0.0.1:8000 (connection refused); start it again"

    def server_gone(*args: object, **kwargs: object) -> None:
        raise StoreError(lost)

    monkeypatch.setattr(desk, "stream", server_gone)
    messages, _, turns, _ = list(WebApp(desk).respond("Who won?", [], 5, "", ""))[-1]
    assert turns[0].error == lost  # the message itself, not "StoreError: ..."
    assert 'class="nd-error"' in messages[-1]["content"] and "start it again" in messages[-1]["content"]


def test_rating_an_answer_appends_to_the_data_dir(make_desk: MakeDesk, tmp_path: Path) -> None:
    web = WebApp(_desk(make_desk, tmp_path, FakeChatModel()))
    turns = list(web.respond("How many base stations does Huawei make a month?", [], 3, "", ""))[-1][2]
    status, comment = web.thumbs_down(turns, "wrong month")
    assert "thumbs down" in status and comment == ""
    path = web.settings.feedback_path
    assert path == tmp_path / "data" / "feedback.jsonl"
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["rating"] == "down" and json.loads(line)["settings"]["k"] == 3
    assert "Ask a question first" in web.thumbs_up([], "")[0]


# --- follow-up condensing ----------------------------------------------------------------------------

HISTORY = [("How many 5G base stations does Huawei make a month?", "About 5,000 a month [1].")]


def test_condense_asks_the_model_with_the_history_and_a_token_cap() -> None:
    chat = RecordingFakeChat(reply="How many 5G base stations will Huawei make next year?")
    chat.prompts, chat.options = [], []
    assert condense_question(chat, "And next year?", HISTORY) == (
        "How many 5G base stations will Huawei make next year?"
    )
    prompt = chat.prompts[-1]
    assert "User: How many 5G base stations does Huawei make a month?" in prompt
    assert "Assistant: About 5,000 a month." in prompt  # citation markers left out
    assert "Follow-up question: And next year?" in prompt
    assert chat.options[-1]["max_completion_tokens"] == 48


def test_without_history_the_question_is_used_as_it_is() -> None:
    chat = RecordingFakeChat(reply="unused")
    chat.prompts = []
    assert condense_question(chat, "  Who is Ren Zhengfei? ", []) == "Who is Ren Zhengfei?"
    assert chat.prompts == []


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   \n  ",
        "Huawei will make 1.5 million next year [1].",  # an answer, not a question
        ABSTAIN_TEXT,
        "word " * 60,  # runaway text
        "How many 5G base stations does Huawei make a month?",  # repeats the earlier question
    ],
)
def test_a_useless_rewrite_falls_back_to_previous_question_plus_follow_up(reply: str) -> None:
    chat = FakeChatModel(reply=reply)  # FAKE
    assert condense_question(chat, "And next year?", HISTORY) == (
        "How many 5G base stations does Huawei make a month? And next year?"
    )


def test_a_failing_model_falls_back_too() -> None:
    assert condense_question(FailingFakeChat(), "And next year?", HISTORY).endswith("a month? And next year?")


def test_clean_condensed_strips_labels_and_quotes() -> None:
    assert clean_condensed('Standalone question: "What did Ren offer US firms?"\nmore') == (
        "What did Ren offer US firms?"
    )
    assert clean_condensed("Question: Who said that Norway will not ban Huawei?", "Who said that?") == (
        "Who said that Norway will not ban Huawei?"
    )


class FakeClock:
    """A clock the test moves by hand (FAKE: stands in for time.monotonic)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_failed_login_waits_longer_and_a_success_resets_the_wait() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    assert throttle.failed("10.0.0.9", "editor") == 0.5
    assert throttle.retry_after("10.0.0.9", "editor") == 0.5  # refused now, not slept on
    clock.now += 0.5
    assert throttle.retry_after("10.0.0.9", "editor") == 0  # the window is over: it may try again
    assert [throttle.failed("10.0.0.9", "editor") for _ in range(2)] == [1.0, 2.0]
    for _ in range(20):
        throttle.failed("10.0.0.9", "editor")
    assert throttle.retry_after("10.0.0.9", "editor") == LoginThrottle.MAX_DELAY_S
    throttle.succeeded("10.0.0.9", "editor")
    assert throttle.retry_after("10.0.0.9", "editor") == 0 and throttle.failed("10.0.0.9", "editor") == 0.5


def test_a_guessers_failures_never_throttle_another_client_or_user() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    for _ in range(10):
        throttle.failed("203.0.113.7", "editor")
    assert throttle.retry_after("203.0.113.7", "editor") > 0
    assert throttle.retry_after("10.0.0.9", "editor") == 0  # the real editor, elsewhere
    assert throttle.retry_after("203.0.113.7", "admin") == 0


def test_parallel_attempts_cannot_all_pass_an_open_window() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    throttle.failed("203.0.113.7", "editor")
    clock.now += 0.5  # the window is open again: one attempt may go in, not a burst
    assert throttle.admit("203.0.113.7", "editor") == 0
    assert throttle.admit("203.0.113.7", "editor") > 0  # the first one's outcome is not known yet
    throttle.succeeded("203.0.113.7", "editor")
    assert throttle.admit("203.0.113.7", "editor") == 0  # a success clears the reservation too
    throttle.succeeded("203.0.113.7", "editor")
    assert throttle.admit("10.0.0.9", "editor") == 0 and throttle.admit("10.0.0.9", "admin") == 0


def test_old_failures_are_forgotten_and_the_records_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    for _ in range(5):
        throttle.failed("10.0.0.9", "editor")
    clock.now += LoginThrottle.FORGET_AFTER_S + 1
    assert throttle.failed("10.0.0.9", "editor") == 0.5  # counting starts afresh
    monkeypatch.setattr(LoginThrottle, "MAX_RECORDS", 3)
    for user in ("a", "b", "c", "d"):
        throttle.failed("203.0.113.7", user)
    assert throttle.retry_after("10.0.0.9", "editor") == 0  # the oldest record made room


def test_the_login_check_needs_both_the_user_and_the_password() -> None:
    check = LoginCheck("editor", "s3cret")
    assert check("editor", "s3cret")
    assert not check("editor", "guess") and not check("admin", "s3cret") and not check("editor", "")
    assert not check("editor", "\ud800")  # a lone surrogate from a form is a wrong password, not a crash


def test_serve_says_where_it_listens_and_who_can_reach_it() -> None:
    local = listening_line("127.0.0.1", 7860, login=False)
    assert (
        local
        == "newsdesk-qa chat at http://127.0.0.1:7860/ (reachable from this machine only); Ctrl-C stops it"
    )
    open_to_all = listening_line("0.0.0.0", 8080, login=False)
    assert "http://127.0.0.1:8080/" in open_to_all and "with no login: set QA_WEB_AUTH_USER" in open_to_all
    assert "no login" not in listening_line("0.0.0.0", 8080, login=True)


def test_a_fetch_from_the_url_box_has_its_own_queue_slots_and_a_cancel(make_desk: MakeDesk) -> None:
    app = build_app(make_desk())
    slots = {fn.name: fn.concurrency_id for fn in app.fns.values() if fn.name}
    fetch_ids = {i for i, fn in app.fns.items() if fn.name == "fetch_url"}
    assert slots["respond"] == "desk" and fetch_ids
    # Neither a fetch nor an upload or a delete may take a question's slot.
    assert "desk" not in {slots["fetch_url"], slots["upload"], slots["delete"]}
    cancels = [d for d in app.config["dependencies"] if d["types"]["cancel"]]
    assert any(fetch_ids <= set(d["cancels"]) for d in cancels)


class SlowIngestDesk:
    """A FAKE NewsDesk whose ingest of a URL runs until it is cancelled (a server that never finishes)."""

    def __init__(self, desk: NewsDesk) -> None:
        self._desk = desk
        self.stopped = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._desk, name)

    def ingest(
        self, sources: list[str], *, progress: bool = True, cancel: threading.Event | None = None
    ) -> IngestReport:
        assert cancel is not None
        if cancel.wait(30):
            self.stopped.set()
        return IngestReport()


def test_a_fetch_says_how_long_it_has_been_running_and_cancel_stops_it(make_desk: MakeDesk) -> None:
    slow = SlowIngestDesk(make_desk())
    web = WebApp(slow)  # type: ignore[arg-type]
    watching = web.fetch_url("https://slow.example/feed.xml", "")
    started = time.monotonic()
    first, *_ = next(watching)
    assert "Fetching https://slow.example/feed.xml … 0 s (Cancel stops it)" in str(first)
    assert time.monotonic() - started < 2  # each update comes while the fetch is still running
    assert "Cancelled" in web.fetch_cancelled()  # the Cancel button: this session's fetch is told to stop
    assert slow.stopped.wait(5)
    # The watcher's last word says "Cancelled" too: a progress line or an outcome arriving after the
    # button's message would cover it (seen in the browser on a loaded machine).
    *_, (last, *_) = list(watching)
    assert "Cancelled" in str(last) and "Fetching" not in str(last)


def test_a_fetch_nobody_watches_any_more_is_stopped(make_desk: MakeDesk) -> None:
    slow = SlowIngestDesk(make_desk())
    web = WebApp(slow)  # type: ignore[arg-type]
    watching = web.fetch_url("https://slow.example/feed.xml", "")
    next(watching)
    watching.close()  # Gradio's cancel of the event closes its generator
    assert slow.stopped.wait(5)


def test_the_chat_answers_how_a_story_developed_with_a_timeline_built_step_by_step(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    from tests.conftest import write_jsonl

    records = [
        {"id": "a", "published": "2023-01-03", "title": "Hamlin collapses", "source": "AP",
         "text": "Damar Hamlin collapsed on Monday during the Bills game."},
        {"id": "b", "published": "2023-01-06", "title": "Hamlin improves", "source": "Reuters",
         "text": "Doctors removed Damar Hamlin's breathing tube on Thursday."},
    ]  # fmt: skip
    desk = make_desk(chat_model=FakeChatModel(reply="never asked"))  # FAKE embedder and chat model
    desk.ingest([write_jsonl(tmp_path / "story.jsonl", records)], progress=False)
    web = WebApp(desk)
    updates = list(web.respond("How did the Damar Hamlin story develop?", [], 5, "", "", "2023-01-07"))
    bubbles = [messages[-1]["content"] for messages, *_ in updates]
    assert any("nd-timeline nd-streaming" in b and b.count('<li class="nd-step">') == 1 for b in bubbles)
    *_, (messages, _, turns, _) = updates
    assert turns[-1].timeline is not None and turns[-1].result is None
    final = messages[-1]["content"]
    assert final.count('<li class="nd-step">') == 2 and "nd-streaming" not in final
    assert final.index("2023-01-02") < final.index("2023-01-05") and "never asked" not in final
