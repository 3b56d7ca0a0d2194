"""Citation validation, abstention, the answer stream and context trimming, on FAKE chat models and the
FAKE embedder over the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import permutations
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from qa.answer.citations import CitationFilter, SourceMatcher, build_citations, claims_citing
from qa.answer.evidence import EvidenceSource, gather_evidence
from qa.answer.prompt import format_sources, is_abstention
from qa.answer.support import key_words, supports
from qa.documents import ArticleInfo, Chunk, ScoredChunk
from qa.embedding.fake import FakeEmbedder
from qa.errors import InvalidInputError, PromptTooLongError
from qa.llm.fake import FakeChatModel
from qa.results import ABSTAIN_TEXT
from qa.service import NewsDesk
from tests.conftest import ASK_JSON_KEYS

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]


def _filter_all(text: str, n_sources: int, piece: int = 1) -> tuple[str, CitationFilter]:
    f = CitationFilter(n_sources)
    out = "".join(f.feed(text[i : i + piece]) for i in range(0, len(text), piece)) + f.flush()
    return out, f


@pytest.mark.parametrize("piece", [1, 2, 5, 100])
def test_valid_markers_pass_and_invalid_ones_are_removed_and_counted(piece: int) -> None:
    out, f = _filter_all("Huawei plans 1.5 million [1]. Norway won't ban it [3][2]. Also [7].", 2, piece)
    assert out == "Huawei plans 1.5 million [1]. Norway won't ban it [2]. Also."
    assert f.invalid == 2
    assert f.cited == [1, 2]


def test_marker_variants_are_normalised() -> None:
    out, f = _filter_all("A [1, 2]. B [Source 2]. C [1 and 9].", 2)
    assert out == "A [1][2]. B [2]. C [1]."
    assert f.invalid == 1


def test_ordinary_brackets_are_left_alone() -> None:
    out, f = _filter_all("He said [sic] it, per [Reuters]. An open bracket [ never closes" + " x" * 30, 3)
    assert out.startswith("He said [sic] it, per [Reuters]. An open bracket [ never closes")
    assert f.invalid == 0 and f.cited == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ABSTAIN_TEXT, True),
        ("The sources do not mention who won the World Cup.", True),
        ("I cannot find information about that.", True),
        ("Huawei plans to make about 1.5 million base stations [1].", False),
    ],
)
def test_abstention_detection(text: str, expected: bool) -> None:
    assert is_abstention(text) is expected


def _desk(make_desk: MakeDesk, tmp_path: Path, reply: str | None, **overrides: object) -> NewsDesk:
    # FAKE embedder (hashed bag of words) and FAKE chat model: the code under test is the real chain.
    chat = GenericFakeChatModel(messages=iter([AIMessage(content=reply or "")]))
    desk = make_desk(chat_model=chat, **{"min_score": 0.2, **overrides})
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "huawei.txt").write_text(
        "Huawei plans to make 1.5 million 5G base stations next year, its founder said.\n"
        "The company already makes 5,000 base stations a month without US parts.\n"
    )
    desk.ingest([folder], progress=False)
    return desk


def test_answer_keeps_only_valid_citations_and_lists_cited_sources(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk = _desk(make_desk, tmp_path, "Huawei plans 1.5 million 5G base stations next year [1][4].")
    result = desk.ask("How many 5G base stations does Huawei plan next year?")
    assert not result.abstained
    assert result.answer == "Huawei plans 1.5 million 5G base stations next year [1]."
    assert result.invalid_citations == 1
    assert [c.n for c in result.citations] == [1]
    assert "1.5 million" in result.citations[0].quote
    assert result.llm_called
    payload = result.to_json()
    assert set(payload) >= ASK_JSON_KEYS
    assert set(payload["citations"][0]) >= {"n", "article_id", "title", "url", "published", "quote"}
    assert set(payload["timings_ms"]) == {"retrieval", "first_token", "generation", "total"}
    assert payload["generation"]["tokens"] > 1  # token counts are apart from the timings


def test_the_stream_gives_the_text_then_the_result(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk = _desk(make_desk, tmp_path, "Huawei plans 1.5 million 5G base stations next year [1].")
    answer = desk.stream("How many 5G base stations does Huawei plan next year?")
    pieces = list(answer)
    assert len(pieces) > 3 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip() == answer.text.strip() == answer.result.answer
    assert list(answer) == []  # read once, like a file
    with pytest.raises(InvalidInputError, match="empty"):
        desk.stream("   ")


def test_the_result_can_be_read_without_iterating(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk = _desk(make_desk, tmp_path, "Huawei makes 5,000 base stations a month [1].")
    answer = desk.stream("How many base stations does Huawei make a month?")
    result = answer.result
    assert result.answer == "Huawei makes 5,000 base stations a month [1]." == answer.text
    with pytest.raises(AttributeError):
        result.answer = "changed"  # type: ignore[misc]  # results are immutable


def test_nothing_relevant_abstains_without_calling_the_llm(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk = _desk(make_desk, tmp_path, "this reply must never be used [1]", min_score=0.5)
    result = desk.ask("Who won the 2018 FIFA World Cup?")
    assert result.abstained
    assert result.answer == ABSTAIN_TEXT
    assert not result.llm_called
    assert result.citations == ()
    assert set(result.to_json()["timings_ms"]) == {"retrieval", "total"}


def test_llm_saying_sources_lack_the_answer_is_marked_abstained(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk = _desk(make_desk, tmp_path, "The sources do not mention the base station price.", min_score=0.0)
    result = desk.ask("What does a Huawei base station cost?")
    assert result.abstained and result.llm_called
    assert result.citations == ()


def _hits(*texts: str) -> list[ScoredChunk]:
    return [
        ScoredChunk(
            chunk=Chunk(id=f"a{i}#0", article_id=f"a{i}", index=0, text=text, start=0, end=len(text)),
            article=ArticleInfo(id=f"a{i}", title=f"T{i}"),
            score=0.9,
        )
        for i, text in enumerate(texts, start=1)
    ]


def _sources(hits: list[ScoredChunk], question: str = "") -> list[EvidenceSource]:
    return gather_evidence(question, hits, sentences_per_article=0)


def _filter_all_with(hits: list[ScoredChunk], text: str, question: str = "") -> tuple[str, CitationFilter]:
    f = CitationFilter(len(hits), SourceMatcher(_sources(hits), question))
    out = "".join(f.feed(text[i : i + 3]) for i in range(0, len(text), 3)) + f.flush()
    return out, f


def test_a_marker_is_repointed_to_the_source_that_supports_its_claim() -> None:
    hits = _hits(
        "Next year it plans to make about 1.5 million stations, Zhengfei said.",
        "Huawei would still like to use US components if possible.",
    )
    out, f = _filter_all_with(hits, "Huawei plans to make 1.5 million stations next year [2].")
    assert out == "Huawei plans to make 1.5 million stations next year [1]."
    assert (f.corrected, f.cited) == (1, [1])
    # A claim its cited source does support keeps its marker.
    out, f = _filter_all_with(hits, "Huawei would like to use US components [2].")
    assert out == "Huawei would like to use US components [2]."
    assert f.corrected == 0
    matcher = SourceMatcher(_sources(hits))
    assert matcher.support("1.5 million stations", 1) > matcher.support("1.5 million", 2)


def test_prompt_is_trimmed_to_the_context_window_with_a_warning(
    make_desk: MakeDesk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(4):
        (folder / f"a{i}.txt").write_text(f"Huawei base stations story number {i}. " * 30)
    # FAKE embedder and FAKE chat model: what is under test is the trimming in the real chain.
    chat = GenericFakeChatModel(messages=iter([AIMessage(content="Huawei makes base stations [1].")]))
    desk = make_desk(
        chat_model=chat,
        min_score=0.0,
        k=4,
        llm_context_window=700,  # room for the example and about one source
        llm_max_tokens=100,
        chunk_tokens=60,
        chunk_overlap_tokens=0,
    )
    desk.ingest([folder], progress=False)
    with caplog.at_level("WARNING", logger="qa.answer.engine"):
        result = desk.ask("Huawei base stations?")
    assert result.sources_trimmed > 0
    assert result.sources_given == 4 - result.sources_trimmed >= 1
    assert "context window" in caplog.text


VOTE = (
    "Officials said the vote on the harbour plan will take place on Sunday after months of debate. "
    "The council met on Monday to set the agenda.\n\n"
)
VOTE_MOVED = "The council vote was later moved to Tuesday, March 12, because of the storm, officials said."


def test_a_marker_whose_source_lacks_the_claims_names_points_at_the_source_that_has_them() -> None:
    # Source 1 shares more words with the claim, but only source 2 names the day the claim gives.
    hits = _hits(VOTE, VOTE_MOVED)
    out, f = _filter_all_with(hits, "The vote will take place on Tuesday [1].", "When is the council vote?")
    assert out == "The vote will take place on Tuesday [2]."
    assert (f.corrected, f.cited) == (1, [2])


def test_evidence_is_one_dated_source_per_article_with_the_sentences_that_bear_on_the_question() -> None:
    filler = " ".join(f"Filler sentence number {i} says nothing new." for i in range(8))
    text = f"{filler} Storm Elliott cut power to 1.5 million homes. Crews worked all night. {filler}"
    chunk = Chunk(id="a#0", article_id="a", index=0, text=text, start=100, end=100 + len(text))
    info = ArticleInfo(id="a", title="Storm", published="2023-01-04", source="Wire")
    overlapping = Chunk(id="a#1", article_id="a", index=1, text=text, start=100, end=100 + len(text))
    other = _hits("A different story about ferries.")[0]
    sources = gather_evidence(
        "How many homes did Storm Elliott cut power to?",
        [ScoredChunk(chunk, info, 0.9), ScoredChunk(overlapping, info, 0.8), other],
        sentences_per_article=1,
    )
    assert [s.article.id for s in sources] == ["a", "a1"]  # one source per article, in ranked order
    # The best sentence and the one after it; no sentence twice although two chunks hold it.
    assert sources[0].text == "Storm Elliott cut power to 1.5 million homes. Crews worked all night."
    quote = sources[0].sentences[0]
    assert text[quote.start - 100 : quote.end - 100] == quote.text  # offsets in the article
    prompt = format_sources(sources)
    assert '<source n="1" title="Storm" outlet="Wire" date="2023-01-04">' in prompt
    assert "Filler" not in prompt.split("</source>")[0]


STORM = (
    "Storm Elliott cuts power\n\nStorm Elliott cut power to 1.5 million homes on Tuesday, the utility "
    "said. Crews from three states worked through the night to restore it."
)


def _story_desk(
    make_desk: MakeDesk, tmp_path: Path, reply: str, text: str = STORM, **overrides: object
) -> NewsDesk:
    folder = tmp_path / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "storm.txt").write_text(text)
    chat = PromptRecordingChat(reply=reply)
    desk = make_desk(chat_model=chat, min_score=-1.0, **overrides)
    desk.ingest([folder], progress=False)
    return desk


class PromptRecordingChat(FakeChatModel):
    """FAKE chat model: replies with its fixed text and keeps the last prompt it was given."""

    prompts: list[str] = []

    def _reply_for(self, messages: list[BaseMessage]) -> str:
        self.prompts.append(messages[-1].text)
        return super()._reply_for(messages)


def test_an_answer_naming_what_its_cited_sentence_does_not_say_is_withdrawn(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk = _story_desk(make_desk, tmp_path, "Storm Elliott cut power to homes in Boston [1].")
    result = desk.ask("Where did Storm Elliott cut power?")
    assert result.abstained and result.abstain_reason == "unsupported_answer"
    assert result.answer == ABSTAIN_TEXT and result.citations == ()
    assert result.withdrawn_answer == "Storm Elliott cut power to homes in Boston [1]."
    # With the check off, the same answer is shown, its citation marked as not supported.
    shown = _story_desk(
        make_desk,
        tmp_path / "off",
        "Storm Elliott cut power to homes in Boston [1].",
        answer_support_check=False,
    ).ask("Where did Storm Elliott cut power?")
    assert not shown.abstained and [c.supported for c in shown.citations] == [False]


def test_a_claim_joining_two_sentences_of_its_source_is_kept_and_its_quote_flagged(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    text = "Storm Elliott cuts power\n\nStorm Elliott cut power to 1.5 million homes. Duke Energy said so."
    reply = "Duke Energy said 1.5 million homes lost power [1]."
    # The model reads the sentence after the evidence sentence too: the claim joins both.
    desk = _story_desk(make_desk, tmp_path, reply, text, evidence_next_sentence=True)
    result = desk.ask("How many homes lost power in Storm Elliott?")
    assert not result.abstained  # every name and number is in what the model read from source [1]
    citation = result.citations[0]
    assert citation.quote == "Storm Elliott cut power to 1.5 million homes."  # holds the most of them
    assert not citation.supported  # but not all: the reader is told to check the article


def test_a_supported_answer_quotes_the_sentence_with_its_names_and_numbers(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk = _story_desk(make_desk, tmp_path, "Storm Elliott cut power to 1.5 million homes [1].")
    result = desk.ask("How many homes lost power in Storm Elliott?")
    assert not result.abstained and result.citations[0].supported
    assert result.citations[0].quote.startswith("Storm Elliott cut power to 1.5 million homes on Tuesday")
    assert result.prompt_tokens is not None and result.to_json()["prompt_tokens"] == result.prompt_tokens


def test_an_answer_written_without_a_marker_is_cited_to_the_source_that_states_it(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk = _story_desk(make_desk, tmp_path, "It cut power to 1.5 million homes.")
    result = desk.ask("How many homes lost power in Storm Elliott?")
    assert result.answer == "It cut power to 1.5 million homes. [1]"
    assert [c.n for c in result.citations] == [1] and result.citations[0].supported


def test_the_prompt_gives_the_reference_date_and_dated_sources(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk = _story_desk(make_desk, tmp_path, "Storm Elliott cut power to 1.5 million homes [1].")
    desk.ask("How many homes lost power?", as_of=date(2023, 1, 6))
    chat = desk._answers._backend.chat_model  # the FAKE chat model given above
    assert isinstance(chat, PromptRecordingChat)
    prompt = chat.prompts[-1]
    assert prompt.startswith("Today is Friday, 2023-01-06.")
    assert "Storm Elliott cut power to 1.5 million homes on Tuesday" in prompt


@pytest.mark.parametrize(
    ("claim", "question", "expected"),
    [
        ("Buffalo Bills [2].", "Which team does he play for?", {"buffalo", "bill"}),
        ("Officials said Brazil won [1].", "", {"brazil"}),  # "Officials" only opens the sentence
        ("Many Brazilians lined the streets [2].", "", {"brazilian"}),  # a quantifier is never a name
        ("Brazil [1].", "", {"brazil"}),
        ("The new ferry will carry 900 passengers [2].", "", {"900"}),
        ("Former Pope Benedict XVI [2].", "Which former pope was laid to rest?", {"benedict", "xvi"}),
        ("It was laid to rest on Thursday.", "", {"thursday"}),
        ("sesame seeds [1].", "", set()),
    ],
)
def test_key_words_are_the_names_and_numbers_a_claim_adds_to_the_question(
    claim: str, question: str, expected: set[str]
) -> None:
    assert key_words(claim, question) == expected
    assert supports(f"Earlier: {claim}", claim, question)  # a sentence saying it supports it


# The written forms of one value: a claim in any of them is supported by a sentence in any other.
SAME_VALUE = [
    ["July 4, 1776", "4 July 1776", "1776-07-04", "July 4th, 1776"],
    ["July 4", "4 July", "the Fourth of July"],
    ["80", "80th", "eighty", "eightieth"],
    ["99", "ninety-nine"],
    ["1,500,000", "1.5 million", "1.5m", "one and a half million"],
    ["3,000", "3000", "three thousand"],
    ["$4", "4 dollars", "four dollars", "US$4"],
    ["$4.2 million", "4.2 million dollars", "$4.2m"],
    ["€5", "5 euros"],
    ["12%", "12 percent", "twelve per cent"],
]


@pytest.mark.parametrize("forms", SAME_VALUE, ids=lambda forms: forms[0])
def test_a_value_supports_a_claim_whichever_way_each_writes_it(forms: list[str]) -> None:
    for claim_form, sentence_form in permutations(forms, 2):
        claim = f"Officials in Oslo put it at {claim_form} [1]."
        sentence = f"The figure was {sentence_form}, officials in Oslo said."
        assert supports(sentence, claim), (claim_form, sentence_form)


@pytest.mark.parametrize(
    ("claim_form", "sentence_form"),
    [
        ("July 4, 1776", "July 4, 1777"),
        ("1776", "July 4, 1777"),
        ("1777", "July 4, 1776"),
        ("July 4, 1776", "July 4"),  # the sentence does not give the year
        ("July 4", "July 5, 1776"),
        ("1.5 million", "15 million"),
        ("15 million", "1.5 million"),
        ("3,000", "300"),
        ("80th", "81st"),
        ("eighty", "eighteen"),
        ("$4", "€4"),
        ("$4", "4"),
        ("12%", "12 points"),
        ("$4.2 million", "$4.2 billion"),
    ],
)
def test_a_different_value_does_not_support_a_claim(claim_form: str, sentence_form: str) -> None:
    claim = f"Officials in Oslo put it at {claim_form} [1]."
    assert not supports(f"The figure was {sentence_form}, officials in Oslo said.", claim)


def test_a_date_supports_its_year_and_its_day_and_an_amount_its_number() -> None:
    sentence = "The Declaration of Independence was adopted on 4 July 1776 in Philadelphia."
    claim = "The Declaration of Independence was adopted on July 4, 1776 [3]."
    assert key_words(claim) == {"declaration", "independence", "1776-07-04"}  # not "july", "4", "1776"
    assert supports(sentence, claim)
    assert supports(sentence, "The Declaration of Independence was adopted in 1776 [3].")
    assert supports(sentence, "The Declaration of Independence was adopted on July 4 [3].")
    assert not supports(sentence, "The Declaration of Independence was adopted on July 4, 1777 [3].")
    assert not supports(sentence.replace("1776", "1777"), claim)
    # A value the question states already is no key word.
    assert key_words("It was adopted on July 4, 1776 [1].", "What was adopted on 4 July 1776?") == set()
    assert supports("Prices rose 12 percent, Statistics Norway said.", "Prices rose by 12% [2].")


def test_small_numbers_in_words_match_digits_without_making_ordinary_claims_unsupported() -> None:
    # In lower case, as today, a small number word is no key word: ordinary prose ("the two sides").
    assert key_words("two officers were hurt [1].") == set()
    assert key_words("The two sides met in Oslo for the first time [1].") == {"oslo"}
    # Capitalised, it is one, in any written form; the words of a larger number always are.
    assert key_words("Two officers were hurt [1].") == {"2"}
    assert key_words("eighty officers were hurt [1].") == {"80"}
    for claim in ("two officers were hurt [1].", "Two officers were hurt [1].", "2 officers were hurt [1]."):
        assert supports("Two officers were hurt.", claim) and supports("2 officers were hurt.", claim)
    assert not supports("Three officers were hurt.", "Two officers were hurt [1].")
    assert not supports("Eighty officers were hurt.", "81 officers were hurt [1].")


ASTRUP = "Nikolai Astrup said Norway would not ban Huawei from its 5G network."
UNNAMED = "Norway would not ban Huawei from its 5G network, a minister said."


@pytest.mark.parametrize(
    "answer",
    [
        "Nikolai Astrup said Norway would not ban Huawei. [1]",
        "Nikolai Astrup said Norway would not ban Huawei.[1]",
        "Nikolai Astrup said Norway would not ban Huawei. [1] Huawei makes 5G gear. [2]",
        "Huawei makes 5G gear.[2] Nikolai Astrup said Norway would not ban Huawei.[1]",
    ],
)
def test_a_marker_after_the_full_stop_cites_the_sentence_before_it(answer: str) -> None:
    gear = "Huawei makes 5G gear for Norway."
    (unnamed, _) = build_citations(answer, [1, 2], _sources(_hits(UNNAMED, gear)))
    assert unnamed.quote == UNNAMED and not unnamed.supported  # the quote does not name Astrup
    (named, _) = build_citations(answer, [1, 2], _sources(_hits(ASTRUP, gear)))
    assert named.quote == ASTRUP and named.supported
    assert claims_citing(answer, 1).startswith("Nikolai Astrup said Norway would not ban Huawei")


@pytest.mark.parametrize("piece", [1, 3, 100])
def test_an_unmatched_bracket_or_colour_codes_do_not_switch_the_check_off(piece: int) -> None:
    out, f = _filter_all("He said [the deal is off [9]. It is off [1].", 3, piece)
    assert out == "He said [the deal is off. It is off [1]."
    assert (f.invalid, f.cited) == (1, [1])
    out, f = _filter_all("\x1b[31mAlert\x1b[0m: prices rose [2] and fell [7].", 2, piece)
    assert out == "\x1b[31mAlert\x1b[0m: prices rose [2] and fell."
    assert (f.invalid, f.cited) == (1, [2])


def test_an_unmatched_bracket_after_words_is_text_too() -> None:
    out, f = _filter_all("Prices rose [as expected [4] today.", 2, 100)
    assert out == "Prices rose [as expected today." and f.invalid == 1


def test_an_oversized_question_is_refused_before_any_work(make_desk: MakeDesk, tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    desk = _story_desk(make_desk, tmp_path, "unused", embedder=embedder, max_question_chars=100)
    embedded = embedder.calls
    with pytest.raises(InvalidInputError, match=r"the question is 101 characters long; the limit is 100"):
        desk.ask("x" * 101)
    assert embedder.calls == embedded  # not even the question was embedded
    assert desk._backend is None  # nor the LLM backend opened (in local mode: llama.cpp started)
    assert desk.ask("How many homes lost power in Storm Elliott?".ljust(100, "?")).llm_called  # at the limit


def test_a_prompt_that_cannot_fit_is_a_clear_error_not_a_traceback(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk = _story_desk(make_desk, tmp_path, "unused", llm_context_window=600, llm_max_tokens=400)
    with pytest.raises(PromptTooLongError, match="with even one source takes .* tokens, more than the 200"):
        desk.ask("How many homes lost power in Storm Elliott? " * 5)
