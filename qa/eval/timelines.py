"""Scoring timelines against a gold set of dated story events (issue 22; eval/timelines/README.md).

A step states a gold event when its sentence (or one of its quotes) holds every one of the event's
`terms`, or when it cites an article the event lists and holds at least half of them. Each step counts
for the event it states best (all its terms over half of them; the first in the gold's order among
equals); an event stated by more than one step is a duplicate left unmerged.
The gold lists every event of the articles read for the story (`article_ids`), not of the whole corpus:
precision is over the steps citing one of those articles, and citation support over the citations of
those articles (a matched step's citation of another outlet's copy cannot be judged from terms the gold
took from the articles it read); steps and citations of other articles are counted apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from qa.text.hashing import text_sha

Record = Mapping[str, Any]


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def states(step: Record, event: Record) -> bool:
    """Does the timeline `step` (its `--json` form) state the gold `event`?"""
    return how_well(step, event) > 0


def how_well(step: Record, event: Record) -> int:
    """2: `step` holds all of `event`'s terms; 1: it cites one of the event's articles and holds half of
    them; 0: it does not state the event."""
    texts = [_normal(step["text"]), *(_normal(c.get("quote") or "") for c in step.get("citations", []))]
    terms = [_normal(t) for t in event["terms"]]
    held = [t for t in terms if any(t in text for text in texts)]
    if len(held) == len(terms):
        return 2
    cited = {c["article_id"] for c in step.get("citations", [])}
    return int(bool(cited & set(event.get("article_ids", []))) and len(held) >= math.ceil(len(terms) / 2))


def gold_events(story: Record) -> list[Record]:
    """The story's events the timeline is asked for: those of its period when it names one."""
    events = list(story["events"])
    if "events_in_period" in story:
        return [events[i] for i in story["events_in_period"]]
    return events


def score_timeline(timeline: Record, story: Record) -> dict[str, Any]:
    """Recall, precision, dates, order, citations and duplicates of one timeline against its story."""
    events = gold_events(story)
    read = set(story.get("article_ids", []))
    all_steps = list(timeline.get("steps", []))
    steps = _citing_read(all_steps, read)
    first_step: dict[int, int] = {}  # event -> the first step stating it
    matched_steps = 0
    duplicates = 0
    supported = cited = cited_other = 0
    for s, step in enumerate(steps):
        # The event the step states best: one whose every term it holds over one it holds half of, so a
        # step telling the suspension of "Kimmel" on Sept. 17 is not spent on an earlier Kimmel event.
        fits = [how_well(step, event) for event in events]
        e = max(range(len(events)), key=fits.__getitem__, default=-1)  # the first of equals
        if e < 0 or not fits[e]:
            continue
        matched_steps += 1
        if e in first_step:
            duplicates += 1
        else:
            first_step[e] = s
        for citation in step.get("citations", []):
            if read and citation["article_id"] not in read:
                cited_other += 1  # the gold cannot say what an article it did not read states
                continue
            cited += 1
            quote = {"text": citation.get("quote") or "", "citations": [citation]}
            supported += states(quote, events[e])
    pairs = [(events[e], steps[s]) for e, s in first_step.items()]
    exact = sum(step["date"] == event["date"] for event, step in pairs)
    near = sum(abs(_days(step["date"]) - _days(event["date"])) <= 1 for event, step in pairs)
    ordered = sorted(first_step)
    in_order = sum(first_step[a] <= first_step[b] for a, b in zip(ordered, ordered[1:], strict=False))
    return {
        "story": story["id"],
        "events": len(events),
        "steps": len(steps),
        "steps_other_articles": len(all_steps) - len(steps),
        "events_found": len(first_step),
        "steps_matching": matched_steps,
        "dates_exact": exact,
        "dates_within_1": near,
        "order_pairs": max(len(ordered) - 1, 0),
        "order_right": in_order,
        "citations": cited,
        "citations_supported": supported,
        "citations_other_articles": cited_other,
        "duplicates": duplicates,
    }


def _days(iso: str) -> int:
    return date.fromisoformat(iso).toordinal()


