"""Build the evaluation dev sets (realtimeqa-2023, realtimeqa-2025) from the public RealTime QA repository.

    python scripts/build_eval_sets.py [--out eval-data] [--set realtimeqa-2023] [--base-url URL]

Downloads the weekly files of github.com/realtimeqa/realtimeqa_public (Kasai et al., NeurIPS 2023 Datasets
and Benchmarks): for each dev week `past/YEAR/WEEK_qa.jsonl` (the news quizzes of CNN, USA Today and The
Week) and `past/YEAR/WEEK_gcs.jsonl` (the articles a web search returned for each question at the time),
and for the two weeks after the dev weeks only their questions. It writes, per set, into OUT/NAME/:

- `articles.jsonl`: every search result of the dev weeks once (duplicates by URL removed, results without
  text left out), `{"id", "url", "title", "published", "authors", "text"}`;
- `questions.jsonl`: the dev weeks' questions, `{"id", "question", "question_date", "answers", "choices",
  "gold_ids", "source"}`; `gold_ids` are the articles the quiz's own evidence links name, where those are
  in the corpus, else the question's own search results whose text contains the gold answer;
- `questions-later.jsonl`: the next two weeks' questions, with `"later": true` and empty `gold_ids`
  (the corpus is older than their events: run them to measure abstention);
- `source.json`: where each downloaded file came from, with its size and SHA-256.

Nothing is written until every file has been downloaded. The articles belong to their publishers: keep
the output out of the repository (`eval-data/` is git-ignored). Offline, point `--base-url` (or
QA_EVAL_DATA_BASE_URL) at a mirror of the repository's files, or at a local clone:
`--base-url file:///path/to/realtimeqa_public`.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "https://raw.githubusercontent.com/realtimeqa/realtimeqa_public/main"
BASE_URL_ENV = "QA_EVAL_DATA_BASE_URL"
DEFAULT_OUT = Path("eval-data")
TIMEOUT_S = 60
USER_AGENT = "newsdesk-qa build_eval_sets (evaluation data)"


@dataclass(frozen=True)
class EvalSetSpec:
    """One dev set: its quiz weeks, the later weeks whose questions test abstention, and the counts the
    team's copy has (a build that differs is reported, not refused: the upstream files may change)."""

    name: str
    year: str
    weeks: tuple[str, ...]
    later_weeks: tuple[str, ...]
    expected: dict[str, int] = field(default_factory=dict)


EVAL_SETS = {
    spec.name: spec
    for spec in (
        EvalSetSpec(
            "realtimeqa-2023",
            "2023",
            ("20230106", "20230113", "20230120", "20230127"),
            ("20230203", "20230210"),
            {"articles": 782, "questions": 120, "with_gold": 67, "later": 60},
        ),
        EvalSetSpec(
            "realtimeqa-2025",
            "2025",
            ("20250808", "20250815", "20250822", "20250829", "20250905", "20250912", "20250919", "20250926"),
            ("20251003", "20251010"),
            {"articles": 711, "questions": 90, "with_gold": 39, "later": 20},
        ),
    )
}


class FetchError(Exception):
    """A weekly file could not be read: the message names the URL and what to do."""


@dataclass
class Downloaded:
    """The records of one weekly file, and where they came from."""

    path: str
    url: str
    records: list[dict[str, Any]]
    size: int
    sha256: str


Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def weekly_path(year: str, week: str, kind: str) -> str:
    """The repository path of one weekly file: kind `qa` (questions) or `gcs` (search results)."""
    return f"past/{year}/{week}_{kind}.jsonl"


def fetch_jsonl(base_url: str, path: str, *, timeout: float = TIMEOUT_S) -> Downloaded:
    """Download one JSON-lines file under `base_url` (http, https or file) and parse it."""
    url = f"{base_url.rstrip('/')}/{path}"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"could not fetch {url}: HTTP {exc.code} {exc.reason}{_what_to_do()}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise FetchError(f"could not fetch {url}: {reason}{_what_to_do()}") from exc
    try:
        text = body.decode("utf-8")
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(
            f"{url} is not a JSON-lines file ({exc}): is --base-url the repository root?"
        ) from exc
    return Downloaded(path, url, records, len(body), hashlib.sha256(body).hexdigest())


