"""Progress on stderr: tqdm bars on a terminal; off a terminal (a log file, a pipe, CI) plain lines with
no carriage returns or cursor movements ("[A"), through the real ingest too. FAKE embedder."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.progress import LineProgress, progress_bar
from qa.service import NewsDesk
from qa.text.durations import format_duration

pytestmark = pytest.mark.unit


class Terminal(io.StringIO):
    """A stream that says it is a terminal (a stand-in for a tty)."""

    def isatty(self) -> bool:
        return True


def test_off_a_terminal_a_bar_is_plain_lines() -> None:
    log = io.StringIO()
    with progress_bar("Embedding", "chunk", total=0, stream=log) as bar:
        bar.total = 30
        bar.refresh()
        bar.update(30)
    assert isinstance(bar, LineProgress)
    (line,) = log.getvalue().splitlines()
    assert line.startswith("Embedding: 30/30 chunks (100 %), ") and line.endswith(" s")
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
    one = io.StringIO()
    with progress_bar("Reading", "article", stream=one) as bar:
        bar.update()
    assert one.getvalue().startswith("Reading: 1 article, ")


def test_a_long_run_writes_a_line_now_and_then_with_the_time_left() -> None:
    log = io.StringIO()
    bar = LineProgress("Evaluating", "question", total=4, stream=log, interval_s=0)
    bar.update()
    bar.close()
    bar.close()  # closing twice writes the last line once
    first, last = log.getvalue().splitlines()
    assert first.startswith("Evaluating: 1/4 questions (25 %), ") and "left" in first
    assert last.startswith("Evaluating: 1/4 questions (25 %), ") and "left" not in last


def test_on_a_terminal_it_is_a_tqdm_bar_and_disabled_it_writes_nothing() -> None:
    terminal = Terminal()
    with progress_bar("Reading", "article", stream=terminal) as bar:
        bar.update(2)
    assert type(bar).__module__.startswith("tqdm") and "Reading" in terminal.getvalue()
    quiet = io.StringIO()
    with progress_bar("Reading", "article", enabled=False, stream=quiet) as bar:
        bar.update(2)
    assert quiet.getvalue() == ""


def test_an_ingest_into_a_log_shows_plain_progress_lines(
    make_desk: Callable[..., NewsDesk], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for n in range(3):
        (folder / f"story{n}.txt").write_text(
            f"Story {n} headline\n\nThe council met on day {n} and approved the budget for the harbour. " * 3
        )
    report = make_desk().ingest([folder], progress=True)
    assert len(report.added) == 3
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    lines = err.splitlines()
    assert any(line.startswith("Reading: 3 articles, ") for line in lines), err
    assert any(line.startswith("Embedding: ") and "(100 %)" in line for line in lines), err


@pytest.mark.parametrize(
    ("seconds", "written"),
    [(4.25, "4.2 s"), (35, "35 s"), (725, "12 min 5 s"), (7380, "2 h 3 min")],
)
def test_durations_are_written_for_people(seconds: float, written: str) -> None:
    assert format_duration(seconds) == written
