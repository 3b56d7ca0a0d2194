"""Citation validation, abstention, the answer stream and context trimming, on FAKE chat models and the
FAKE embedder over the in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa.answer.citations import CitationFilter, SourceMatcher
from qa.answer.prompt import is_abstention
from qa.documents import ArticleInfo, Chunk, ScoredChunk
from qa.errors import InvalidInputError
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


def _filter_all_with(hits: list[ScoredChunk], text: str) -> tuple[str, CitationFilter]:
    f = CitationFilter(len(hits), SourceMatcher(hits))
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
    assert SourceMatcher(hits).support("1.5 million stations", 1) > SourceMatcher(hits).support(
        "1.5 million", 2
    )


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
