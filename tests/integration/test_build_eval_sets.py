"""scripts/build_eval_sets.py against a real HTTP server on a loopback port (`tests/newsserver.py`)
serving small weekly files in the RealTime QA repository's format, written here (no real quiz data):
the fields, duplicates by URL, the gold-article rule, the later weeks, and the message when offline.
No model is loaded."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from qa.ports import free_port
from tests.conftest import REPO_ROOT
from tests.newsserver import NewsServer, Route, news_server

pytestmark = pytest.mark.integration

SCRIPT = REPO_ROOT / "scripts" / "build_eval_sets.py"
SITE = "https://harbour.example"
ARTICLE_FIELDS = ["id", "url", "title", "published", "authors", "text"]
QUESTION_FIELDS = ["id", "question", "question_date", "answers", "choices", "gold_ids", "source"]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_eval_sets", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_eval_sets"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _result(slug: str, text: str, *, day: str = "2024/01/03", slash: bool = False) -> dict[str, Any]:
    """One search result as the repository's `_gcs.jsonl` files hold it."""
    url = f"{SITE}/news/{slug}" + ("/" if slash else "")
    return {"url": url, "title": f"{slug.title()} story ...", "text": text, "authors": ["Ada Reporter"],
            "publish_date": day}  # fmt: skip


def _question(week: str, n: int, sentence: str, choices: list[str], answer: int, **extra: Any) -> dict:
    """One question as the repository's `_qa.jsonl` files hold it."""
    return {"question_id": f"{week}_{n}", "question_date": f"{week[:4]}/{week[4:6]}/{week[6:]}",
            "question_source": extra.get("source", "CNN"), "question_url": f"{SITE}/quiz/{week}",
            "question_sentence": sentence, "choices": choices, "answer": [str(answer)],
            "evidence": extra.get("evidence", "")}  # fmt: skip


def _jsonl(records: list[dict[str, Any]]) -> Route:
    return Route("".join(json.dumps(r) + "\n" for r in records).encode(), "text/plain; charset=utf-8")


BRIDGE = _result("bridge", "The council of Portwick approved the harbour bridge on Tuesday.\n\n")
FERRY = _result("ferry", "Night ferry tickets cost 12 Euros for a single crossing.")
TUNNEL = _result("tunnel", "Works on the rail tunnel are delayed by flooding.")
TEXTLESS = {"url": f"{SITE}/news/live-blog", "title": "Live updates"}
MARKET = _result("market", "The fish market reopens after repairs.", day="2024/01/10")


def _week_one(week: str) -> tuple[list[dict], list[dict]]:
    """Questions whose gold comes from the quiz's evidence link, from a search result stating the answer,
    and from nothing; search results with a duplicate and one without text."""
    link = f'The council <a href="{SITE}/news/bridge/">approved the bridge</a> this week.'
    towns = ["Eastholm", "Portwick", "Norbay", "Kelby"]
    fares = ["5 euros", "12 euros", "20 euros", "30 euros"]
    questions = [
        _question(week, 0, "Which town approved a harbour bridge?", towns, 1, evidence=link),
        _question(week, 1, "How much is a night ferry ticket?", fares, 1, source="USAtoday"),
        _question(week, 2, "Who won the regatta?", ["Ann", "Bo", "Cy", "Di"], 2, source="THE WEEK"),
    ]
    searches = [
        {"question_id": f"{week}_0", "search_time": "x", "search_result": [BRIDGE, FERRY]},
        {"question_id": f"{week}_1", "search_time": "x", "search_result": [FERRY, TUNNEL, TEXTLESS]},
        {"question_id": f"{week}_2", "search_time": "x", "search_result": [TUNNEL]},
    ]
    return questions, searches


def _week_two(week: str) -> tuple[list[dict], list[dict]]:
    """A true-or-false question; the ferry story again under its URL with a trailing slash."""
    questions = [_question(week, 0, "The fish market reopened. True or false?", ["TRUE", "FALSE"], 0)]
    ferry_again = {**_result("ferry", "A different crawl of the ferry story.", slash=True)}
    searches = [{"question_id": f"{week}_0", "search_time": "x", "search_result": [MARKET, ferry_again]}]
    return questions, searches


def _serve_set(server: NewsServer, year: str, weeks: tuple[str, ...], later: tuple[str, ...]) -> None:
    """Weekly files for `weeks` (alternating the two fixtures) and questions only for `later`."""
    for n, week in enumerate(weeks):
        questions, searches = (_week_one if n % 2 == 0 else _week_two)(week)
        server.routes[f"/past/{year}/{week}_qa.jsonl"] = _jsonl(questions)
        server.routes[f"/past/{year}/{week}_gcs.jsonl"] = _jsonl(searches)
    for week in later:
        server.routes[f"/past/{year}/{week}_qa.jsonl"] = _jsonl(
            [_question(week, 0, "Which ship sank this week?", ["A", "B", "C", "D"], 3)]
        )


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _id(url: str) -> str:
    return "rtqa-" + hashlib.sha1(url.rstrip("/").encode()).hexdigest()[:12]


