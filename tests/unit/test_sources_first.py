"""Sources first (issue 23): what the answer is written from is known, and shown, before the model's first
word, in the stream, the chat and `qa ask`.

FAKES here, labelled: the FAKE hashing embedder over the in-memory store and FAKE chat models that record
when they are called. Retrieval, evidence, the judgment, the stream, rendering and the CLI are the real code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from qa import cli
from qa.answer.evidence import gather_evidence
from qa.answer.stream import AnswerStream, Opening
from qa.documents import ArticleInfo, Chunk, ScoredChunk
from qa.embedding.fake import FakeEmbedder
from qa.llm.fake import FakeChatModel
from qa.results import ABSTAIN_TEXT, AbstainReason, AnswerResult, SourcePreview, Timings
from qa.service import NewsDesk
from qa.web.handlers import WebApp
from qa.web.state import Turn
from qa.web.views import render_sources_panel

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]
QUESTION = "How many base stations a month does the company make without US parts?"
RECORD = {
    "title": "Huawei gets a 5G licence",
    "source": "Silicon UK",
    "published": "2019-09-27",
    "url": "https://www.silicon.co.uk/huawei-5g",
    "text": (
        "Huawei plans to make 1.5 million 5G base stations next year, its founder said. "
        "The company already makes 5,000 base stations a month without US parts. "
        "The licence was granted on Friday."
    ),
}
BEST = "The company already makes 5,000 base stations a month without US parts."


class WatchedFakeChat(FakeChatModel):
    """FAKE extractive chat model that notes each call, so a test can tell what was known before it."""

    calls: list[str] = []

    def _stream(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        self.calls.append("model called")
        yield from super()._stream(messages, *args, **kwargs)


def _desk(make_desk: MakeDesk, tmp_path: Path, **overrides: Any) -> tuple[NewsDesk, WatchedFakeChat]:
    chat = WatchedFakeChat(calls=[])
    desk = make_desk(chat_model=chat, **{"min_score": 0.2, "embedder": FakeEmbedder(), **overrides})
    article = tmp_path / "huawei.json"
    article.write_text(json.dumps(RECORD), encoding="utf-8")
    assert desk.ingest([article], progress=False).added
    return desk, chat


def test_the_sources_are_known_before_the_model_is_asked(make_desk: MakeDesk, tmp_path: Path) -> None:
    embedder = FakeEmbedder()  # it counts what it embeds
    desk, chat = _desk(make_desk, tmp_path, embedder=embedder)
    embedded = embedder.calls
    answer = desk.stream(QUESTION)
    assert embedder.calls == embedded  # nothing runs until it is read
    (source,) = answer.sources
    assert chat.calls == [] and not answer.declined  # known before the model's first word
    assert (source.n, source.article.title, source.article.source) == (1, RECORD["title"], "Silicon UK")
    assert (source.article.published, source.article.url) == ("2019-09-27", RECORD["url"])
    assert source.best == BEST and BEST in source.text  # the sentence the picker ranked first
    assert source.line() == "[1] Huawei gets a 5G licence — Silicon UK, 2019-09-27"

    result = answer.result
    assert chat.calls == ["model called"] and "5,000" in result.answer
    # The finished result is what it was without the preview: same order, same evidence.
    assert [g.article_id for g in result.evidence] == [source.article.id]
    assert result.answer == desk.ask(QUESTION).answer


def test_a_decline_before_the_model_gives_the_closest_articles(make_desk: MakeDesk, tmp_path: Path) -> None:
    desk, chat = _desk(make_desk, tmp_path, judgment_min=1.0)  # no evidence can be judged to hold it
    answer = desk.stream(QUESTION)
    (closest,) = answer.sources
    assert answer.declined and closest.best == BEST
    result = answer.result
    assert result.abstain_reason == AbstainReason.NOT_STATED and chat.calls == []

    (tmp_path / "other").mkdir()
    nothing = _desk(make_desk, tmp_path / "other", min_score=0.99)[0].stream(QUESTION)
    assert nothing.sources == () and nothing.declined  # nothing relevant: no closest article to show
    assert nothing.result.abstain_reason == AbstainReason.NO_RELEVANT_PASSAGE


def test_the_best_sentence_is_the_one_ranked_first_not_the_first_in_the_article() -> None:
    text = "The licence was granted on Friday. " + BEST + " Shares rose."
    hit = ScoredChunk(Chunk("a#0", "a", 0, text, 0, len(text)), ArticleInfo(id="a", title="Huawei"), 0.9)
    for per_article in (0, 1, 3):
        (source,) = gather_evidence(QUESTION, [hit], sentences_per_article=per_article)
        assert source.best is not None and source.best.text == BEST
        assert source.preview().best == BEST and source.preview().text == source.text


def _preview(n: int = 1, title: str = RECORD["title"]) -> SourcePreview:
    article = ArticleInfo(
        id="a1", title=title, url=RECORD["url"], published=RECORD["published"], source=RECORD["source"]
    )
    return SourcePreview(n, article, f"Ren said so. {BEST}", BEST)


def _abstained() -> AnswerResult:
    timings = Timings(retrieval_ms=1.0, total_ms=2.0)
    return AnswerResult("q", ABSTAIN_TEXT, True, (), (), timings, abstain_reason=AbstainReason.NOT_STATED)


def test_the_panel_shows_the_sources_being_read_then_the_closest_articles_of_a_decline() -> None:
    payload = "<script>alert(1)</script>"
    reading = Turn("q?", "q?", k=5, sources=(_preview(title=payload + "Huawei"),))
    panel = render_sources_panel([reading], threshold=0.3)
    assert "Sources being read" in panel and "No answer." not in panel
    assert "[1]</span>" in panel and "Silicon UK" in panel and "2019-09-27" in panel
    assert f"<mark>{BEST}</mark>" in panel and "Ren said so. " in panel
    assert payload not in panel and "&lt;script&gt;alert(1)&lt;/script&gt;Huawei" in panel

    declined = Turn("q?", "q?", k=5, sources=(_preview(),), declined=True, result=_abstained())
    panel = render_sources_panel([declined], threshold=0.3)
    assert "Closest articles" in panel and "Sources being read" not in panel
    assert f"<mark>{BEST}</mark>" in panel and "[1]</span>" not in panel  # no answer cites it

    failed = Turn("q?", "q?", k=5, sources=(_preview(),), error="model server gone")
    assert "No answer." in render_sources_panel([failed], threshold=0.3)


def test_the_chat_shows_the_sources_before_the_answers_first_word(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk, _ = _desk(make_desk, tmp_path)
    states = list(WebApp(desk).respond(QUESTION, [], 5, "", ""))
    first = next(i for i, (_, panel, _, _) in enumerate(states) if "Sources being read" in panel)
    messages, panel, _, _ = states[first]
    assert "Reading 1 source…" in messages[-1]["content"] and "5,000" not in messages[-1]["content"]
    assert RECORD["title"] in panel and f"<mark>{BEST}</mark>" in panel
    assert any("5,000" in m[-1]["content"] for m, *_ in states[first + 1 :])  # then the answer streams
    final = states[-1][1]
    assert "Sources being read" not in final and 'id="nd-src-0-1"' in final  # the cited source, as before


def _streaming_with(
    monkeypatch: pytest.MonkeyPatch,
    sources: tuple[SourcePreview, ...],
    printed: Callable[[], Any],
    declined: bool = False,
) -> list[Any]:
    """`NewsDesk.stream` gives `sources`, then a one-piece answer; returns what was `printed` before it."""
    seen: list[Any] = []

    def stream(self: NewsDesk, question: str, **_: Any) -> AnswerStream:
        def pieces() -> Generator[str, None, AnswerResult]:
            seen.append(printed())
            yield ABSTAIN_TEXT
            return _abstained()

        return AnswerStream(lambda: Opening(sources, declined, pieces()))

    monkeypatch.setattr(NewsDesk, "stream", stream)
    return seen


def test_qa_ask_prints_the_sources_on_stderr_before_the_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name, value in {"STORE_BACKEND": "memory", "EMBEDDING_BACKEND": "fake", "LLM_MODE": "fake"}.items():
        monkeypatch.setenv(f"QA_{name}", value)
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    sources = (_preview(), _preview(2, "Out\x1b[2Klet \x1b]0;pwned\x07news"))
    seen = _streaming_with(monkeypatch, sources, capsys.readouterr)
    assert cli.main(["ask", QUESTION]) == 0
    (before,) = seen  # what the terminal showed before the first word of the answer
    assert before.out == ""
    assert before.err == (
        "Reading 2 sources:\n"
        "  [1] Huawei gets a 5G licence — Silicon UK, 2019-09-27\n"
        "  [2] Outlet news — Silicon UK, 2019-09-27\n"  # no escape sequence reaches the terminal
        "\n"
    )
    assert capsys.readouterr().out.startswith(ABSTAIN_TEXT)

    _streaming_with(monkeypatch, sources, capsys.readouterr)
    assert cli.main(["ask", QUESTION, "--json"]) == 0
    printed = capsys.readouterr()
    assert "Reading" not in printed.err and json.loads(printed.out)["answer"] == ABSTAIN_TEXT

    seen = _streaming_with(monkeypatch, sources[:1], capsys.readouterr, declined=True)
    assert cli.main(["ask", QUESTION]) == 0
    assert seen[0].err.startswith("Closest articles (judged not to state the answer):\n  [1] Huawei gets")
