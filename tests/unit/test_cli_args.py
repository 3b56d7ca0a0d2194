"""The `qa` command's arguments: every one of every subcommand says what it is in `--help`, and every
command takes --collection and --data-dir, `qa eval` included. In-memory store, FAKE embedder."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import cli
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _light_backends(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_STORE_BACKEND", "memory")
    monkeypatch.setenv("QA_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("QA_LLM_MODE", "fake")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))


def _commands(
    parser: argparse.ArgumentParser, name: str = "qa"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """`parser` and every subcommand's parser under it, with the command line that reaches it."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _commands(sub, f"{name} {sub_name}")


def _without_help(root: argparse.ArgumentParser) -> list[str]:
    """Every argument, option and subcommand under `root` whose `--help` line would be blank."""
    missing = []
    for name, parser in _commands(root):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                # the subcommands' one-line descriptions in the list of commands (argparse lists only
                # the subcommands added with a help)
                described = {a.dest for a in action._choices_actions if a.help}
                missing += [f"{name} {sub}" for sub in action.choices if sub not in described]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_argument_of_every_command_has_help() -> None:
    parser = cli.build_parser()
    names = [name for name, _ in _commands(parser)]
    assert {"qa sources add", "qa eval", "qa ask", "qa delete"} <= set(names)
    assert _without_help(parser) == []


def test_the_check_sees_an_argument_and_a_command_without_help() -> None:
    parser = argparse.ArgumentParser(prog="qa")
    commands = parser.add_subparsers()
    commands.add_parser("ask", help="answer a question").add_argument("question")
    commands.add_parser("list").add_argument("--json", action="store_true", help="as JSON")
    assert _without_help(parser) == ["qa list", "qa ask question"]


@pytest.mark.parametrize(
    "command",
    [["ingest", "x"], ["sources", "list"], ["refresh"], ["ask", "q"], ["list"], ["stats"], ["delete", "x"],
     ["reset"], ["serve"], ["eval"]],
)  # fmt: skip
def test_every_command_takes_collection_and_data_dir(command: list[str]) -> None:
    args = cli.build_parser().parse_args([*command, "--collection", "other", "--data-dir", "elsewhere"])
    settings = cli.settings_from_args(args)
    assert settings.collection == "other" and settings.data_dir == Path("elsewhere")


def test_qa_eval_indexes_into_the_collection_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = write_jsonl(tmp_path / "articles.jsonl", [
        {"id": "a1", "title": "Ferry returns", "published": "2024-03-01",
         "text": "The night ferry to the islands returns next month after two years, the operator said."},
    ])  # fmt: skip
    questions = write_jsonl(tmp_path / "questions.jsonl", [
        {"id": "q1", "question": "When does the night ferry return?", "question_date": "2024-03-02",
         "answers": ["next month"], "gold_ids": ["a1"]},
    ])  # fmt: skip
    out = tmp_path / "run"
    flags = ["--articles", str(articles), "--questions", str(questions), "--retrieval-only", "--quiet"]
    assert cli.main(["eval", *flags, "--collection", "dev-2024", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["collection"] == "dev-2024"
    # A name Chroma would refuse is refused like any setting, before anything runs.
    assert cli.main(["eval", *flags, "--collection", "x", "--out", str(tmp_path / "bad")]) == 2
    assert "collection" in capsys.readouterr().err and not (tmp_path / "bad").exists()
