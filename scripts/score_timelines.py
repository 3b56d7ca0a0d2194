"""Build the timeline of every story of a gold set and score it: event recall and precision, dates,
order, citations, duplicates (issue 22; the set and its rules: eval/timelines/README.md); and score the
index's story grouping (`qa list --stories`) against the gold stories' articles, per corpus.

    QA_DATA_DIR=DIR python scripts/score_timelines.py --stories eval/timelines/stories.jsonl \\
        --corpus realtimeqa-2023=eval-data/realtimeqa-2023/articles.jsonl \\
        --corpus realtimeqa-2025=eval-data/realtimeqa-2025/articles.jsonl [--out DIR]

Each corpus is indexed into the collection `qa eval` uses for it (named after its content), so an index
an evaluation built is reused. Each story is asked as its `question`, on its `as_of` day, kept to its
`since`/`until` when it names them. No model is called: timelines are extractive.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.eval.corpus import collection_for, corpus_hash  # noqa: E402
from qa.eval.timelines import score_grouping, score_labels, score_timeline, summarize  # noqa: E402
from qa.service import NewsDesk  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.text.dates import check_day  # noqa: E402


def main() -> None:
    """Score every story; print a line per story and the summary; write them under --out when given."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--stories", type=Path, required=True, help="the gold set (stories.jsonl)")
    parser.add_argument(
        "--corpus",
        action="append",
        default=[],
        metavar="NAME=ARTICLES.jsonl",
        help="a corpus the stories name",
    )
    parser.add_argument("--out", type=Path, help="write timelines.jsonl and summary.json here")
    parser.add_argument(
        "--labels",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "eval" / "timelines" / "step-labels.jsonl",
        help="readers' event/not labels of steps (default: eval/timelines/step-labels.jsonl)",
    )
    args = parser.parse_args()
    corpora = dict(item.split("=", 1) for item in args.corpus)
    stories = [json.loads(line) for line in args.stories.read_text(encoding="utf-8").splitlines() if line]
    desks: dict[str, NewsDesk] = {}
    scores, built = [], []
    for story in stories:
        name = story["corpus"]
        if name not in corpora:
            print(f"{story['id']}: skipped (no --corpus {name}=ARTICLES.jsonl)", file=sys.stderr)
            continue
        if name not in desks:
            desks[name] = _corpus_desk(Path(corpora[name]))
        started = time.perf_counter()
        timeline = desks[name].timeline(
            story["question"],
            since=check_day(story["since"], "since") if story.get("since") else None,
            until=check_day(story["until"], "until") if story.get("until") else None,
            as_of=check_day(story["as_of"], "as_of"),
        )
        seconds = time.perf_counter() - started
        record = timeline.to_json()
        score = {**score_timeline(record, story), "seconds": round(seconds, 2)}
        scores.append(score)
        built.append({"story": story["id"], **record})
        print(
            f"{story['id']}: {score['events_found']}/{score['events']} events, "
            f"{score['steps_matching']}/{score['steps']} steps match, {score['dates_exact']} dates exact, "
            f"{score['duplicates']} duplicates, {seconds:.1f} s",
            flush=True,
        )
    grouping = {}
    for name, desk in desks.items():
        grouped = desk.stories()
        story_of = {a: s.id for s in grouped for a in s.article_ids}
        grouping[name] = {
            **score_grouping(story_of, [s for s in stories if s["corpus"] == name]),
            "stories_of_several": sum(1 for s in grouped if len(s.article_ids) > 1),
            "largest": max((len(s.article_ids) for s in grouped), default=0),
        }
        desk.close()
    summary = {**summarize(scores), "grouping": grouping}
    if args.labels and args.labels.exists():  # readers' judgement of each step, beside the gold's terms
        labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line]
        summary["labels"] = score_labels(built, stories, labels)
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with (args.out / "timelines.jsonl").open("w", encoding="utf-8") as handle:
            for line in built:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        (args.out / "summary.json").write_text(json.dumps({"summary": summary, "stories": scores}, indent=2))


def _corpus_desk(articles: Path) -> NewsDesk:
    """A desk on the corpus's own collection, ingested (articles already there are skipped)."""
    evaluation = NewsDesk(Settings()).evaluation()
    corpus = evaluation.on_collection(collection_for(corpus_hash(articles, evaluation.index_config())))
    report = corpus.desk.ingest([articles], progress=False)
    print(f"{articles}: {report.summary()}", file=sys.stderr)
    return corpus.desk


if __name__ == "__main__":
    main()
