"""The `qa` command's error handling, in-process: bad input is exit 2, user errors one line, bugs a traceback.

Settings choose the in-memory store and the FAKE embedder, so nothing heavy loads.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qa import cli
from qa.answer.stream import AnswerStream, Opening
from qa.documents import ArticleRecord, Chunk, ScoredChunk
from qa.errors import IndexBusyError
from qa.results import ABSTAIN_TEXT, AbstainReason, AnswerResult, Timings
from qa.service import NewsDesk
from qa.store.memory import InMemoryStore

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _light_backends(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("QA_STORE_BACKEND", "memory")
    monkeypatch.setenv("QA_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("QA_LLM_MODE", "fake")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--since", "2023-02-30"],
            "error: --since is not a real date (day is out of range for month), not '2023-02-30'",
        ),
        (["--until", "yesterday"], "error: --until must be a date as YYYY-MM-DD, not 'yesterday'"),
        (["--since", "2023-02-02", "--until", "2023-02-01"], "before it starts"),
    ],
)
def test_a_bad_date_exits_2_with_the_reason_before_anything_loads(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("no answer may be attempted with a bad date")

    monkeypatch.setattr(NewsDesk, "stream", must_not_run)
    assert cli.main(["ask", "How many base stations?", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("error: ") and len(err.splitlines()) == 1


def test_an_empty_question_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "   "]) == 2
    assert capsys.readouterr().err.strip() == "error: the question is empty"


def test_a_user_error_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(self: NewsDesk) -> None:
        raise IndexBusyError("another ingest is writing; try again when it has finished")

    monkeypatch.setattr(NewsDesk, "reset", busy)
    assert cli.main(["reset", "--yes"]) == 1
    assert (
        capsys.readouterr().err.strip() == "error: another ingest is writing; try again when it has finished"
    )


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: NewsDesk) -> None:
        raise ValueError("zip() argument 2 is shorter than argument 1")  # a data bug, not a user error

    monkeypatch.setattr(NewsDesk, "stats", broken)
    with pytest.raises(ValueError, match="zip"):
        cli.main(["stats"])


def test_stats_and_list_on_an_empty_index(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"articles": 0' in out and '"store": "in memory' in out
    # Nothing built yet: the settings the first ingest will use, never "None".
    assert '"index_built": false' in out and '"chunk_tokens": 200' in out and "null" not in out
    assert cli.main(["list"]) == 0
    assert "no articles indexed yet" in capsys.readouterr().out


def _abstained(reason: AbstainReason, **fields: Any) -> AnswerResult:
    """A result the model was asked for and that abstained for `reason`."""
    return AnswerResult(
        question="Where did the storm hit?",
        answer=ABSTAIN_TEXT,
        abstained=True,
        citations=(),
        retrieved=(),
        timings=Timings(retrieval_ms=1.0, total_ms=2.0),
        llm_called=True,
        abstain_reason=reason,
        **fields,
    )


def _streaming(monkeypatch: pytest.MonkeyPatch, said: str, result: AnswerResult) -> None:
    """Make `NewsDesk.stream` write `said`, then give `result`."""

    def stream(self: NewsDesk, question: str, **_: Any) -> AnswerStream:
        def pieces() -> Generator[str, None, AnswerResult]:
            yield said
            return result

        return AnswerStream(lambda: Opening((), False, pieces()))

    monkeypatch.setattr(NewsDesk, "stream", stream)


def test_ask_says_why_an_answer_was_withdrawn(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "It hit Boston [1]."
    _streaming(monkeypatch, said, _abstained(AbstainReason.UNSUPPORTED_ANSWER, withdrawn_answer=said))
    assert cli.main(["ask", "Where did the storm hit?"]) == 0
    out = capsys.readouterr().out
    assert "(the model answered “It hit Boston [1].”, but no sentence it cited says so: " in out
    assert "the answer was withdrawn)" in out


def test_ingest_exit_code_tells_all_some_and_nothing_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("The council approved the new bridge on Monday after a long debate, officials said.")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert cli.main(["ingest", str(good), "--quiet"]) == 0
    assert cli.main(["ingest", str(good), str(bad), "--quiet"]) == 3
    assert cli.main(["ingest", str(bad), "--quiet"]) == 1
    assert "rejected" in capsys.readouterr().out


def test_ingest_reads_a_file_named_like_a_url_and_refuses_other_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "about:harbour.md").write_text("The council approved the new harbour bridge on Monday.")
    assert cli.main(["ingest", "about:harbour.md", "--quiet"]) == 0
    assert (
        cli.main(["ingest", "about:quay.md", "data:text/html,<p>a//b</p>", "ftp://news.example/a", "--json"])
        == 1
    )
    out = capsys.readouterr().out
    assert "not about:" in out and "not data:" in out and "not ftp:" in out
    assert "data:text/html,<p>a//b</p>" in out  # the URL as typed, not folded like a path


def test_the_cli_never_prints_escape_sequences_from_the_index(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An index written by an older version may still hold them: printing is safe on its own.
    record = ArticleRecord(
        id="a1", title="Title\x1b]0;pwned\x07", source="Out\x1b[2Klet", origin="x", content_hash="h", chunks=1
    )
    monkeypatch.setattr(NewsDesk, "list_articles", lambda self: [record])
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert out == "a1  Title  (Outlet · 1 chunks)\n"


def test_an_oversized_question_exits_2_with_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "why? " * 30_000]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: the question is 149,999 characters long; the limit is 2,000 (QA_MAX_QUESTION_CHARS): "
        "ask it shorter"
    )


def test_an_as_of_at_the_start_of_the_calendar_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["ask", "--as-of", "0001-01-01", "what happened this week?"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: the day the question is asked on (as of) must be from 1900-01-01 to 2999-12-31, "
        "not 0001-01-01"
    )


def test_a_question_with_an_undecodable_byte_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    # `qa ask $'caf\xe9?'` in a UTF-8 terminal: Python keeps the byte as a lone surrogate.
    assert cli.main(["ask", "caf\udce9?"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: the question contains characters that are not valid text (a lone surrogate)"


@pytest.mark.parametrize("flag", ["--since", "--as-of"])
def test_a_date_error_quotes_only_the_start_of_a_long_input(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["ask", "Who won?", flag, "2" * 100_000]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {flag} must be a date as YYYY-MM-DD, not '{'2' * 40}'… (100,000 characters)"


def test_a_full_disk_during_ingest_is_one_line_naming_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: object, writes: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "chroma.sqlite3"))

    monkeypatch.setattr(InMemoryStore, "write_articles", full)
    story = tmp_path / "story.txt"
    story.write_text("The council approved the new bridge on Monday after a long debate, officials said.")
    assert cli.main(["ingest", str(story), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: no space left on the device holding the data dir ({tmp_path.resolve()}): free space and run "
        "the ingest again; nothing indexed is lost"
    )


@pytest.mark.parametrize("number", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_or_quota_in_any_command_is_one_line(
    number: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: NewsDesk, name: str, url: str) -> None:
        raise OSError(number, os.strerror(number), "/data/sources.json")

    monkeypatch.setattr(NewsDesk, "add_source", full)
    assert cli.main(["sources", "add", "harbour", "https://example.com/feed.xml"]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err == "error: no space left on the device (/data/sources.json): free space and run the command again"
    )


def test_the_reasons_keep_their_json_values_and_a_decline_reads_the_same_in_cli_and_chat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.results import SearchScope
    from qa.web.views import describe_scope

    assert [str(r) for r in AbstainReason] == [
        "no_relevant_passage",
        "period_not_covered",
        "model_declined",
        "unsupported_answer",
        "not_an_answer",
        "not_stated",
        "no_source_in_period",
        "side_not_stated",
    ]
    declined = _abstained(AbstainReason.MODEL_DECLINED, sources_given=1)
    assert json.loads(json.dumps(declined.to_json()))["abstain_reason"] == "model_declined"
    clause = "the model found no answer in the 1 source it was given"

    _streaming(monkeypatch, ABSTAIN_TEXT, declined)
    assert cli.main(["ask", "Where did the storm hit?"]) == 0
    assert f"({clause})" in capsys.readouterr().out
    # The chat says it after what was searched; it needs a retrieved passage to say how close it came.
    record = ArticleRecord(id="a1", title="Storm", origin="o", content_hash="h", chunks=1)
    hit = ScoredChunk(chunk=Chunk("a1#0", "a1", 0, "text", 0, 4), article=record, score=0.6)
    shown = replace(declined, retrieved=(hit,))
    scope = SearchScope(collection="c", articles=1, chunks=4, min_score=0.3)
    assert describe_scope(shown, scope).endswith(f"but {clause}.")


def test_a_decline_by_the_evidence_judgment_says_what_the_evidence_lacks_in_cli_and_chat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.results import Judgment, SearchScope, Signals
    from qa.web.views import describe_scope

    signals = Signals(
        best_score=0.62, coverage=0.4, source_coverage=0.5, names_found=0.5, answer_type=0.0, agreement=1.0,
        missing=("Zurich",),
    )  # fmt: skip
    judged = Judgment(signals, probability=0.05, threshold=0.16)
    declined = replace(_abstained(AbstainReason.NOT_STATED, judgment=judged), llm_called=False)
    clause = (
        "no source sentence states what the question asks: the closest holds 40% of its key words, "
        "and “Zurich” appear in none"
    )
    _streaming(monkeypatch, ABSTAIN_TEXT, declined)
    assert cli.main(["ask", "Where did the storm hit?"]) == 0
    assert capsys.readouterr().out == f"{ABSTAIN_TEXT}\n({clause})\n"
    # The chat says what was searched and why it declined: a close passage was found (0.62), so no
    # "best match < threshold" claim.
    record = ArticleRecord(id="a1", title="Storm", origin="o", content_hash="h", chunks=1)
    hit = ScoredChunk(chunk=Chunk("a1#0", "a1", 0, "text", 0, 4), article=record, score=0.62)
    scope = SearchScope(collection="c", articles=1, chunks=4, min_score=0.1)
    assert (
        describe_scope(replace(declined, retrieved=(hit,)), scope)
        == f"Searched 4 chunks of 1 article; {clause}."
    )