def test_a_set_is_built_with_its_fields_duplicates_removed_gold_ids_and_later_weeks(tmp_path: Path) -> None:
    script = _script()
    spec = script.EvalSetSpec("tiny-2024", "2024", ("20240105", "20240112"), ("20240119",))
    with news_server() as server:
        _serve_set(server, "2024", spec.weeks, spec.later_weeks)
        built = script.build_set(spec, tmp_path, base_url=server.base + "/", log=lambda line: None)
        # Only the later week's questions are fetched: its articles would be newer than the corpus.
        assert "/past/2024/20240119_gcs.jsonl" not in server.paths()
    out = tmp_path / "tiny-2024"

    articles = _read(out / "articles.jsonl")
    assert all(list(a) == ARTICLE_FIELDS for a in articles)
    # Each URL once, in the order first met; the ferry story's second URL differs by a slash only; the
    # result without text is left out.
    assert [a["url"] for a in articles] == [BRIDGE["url"], FERRY["url"], TUNNEL["url"], MARKET["url"]]
    assert [a["id"] for a in articles] == [_id(a["url"]) for a in articles]
    bridge = articles[0]
    assert bridge["published"] == "2024-01-03" and bridge["authors"] == ["Ada Reporter"]
    assert bridge["text"] == "The council of Portwick approved the harbour bridge on Tuesday."
    assert articles[1]["text"] == FERRY["text"]  # the first crawl of a duplicate is kept

    questions = {q["id"]: q for q in _read(out / "questions.jsonl")}
    assert list(questions) == ["rtqa-20240105_0", "rtqa-20240105_1", "rtqa-20240105_2", "rtqa-20240112_0"]
    assert all(list(q) == QUESTION_FIELDS for q in questions.values())
    first = questions["rtqa-20240105_0"]
    assert first["question_date"] == "2024-01-05" and first["answers"] == ["Portwick"]
    assert first["choices"] == ["Eastholm", "Portwick", "Norbay", "Kelby"] and first["source"] == "CNN"
    # The quiz's evidence link names the bridge story (with a trailing slash): it is the gold article,
    # though the ferry story was a search result too.
    assert first["gold_ids"] == [bridge["id"]]
    # No evidence link: the question's own search results whose text holds the answer, in any case.
    assert questions["rtqa-20240105_1"]["gold_ids"] == [articles[1]["id"]]
    assert questions["rtqa-20240105_2"]["gold_ids"] == []
    true_or_false = questions["rtqa-20240112_0"]
    assert true_or_false["choices"] == ["TRUE", "FALSE"] and true_or_false["answers"] == ["TRUE"]
    assert true_or_false["gold_ids"] == []
    assert built.counts() == {"articles": 4, "questions": 4, "with_gold": 2, "later": 1}

    (later,) = _read(out / "questions-later.jsonl")
    assert list(later) == [*QUESTION_FIELDS[:-1], "later", "source"]
    assert later["later"] is True and later["gold_ids"] == [] and later["answers"] == ["D"]
    assert later["question_date"] == "2024-01-19"

    source = json.loads((out / "source.json").read_text())
    assert len(source["files"]) == 5 and all(len(f["sha256"]) == 64 for f in source["files"])


def test_the_command_builds_a_named_set_from_the_base_url_in_the_environment(tmp_path: Path) -> None:
    script = _script()
    spec = script.EVAL_SETS["realtimeqa-2023"]
    with news_server() as server:
        _serve_set(server, spec.year, spec.weeks, spec.later_weeks)
        env = {**os.environ, script.BASE_URL_ENV: server.base}
        command = [sys.executable, str(SCRIPT), "--set", spec.name, "--out", str(tmp_path / "sets")]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "sets" / "realtimeqa-2023"
    assert sorted(p.name for p in out.iterdir()) == [
        "articles.jsonl", "questions-later.jsonl", "questions.jsonl", "source.json"
    ]  # fmt: skip
    assert len(_read(out / "questions.jsonl")) == 2 * 3 + 2 * 1
    assert [q["id"] for q in _read(out / "questions-later.jsonl")] == ["rtqa-20230203_0", "rtqa-20230210_0"]
    # Progress goes to stderr, one plain line a file (no escape codes); the result to stdout.
    assert "realtimeqa-2023: [1/10] past/2023/20230106_qa.jsonl" in done.stderr
    assert "\x1b" not in done.stderr
    assert done.stdout.startswith("realtimeqa-2023: 4 articles")
    assert "differs from the documented set" in done.stdout


def test_offline_the_message_names_the_url_and_what_to_do_and_nothing_is_written(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, str(SCRIPT), "--base-url", closed, "--out", str(tmp_path / "sets")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert f"error: could not fetch {closed}/past/2023/20230106_qa.jsonl" in done.stderr
    assert "--base-url" in done.stderr and "QA_EVAL_DATA_BASE_URL" in done.stderr
    assert "file:///" in done.stderr  # a local clone works too
    assert not (tmp_path / "sets").exists()


def test_a_mirror_missing_a_week_is_named_and_nothing_of_that_set_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script()
    spec = script.EVAL_SETS["realtimeqa-2025"]
    with news_server() as server:
        _serve_set(server, spec.year, spec.weeks, spec.later_weeks)
        del server.routes["/past/2025/20250926_gcs.jsonl"]
        code = script.main(["--set", spec.name, "--base-url", server.base, "--out", str(tmp_path)])
    assert code == 1
    missing = f"{server.base}/past/2025/20250926_gcs.jsonl: HTTP 404"
    assert f"error: could not fetch {missing}" in capsys.readouterr().err
    assert not (tmp_path / "realtimeqa-2025").exists()
