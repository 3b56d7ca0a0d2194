"""The `qa` command as a user runs it: real processes, real models, a fresh data dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ASK_JSON_KEYS, REPO_ROOT, SEED_ARTICLE

pytestmark = pytest.mark.integration


def qa(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m qa ARGS` against `data_dir`; returns the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "QA_DATA_DIR": str(data_dir), "QA_COLLECTION": "cli-test", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_help_is_instant_and_lists_every_command(tmp_path: Path) -> None:
    done = qa("--help", data_dir=tmp_path)
    assert done.returncode == 0
    for command in "ingest sources refresh ask timeline list stats delete reset serve eval".split():
        assert command in done.stdout


def test_ingest_ask_list_stats_delete(tmp_path: Path) -> None:
    data = tmp_path / "data"
    broken = tmp_path / "broken.json"
    broken.write_text("{ this is not json")
    done = qa("ingest", str(SEED_ARTICLE.parent), str(broken), "--json", data_dir=data)
    assert done.returncode == 3, done.stderr  # some rejected: a script can tell
    report = json.loads(done.stdout)
    assert len(report["added"]) == 1
    assert [r["origin"].endswith("broken.json") for r in report["rejected"]] == [True]

    again = qa("ingest", str(SEED_ARTICLE), data_dir=data)
    assert again.returncode == 0 and "added 0, unchanged 1" in again.stdout

    stats = json.loads(qa("stats", "--json", data_dir=data).stdout)
    assert stats["articles"] == 1 and stats["chunks"] >= 2
    assert stats["collection"] == "cli-test"
    assert stats["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"

    (article,) = json.loads(qa("list", "--json", data_dir=data).stdout)
    assert article["chunks"] == stats["chunks"]

    asked = qa(
        "ask", "How many 5G base stations does Huawei plan to make next year?", "--json", data_dir=data
    )
    assert asked.returncode == 0, asked.stderr
    assert "control-looking token" not in asked.stderr  # the runtime's load warnings stay quiet without -v
    answer = json.loads(asked.stdout)
    assert set(answer) >= ASK_JSON_KEYS
    assert "1.5 million" in answer["answer"] and not answer["abstained"]
    assert {c["article_id"] for c in answer["citations"]} == {article["id"]}
    assert answer["llm"].startswith("local:")

    streamed = qa("ask", "Who won the 2018 FIFA World Cup?", data_dir=data)
    assert streamed.returncode == 0
    assert "I can't find that in the indexed articles." in streamed.stdout

    # The seed article has no date, so a date range leaves it out: the bound is applied, not dropped.
    ranged = qa(
        "ask",
        "How many 5G base stations does Huawei plan to make next year?",
        "--since",
        "2019-01-01",
        data_dir=data,
    )
    assert ranged.returncode == 0 and "I can't find that" in ranged.stdout
    assert "published 2019-01-01 – …" in ranged.stdout

    deleted = qa("delete", article["id"], data_dir=data)
    assert deleted.returncode == 0 and f"deleted article {article['id']}" in deleted.stdout
    assert json.loads(qa("stats", "--json", data_dir=data).stdout)["chunks"] == 0
    missing = qa("delete", article["id"], data_dir=data)
    assert missing.returncode == 1 and "no indexed article" in missing.stderr


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    only_bad = qa("ingest", str(tmp_path / "nope.txt"), data_dir=data)
    assert only_bad.returncode == 1
    assert "no such file" in only_bad.stdout + only_bad.stderr

    qa("ingest", str(SEED_ARTICLE), data_dir=data)
    mismatch = qa("ingest", str(SEED_ARTICLE), data_dir=data, env={"QA_CHUNK_TOKENS": "120"})
    assert mismatch.returncode == 1
    last_line = mismatch.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: ") and "qa reset" in last_line
    assert "Traceback" not in mismatch.stderr

    for since, reason in (
        ("2023-02-30", "is not a real date (day is out of range for month)"),
        ("30/01/2023", "must be a date as YYYY-MM-DD"),
    ):
        bad_date = qa("ask", "Who won?", "--since", since, data_dir=data)
        assert bad_date.returncode == 2, bad_date.stderr
        assert bad_date.stderr.strip() == f"error: --since {reason}, not {since!r}"
    backwards = qa("ask", "Who won?", "--since", "2023-02-01", "--until", "2023-01-01", data_dir=data)
    assert backwards.returncode == 2 and "before it starts" in backwards.stderr

    refused = qa("reset", data_dir=data)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert qa("reset", "--yes", data_dir=data).returncode == 0
    assert json.loads(qa("stats", "--json", data_dir=data).stdout)["chunks"] == 0


def test_a_file_name_that_is_not_utf8_is_reported_and_the_other_files_go_in(tmp_path: Path) -> None:
    # The real embedded Chroma refused the name in its where clause and the whole ingest died; the
    # FAKE embedder keeps the run short, what is under test is loading and the store's lookups.
    folder = os.fsencode(tmp_path / "inbox")
    os.mkdir(folder)
    story = SEED_ARTICLE.read_text(encoding="utf-8")
    for i in range(10):
        with open(folder + f"/good-{i}.txt".encode(), "w", encoding="utf-8") as good:
            good.write(f"Story {i}. {story}")
    with open(folder + b"/caf\xe9.txt", "w", encoding="utf-8") as latin1_name:
        latin1_name.write(story)
    data, fake = tmp_path / "data", {"QA_EMBEDDING_BACKEND": "fake"}
    shown_name = str(tmp_path / "inbox" / "caf\\xe9.txt")  # printable, and JSON-able
    for run in ("first", "again"):
        done = qa("ingest", os.fsdecode(folder), "--json", data_dir=data, env=fake)
        assert done.returncode == 3, done.stderr  # some rejected, the rest in
        assert "Traceback" not in done.stderr
        report = json.loads(done.stdout)
        assert len(report["added"] if run == "first" else report["unchanged"]) == 10
        assert [(r["origin"], r["reason"]) for r in report["rejected"]] == [
            (shown_name, "file name is not valid UTF-8 (rename it)")
        ]
    shown = qa("ingest", os.fsdecode(folder), "--quiet", data_dir=data, env=fake)
    assert f"rejected {shown_name}: file name is not valid UTF-8 (rename it)" in shown.stdout


def test_an_as_of_at_the_start_of_the_calendar_is_one_line_exit_2(tmp_path: Path) -> None:
    # Before: "this week" on 0001-01-01 ran past the calendar's start, an OverflowError traceback.
    done = qa("ask", "--as-of", "0001-01-01", "what happened this week?", data_dir=tmp_path / "data")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: the day the question is asked on (as of) must be from 1900-01-01 to 2999-12-31, "
        "not 0001-01-01"
    ]


def test_sigkill_mid_ingest_leaves_no_duplicates_or_orphans(tmp_path: Path) -> None:
    # Real processes killed with SIGKILL (no cleanup runs) at several moments of an ingest into the
    # real embedded Chroma; the FAKE embedder keeps the run short, what is under test is the writes.
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w") as out:
        # Enough stories that an ingest with batched writes still runs for several seconds.
        for i in range(3000):
            text = f"Story {i}. " + " ".join(
                f"Sentence {j} of story {i} about harbour works." for j in range(40)
            )
            out.write(json.dumps({"id": f"s{i}", "title": f"Story {i}", "text": text}) + "\n")
    fake = {"QA_EMBEDDING_BACKEND": "fake"}
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "qa", "ingest", str(corpus), "--quiet"]
    env = {**os.environ, "QA_DATA_DIR": str(killed), "QA_COLLECTION": "cli-test", **fake}
    kills = 0
    for delay in (2.0, 3.0, 4.0):
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            kills += process.wait() == -signal.SIGKILL
    assert kills  # at least one ingest died mid-way (each would need several more seconds to finish)
    assert qa("ingest", str(corpus), "--quiet", data_dir=killed, env=fake).returncode == 0
    clean = tmp_path / "clean"
    assert qa("ingest", str(corpus), "--quiet", data_dir=clean, env=fake).returncode == 0

    def index(data_dir: Path) -> tuple[list[tuple[str, int, str]], int]:
        listed = json.loads(qa("list", "--json", data_dir=data_dir, env=fake).stdout)
        stats = json.loads(qa("stats", "--json", data_dir=data_dir, env=fake).stdout)
        return sorted((a["id"], a["chunks"], a["content_hash"]) for a in listed), stats["chunks"]

    after_kills, clean_index = index(killed), index(clean)
    assert after_kills == clean_index  # same articles, same chunks each, no orphan chunk counted
    assert clean_index[1] == sum(chunks for _, chunks, _ in clean_index[0])


def test_sources_add_list_refresh_and_refresh_every_until_ctrl_c(tmp_path: Path) -> None:
    from tests.newsserver import Route, article_page, news_server, rfc2822, rss_feed

    data = tmp_path / "data"
    env = {"QA_EMBEDDING_BACKEND": "fake", "QA_FETCH_ALLOW_PRIVATE": "true", "QA_FETCH_HOST_DELAY_S": "0"}
    with news_server() as site:
        words = "The harbour ferry resumes its night crossings next month, the operator said on Monday."
        site.routes["/news/ferry.html"] = Route(article_page("Night ferry returns", [words, words]))
        stories = (("Night ferry returns", "/news/ferry.html", 4), ("Gone", "/news/gone.html", 5))
        entries = [{"title": t, "link": site.url(p), "date": rfc2822(2024, 3, d)} for t, p, d in stories]
        site.routes["/feed.xml"] = Route(rss_feed(entries), "application/rss+xml", etag=True)

        added = qa("sources", "add", "harbour", site.url("/feed.xml"), data_dir=data, env=env)
        assert added.returncode == 0 and "saved harbour" in added.stdout, added.stderr
        listed = qa("sources", "list", data_dir=data, env=env)
        assert f"harbour  {site.url('/feed.xml')}" in listed.stdout

        first = qa("refresh", "--quiet", data_dir=data, env=env)
        assert first.returncode == 3, first.stderr  # one entry failed: exit 3, like `qa ingest`
        assert "new 1, changed 0, unchanged 0, failed 1" in first.stdout
        assert f"new      Night ferry returns  {site.url('/news/ferry.html')}" in first.stdout
        assert f"failed   {site.url('/news/gone.html')}: HTTP 404 Not Found" in first.stdout

        site.routes["/feed.xml"] = Route(rss_feed(entries[:1]), "application/rss+xml", etag=True)
        site.clear()
        second = qa("refresh", "--quiet", data_dir=data, env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "new 0, changed 0, unchanged 1 (1 not fetched again), failed 0" in second.stdout
        assert site.pages() == ["/feed.xml"]
        stats = json.loads(qa("stats", "--json", data_dir=data, env=env).stdout)
        assert stats["articles"] == 1 and stats["last_refreshed"]

        command = [sys.executable, "-m", "qa", "refresh", "--every", "1h", "--quiet"]
        every_env = {**os.environ, "QA_DATA_DIR": str(data), "QA_COLLECTION": "cli-test", **env}
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=every_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell runs background commands with Ctrl-C ignored, and the child would inherit that:
            # give it Ctrl-C back, as a terminal would.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert process.stderr is not None
        seen = []
        while not any("next refresh in 1h; Ctrl-C stops" in line for line in seen):
            line = process.stderr.readline()
            assert line, "".join(seen)  # the process ended before its first refresh was done
            seen.append(line)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "stopped; what was fully written is kept" in err
        assert "unchanged 1 (1 not fetched again)" in out

        removed = qa("sources", "remove", "harbour", data_dir=data, env=env)
        assert removed.returncode == 0 and "its articles stay indexed" in removed.stdout
        nothing = qa("refresh", data_dir=data, env=env)
        assert nothing.returncode == 1 and "qa sources add NAME URL" in nothing.stderr


def test_timeline_of_a_story_told_over_several_days_by_several_outlets(tmp_path: Path) -> None:
    """Real embedding model and Chroma: articles of the project's own about one story, and one other."""
    story = [
        ("a1", "Harbour News", "2026-03-02", "Kestrel bridge closes for cable work",
         "The Kestrel Harbour Bridge closed to traffic on Sunday so that crews can replace its suspension "
         "cables. The city expects the work to take eleven months."),
        ("a2", "Port Alder Post", "2026-03-02", "Bridge shut for repairs",
         "The Kestrel Harbour Bridge closed to traffic on Sunday so crews can replace its suspension cables, "
         "the city said."),
        ("a3", "Harbour News", "2026-03-12", "Kestrel bridge cables: first half done",
         "Engineers finished replacing the first 106 cables of the Kestrel Harbour Bridge on March 10."),
        ("a4", "Harbour News", "2026-03-20", "Kestrel bridge reopens",
         "The Kestrel Harbour Bridge reopened on Thursday after all 212 cables were replaced."),
        ("b1", "Harbour News", "2026-03-05", "Ferry pay talks resume",
         "Talks between the ferry union and Sound Link resumed on Wednesday."),
    ]  # fmt: skip
    records = [
        {"id": i, "source": outlet, "published": day, "title": title, "text": text}
        for i, outlet, day, title, text in story
    ]
    articles = tmp_path / "story.jsonl"
    articles.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    data = tmp_path / "data"
    assert qa("ingest", str(articles), data_dir=data).returncode == 0
    done = qa("timeline", "How did the Kestrel Harbour Bridge repairs develop?", "--json", data_dir=data)
    assert done.returncode == 0, done.stderr
    timeline = json.loads(done.stdout)
    days = [(s["date"], s["date_source"]) for s in timeline["steps"]]
    assert days == [("2026-03-01", "text"), ("2026-03-10", "text"), ("2026-03-19", "text")], timeline["steps"]
    closed = timeline["steps"][0]
    assert {c["article_id"] for c in closed["citations"]} == {"a1", "a2"}  # both outlets, one step
    assert all("ferry" not in s["text"].lower() for s in timeline["steps"])
    assert {"since": "2026-03-03", "until": "2026-03-11"} in timeline["silences"]
    later = qa(
        "timeline", "Kestrel Harbour Bridge", "--since", "2026-03-15", "--as-of", "2026-04-01", data_dir=data
    )
    assert later.returncode == 0 and "2026-03-19  The Kestrel Harbour Bridge reopened" in later.stdout
    assert "2026-03-01" not in later.stdout
    none = qa("timeline", "Kestrel Harbour Bridge", "--since", "2026-05-01", data_dir=data)
    assert "No indexed article tells of “Kestrel Harbour Bridge” since 2026-05-01." in none.stdout