def summarize(scores: Sequence[Record]) -> dict[str, float | int | None]:
    """The figures over all stories (micro-averaged: every event and step counts once)."""

    def share(part: str, whole: str) -> float | None:
        total = sum(s[whole] for s in scores)
        return round(sum(s[part] for s in scores) / total, 4) if total else None

    return {
        "stories": len(scores),
        "event_recall": share("events_found", "events"),
        "step_precision": share("steps_matching", "steps"),
        "dates_exact": share("dates_exact", "events_found"),
        "dates_within_1": share("dates_within_1", "events_found"),
        "order": share("order_right", "order_pairs"),
        "citations_supported": share("citations_supported", "citations"),
        "duplicates": sum(s["duplicates"] for s in scores),
        "steps_other_articles": sum(s.get("steps_other_articles", 0) for s in scores),
        "citations_other_articles": sum(s.get("citations_other_articles", 0) for s in scores),
    }


def _citing_read(steps: Sequence[Record], read: set[str]) -> list[Record]:
    """The steps precision counts: those citing an article the gold read (all of them when it names none)."""
    return [s for s in steps if not read or {c["article_id"] for c in s.get("citations", [])} & read]


def sentence_key(quote: str) -> str:
    """The key a step label names a sentence by (the articles stay out of the repository)."""
    return text_sha(" ".join(quote.split()))[:16]


def score_labels(
    timelines: Sequence[Record], stories: Sequence[Record], labels: Sequence[Record]
) -> dict[str, Any]:
    """The share of a run's steps that readers judged to state an event of the story (step-labels.jsonl:
    `story`, `article_id`, `sentence_key`, `label`), over the steps precision counts (those citing an
    article the gold read); a step is judged by its first labelled citation, and steps no label names
    are counted apart (`unjudged`: a sentence the run did not give when the labels were made).
    Also the ceiling a perfect judge of events would reach on this run: the share of the judged events
    that state a gold event, and the scores of the run less the steps judged no event."""
    judged = {(row["story"], row["article_id"], row["sentence_key"]): row["label"] for row in labels}
    by_id = {story["id"]: story for story in stories}
    events = unjudged = total = stating_gold = 0
    judged_only = []
    for timeline in timelines:
        story = by_id.get(timeline["story"], {})
        gold = gold_events(story) if "events" in story else []
        for step in _citing_read(timeline.get("steps", []), set(story.get("article_ids", []))):
            label = _label_of(step, timeline["story"], judged)
            if label is None:
                unjudged += 1
                continue
            total += 1
            if label == "event":
                events += 1
                stating_gold += any(states(step, event) for event in gold)
        if gold:
            kept = [s for s in timeline.get("steps", []) if _label_of(s, timeline["story"], judged) != "not"]
            judged_only.append(score_timeline({**timeline, "steps": kept}, story))
    only = summarize(judged_only)
    return {
        "steps_judged": total,
        "judged_events": round(events / total, 4) if total else None,
        "steps_unjudged": unjudged,
        "judged_events_stating_gold": round(stating_gold / events, 4) if events else None,
        "without_judged_non_events": {k: only[k] for k in ("event_recall", "step_precision", "dates_exact")},
    }


def _label_of(step: Record, story: str, judged: Mapping[tuple[str, str, str], str]) -> str | None:
    """The readers' label of `step`: that of its first labelled citation (None: no label names it)."""
    for citation in step.get("citations", []):
        key = (story, citation["article_id"], sentence_key(citation.get("quote") or ""))
        if key in judged:
            return judged[key]
    return None


def score_grouping(story_of: Mapping[str, str], gold: Sequence[Record]) -> dict[str, float | int | None]:
    """Story grouping against the gold stories, over pairs of their articles: recall is the share of
    pairs from one gold story put in one story, precision the share of pairs put in one story that are
    from one gold story (`story_of`: article id -> its story's id; articles the index lacks are left out).
    """
    gold_of: dict[str, str] = {}
    for story in gold:
        for article_id in story["article_ids"]:
            gold_of.setdefault(article_id, story["id"])
    known = sorted(a for a in gold_of if a in story_of)
    together = apart = merged = 0
    for i, a in enumerate(known):
        for b in known[i + 1 :]:
            same_gold, same = gold_of[a] == gold_of[b], story_of[a] == story_of[b]
            together += same_gold and same
            apart += same_gold and not same
            merged += same and not same_gold
    return {
        "articles": len(known),
        "pair_recall": round(together / (together + apart), 4) if together + apart else None,
        "pair_precision": round(together / (together + merged), 4) if together + merged else None,
    }