def _what_to_do() -> str:
    return (
        "\nThe dev sets are built from github.com/realtimeqa/realtimeqa_public. Check the network "
        f"connection, or point --base-url (or {BASE_URL_ENV}) at a mirror of that repository's files, "
        "e.g. --base-url file:///path/to/realtimeqa_public for a local clone (git clone --depth 1 "
        "https://github.com/realtimeqa/realtimeqa_public)."
    )


def url_key(url: str) -> str:
    """The URL an article is known by: the same page with or without its trailing slash is one article."""
    return url.strip().rstrip("/")


def article_id(url: str) -> str:
    """`rtqa-` and the first 12 hex digits of the SHA-1 of the article's URL key."""
    # SHA-1, not the product's SHA-256: these are the ids of the team's copy of the sets, which the
    # results of earlier runs refer to.
    return "rtqa-" + hashlib.sha1(url_key(url).encode("utf-8")).hexdigest()[:12]


_DAY = re.compile(r"(\d{4})[/-](\d{2})[/-](\d{2})")


def day(value: Any) -> str | None:
    """`YYYY-MM-DD` from the repository's `YYYY/MM/DD` (a time after it is ignored); None if absent."""
    found = _DAY.match(value.strip()) if isinstance(value, str) else None
    return "-".join(found.groups()) if found else None


def collect_articles(
    search_files: Sequence[list[dict[str, Any]]], log: Log = _stderr
) -> list[dict[str, Any]]:
    """Every search result once, in the order first met; results without text are left out."""
    articles: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    textless = 0
    for records in search_files:
        for record in records:
            for result in record.get("search_result") or []:
                url = result.get("url")
                if not url or url_key(url) in seen:
                    continue
                seen.add(url_key(url))
                text = (result.get("text") or "").strip()
                if not text:  # a title and URL alone: nothing to retrieve or to state an answer
                    textless += 1
                    continue
                articles[url_key(url)] = {
                    "id": article_id(url),
                    "url": url,
                    "title": result.get("title") or "",
                    "published": day(result.get("publish_date")),
                    "authors": list(result.get("authors") or []),
                    "text": text,
                }
    if textless:
        log(f"  {textless} search results without text left out")
    return list(articles.values())


_LINK = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def gold_ids(
    evidence: str, answers: Sequence[str], results: Sequence[dict[str, Any]], corpus_ids: set[str]
) -> list[str]:
    """The articles that state the answer: those the quiz's evidence links to, where they are in the
    corpus; else the question's own search results whose text contains a gold answer (any case)."""
    linked = {article_id(html.unescape(link)) for link in _LINK.findall(evidence or "")}
    if linked & corpus_ids:
        return sorted(linked & corpus_ids)
    wanted = [answer.lower() for answer in answers if answer.strip()]
    containing = {
        article_id(result["url"])
        for result in results
        if result.get("url") and any(answer in (result.get("text") or "").lower() for answer in wanted)
    }
    return sorted(containing & corpus_ids)


def question_record(
    raw: dict[str, Any],
    *,
    results: Sequence[dict[str, Any]] = (),
    corpus_ids: set[str] | frozenset[str] = frozenset(),
    later: bool = False,
) -> dict[str, Any]:
    """One question in the sets' form; a later-week question has `later: true` and no gold articles."""
    choices = list(raw.get("choices") or [])
    answers = [choices[int(index)] for index in raw.get("answer") or []]
    record: dict[str, Any] = {
        "id": f"rtqa-{raw['question_id']}",
        "question": raw["question_sentence"],
        "question_date": day(raw.get("question_date")),
        "answers": answers,
        "choices": choices,
        "gold_ids": [] if later else gold_ids(raw.get("evidence") or "", answers, results, set(corpus_ids)),
    }
    if later:
        record["later"] = True
    record["source"] = raw.get("question_source")
    return record


@dataclass
class BuiltSet:
    """What one set's build wrote."""

    spec: EvalSetSpec
    directory: Path
    articles: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    later: list[dict[str, Any]]

    def counts(self) -> dict[str, int]:
        """The figures the set's README gives, to compare with `EvalSetSpec.expected`."""
        return {
            "articles": len(self.articles),
            "questions": len(self.questions),
            "with_gold": sum(1 for q in self.questions if q["gold_ids"]),
            "later": len(self.later),
        }


def build_set(
    spec: EvalSetSpec,
    out: Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = TIMEOUT_S,
    log: Log = _stderr,
) -> BuiltSet:
    """Download one set's weekly files and write its three JSON-lines files under `out/spec.name`."""
    wanted = [(week, "qa") for week in spec.weeks] + [(week, "gcs") for week in spec.weeks]
    wanted += [(week, "qa") for week in spec.later_weeks]
    files: dict[tuple[str, str], Downloaded] = {}
    for n, (week, kind) in enumerate(wanted, 1):
        path = weekly_path(spec.year, week, kind)
        log(f"{spec.name}: [{n}/{len(wanted)}] {path}")
        files[week, kind] = fetch_jsonl(base_url, path, timeout=timeout)
        log(f"  {files[week, kind].size:,} bytes, {len(files[week, kind].records)} lines")

    articles = collect_articles([files[week, "gcs"].records for week in spec.weeks], log)
    corpus_ids = {a["id"] for a in articles}
    results_of = {
        str(record.get("question_id")): record.get("search_result") or []
        for week in spec.weeks
        for record in files[week, "gcs"].records
    }
    questions = [
        question_record(raw, results=results_of.get(str(raw["question_id"]), []), corpus_ids=corpus_ids)
        for week in spec.weeks
        for raw in files[week, "qa"].records
    ]
    later = [
        question_record(raw, later=True) for week in spec.later_weeks for raw in files[week, "qa"].records
    ]

    directory = out / spec.name
    directory.mkdir(parents=True, exist_ok=True)
    _write_jsonl(directory / "articles.jsonl", articles)
    _write_jsonl(directory / "questions.jsonl", questions)
    _write_jsonl(directory / "questions-later.jsonl", later)
    source = {
        "set": spec.name,
        "base_url": base_url,
        "files": [{"path": f.path, "bytes": f.size, "sha256": f.sha256} for f in files.values()],
    }
    _write_text(directory / "source.json", json.dumps(source, indent=2) + "\n")
    return BuiltSet(spec, directory, articles, questions, later)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    _write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _write_text(path: Path, text: str) -> None:
    # Through a temporary file: a build stopped halfway never leaves a cut-off file that looks whole.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def describe(built: BuiltSet) -> str:
    """One line on what was written, and how it differs from the team's copy's figures."""
    counts = built.counts()
    characters = sum(len(a["text"]) for a in built.articles)
    line = (
        f"{built.spec.name}: {counts['articles']} articles ({characters / 1e6:.1f} M characters), "
        f"{counts['questions']} questions ({counts['with_gold']} with gold articles), "
        f"{counts['later']} later-week questions -> {built.directory}/"
    )
    differ = [f"{k} {counts[k]} (expected {v})" for k, v in built.spec.expected.items() if counts[k] != v]
    if differ:
        changed = ", ".join(differ)
        line += f"\n  note: differs from the documented set: {changed}; the upstream files may have changed"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Build the sets the command line names; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"directory for the sets (default: {DEFAULT_OUT}/)"
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        choices=sorted(EVAL_SETS),
        help="build only this set (repeatable; default: all)",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
        help=f"root of the repository's files: a mirror, or file:///path/to/a/clone "
        f"(default: {BASE_URL_ENV} or {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT_S, help=f"seconds per download (default: {TIMEOUT_S})"
    )
    args = parser.parse_args(argv)
    try:
        for name in args.sets or list(EVAL_SETS):
            built = build_set(EVAL_SETS[name], args.out, base_url=args.base_url, timeout=args.timeout)
            print(describe(built))
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
