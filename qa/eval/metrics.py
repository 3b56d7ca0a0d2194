"""Retrieval metrics (hit@k, MRR@k) and the run summary, from result lines; pure functions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qa.eval.judging import declined_with_evidence, judgment_curve, per_week, truthfulness
from qa.eval.scoring import citation_validity, judge_record

HIT_KS = (1, 3, 5, 10)
MRR_K = 10
CURVE_K = 10

Record = Mapping[str, Any]


def rank_articles(hits: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Article ids in the order of their best chunk, each once, with that chunk's score."""
    ranked: dict[str, float] = {}
    for article_id, score in hits:
        ranked.setdefault(article_id, score)
    return list(ranked.items())


def first_gold_rank(ranked_ids: Sequence[str], gold_ids: Iterable[str]) -> int | None:
    """1-based rank of the first gold article, None when none was retrieved."""
    gold = set(gold_ids)
    return next((rank for rank, article_id in enumerate(ranked_ids, start=1) if article_id in gold), None)


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions with a gold article in the top `k` (None for no questions)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Mean reciprocal rank, counting a gold article below rank `k` as not found."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def retrieval_metrics(ranks: Sequence[int | None]) -> dict[str, float | None]:
    """hit@1/3/5/10 and MRR@10 for a list of first-gold ranks."""
    metrics = {f"hit@{k}": rounded(hit_at(ranks, k)) for k in HIT_KS}
    metrics[f"mrr@{MRR_K}"] = rounded(mrr_at(ranks, MRR_K))
    return metrics


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 4) -> float | None:
    """`value` rounded for the summary (None stays None)."""
    return None if value is None else round(value, digits)


def _rate(flags: Sequence[bool]) -> float | None:
    return rounded(sum(flags) / len(flags)) if flags else None


def _by_type(answered: Sequence[Record]) -> dict[str, dict[str, Any]]:
    """Questions across articles, per kind ("comparison", "order", ...): how many, and the share right."""
    kinds: dict[str, list[bool]] = {}
    for record in answered:
        kinds.setdefault(record.get("type") or "untyped", []).append(bool(judge_record(record)["correct"]))
    return {
        kind: {"questions": len(right), "accuracy": rounded(sum(right) / len(right))}
        for kind, right in sorted(kinds.items())
    }


def summarize(records: Sequence[Record], config: Mapping[str, Any]) -> dict[str, Any]:
    """Aggregate result lines into the `summary.json` metrics (see docs/EVALUATION.md)."""
    scored = [r for r in records if "error" not in r]
    answerable = [r for r in scored if r.get("gold_ids")]
    ranks_found = [r.get("gold_rank") for r in answerable]
    bm25_ranks = [r.get("bm25", {}).get("gold_rank") for r in answerable]
    answered = [r for r in scored if "verdict" in r]
    return {
        "questions": len(scored),
        "answerable": len(answerable),
        "no_gold": len(scored) - len(answerable),
        "errors": len(records) - len(scored),
        "retrieval": retrieval_metrics(ranks_found),
        "bm25": retrieval_metrics(bm25_ranks),
        "retrieval_stating": retrieval_metrics([r.get("stating_rank") for r in answerable]),
        "bm25_stating": retrieval_metrics([r.get("bm25", {}).get("stating_rank") for r in answerable]),
        "hit_curve": {
            "retrieval": [rounded(hit_at(ranks_found, k)) for k in range(1, CURVE_K + 1)],
            "bm25": [rounded(hit_at(bm25_ranks, k)) for k in range(1, CURVE_K + 1)],
        },
        "answer": _answer_section(answered),
        **({"by_type": _by_type(answered)} if any(r.get("type") for r in answered) else {}),
        "judgment": {
            "truthfulness": truthfulness(answered),
            "declined_with_evidence": declined_with_evidence(answered),
            "per_week": per_week(answered),
            "curve": judgment_curve(answered),
        }
        if answered
        else {},
        "abstention": _abstention_section(scored, answered),
        "citations": _citation_section(answered),
        "latency_ms": _latency_section(scored, answered),
        "config": dict(config),
    }


def _answer_section(answered: Sequence[Record]) -> dict[str, float | None]:
    # Correctness is judged again from the recorded answers, so a scoring fix applies to earlier lines too.
    judged = {r["id"]: judge_record(r) for r in answered}
    answerable = [r for r in answered if r.get("gold_ids")]
    no_gold = [r for r in answered if not r.get("gold_ids")]
    free = [r for r in answerable if judged[r["id"]]["mode"] == "free"]
    return {
        "accuracy_answerable": _rate([judged[r["id"]]["correct"] for r in answerable]),
        "accuracy_all": _rate([judged[r["id"]]["correct"] for r in answered]),
        "accuracy_no_gold": _rate([judged[r["id"]]["correct"] for r in no_gold]),
        "lenient_accuracy_answerable": _rate([judged[r["id"]]["lenient"] for r in answerable]),
        "f1_answerable": rounded(sum(judged[r["id"]]["f1"] for r in free) / len(free)) if free else None,
    }


def _abstention_section(scored: Sequence[Record], answered: Sequence[Record]) -> dict[str, Any]:
    reasons = [r.get("abstain_reason") or "unrecorded" for r in answered if r["abstained"]]
    return {
        # How many abstentions each rule made: period_not_covered, no_relevant_passage, model_declined.
        **{f"abstained_by_{reason}": reasons.count(reason) for reason in sorted(set(reasons))},
        "no_gold_abstain_rate": _rate([bool(r["abstained"]) for r in answered if not r.get("gold_ids")]),
        "answerable_abstain_rate": _rate([bool(r["abstained"]) for r in answered if r.get("gold_ids")]),
        "no_gold_below_min_score": _rate(
            [bool(r.get("below_min_score")) for r in scored if not r.get("gold_ids")]
        ),
        "answerable_below_min_score": _rate(
            [bool(r.get("below_min_score")) for r in scored if r.get("gold_ids")]
        ),
    }


def _citation_section(answered: Sequence[Record]) -> dict[str, float | int | None]:
    valid = sum(r["verdict"]["valid_markers"] for r in answered)
    invalid = sum(r["verdict"]["invalid_markers"] for r in answered)
    cited = sum(len(r.get("cited_articles", [])) for r in answered)
    supported = sum(len(r["verdict"]["cited_supported"]) for r in answered)
    llm_answers = [r for r in answered if r.get("llm_called")]
    quotes = [supported for r in answered for supported in quote_support(r)]
    return {
        "validity": rounded(citation_validity(valid, invalid)),
        # Share of citations whose quote holds every name and number the claim adds to the question.
        "quote_support": _rate(quotes),
        "quotes": len(quotes),
        "precision": rounded(supported / cited) if cited else None,
        "answers_with_invalid": _rate([r["verdict"]["invalid_markers"] > 0 for r in llm_answers]),
        "markers": valid + invalid,
        "invalid_markers": invalid,
        "cited_articles": cited,
    }


def quote_support(record: Record) -> list[bool]:
    """Per recorded citation of a shown answer: does its quote hold the names and numbers of the claim?"""
    if record.get("abstained"):
        return []
    return [bool(c["supported"]) for c in record.get("citations", []) if "supported" in c]


def timings(key: str, records: Iterable[Record]) -> list[float]:
    """The `timings_ms[key]` values of the records that have one."""
    return [float(r["timings_ms"][key]) for r in records if r.get("timings_ms", {}).get(key) is not None]


def _latency_section(scored: Sequence[Record], answered: Sequence[Record]) -> dict[str, float | None]:
    answer_totals = timings("total", answered)
    first_tokens = timings("first_token", answered)
    retrievals = timings("retrieval", scored)
    llm_answers = [r for r in answered if r.get("llm_called")]
    prompt_tokens = [float(r["prompt_tokens"]) for r in llm_answers if r.get("prompt_tokens") is not None]
    return {
        "retrieval_p50": rounded(percentile(retrievals, 50), 1),
        "retrieval_p95": rounded(percentile(retrievals, 95), 1),
        "answer_p50": rounded(percentile(answer_totals, 50), 1),
        "answer_p95": rounded(percentile(answer_totals, 95), 1),
        "first_token_p50": rounded(percentile(first_tokens, 50), 1),
        "first_token_p95": rounded(percentile(first_tokens, 95), 1),
        "tokens_per_s_p50": rounded(percentile(timings("tokens_per_s", llm_answers), 50), 2),
        "prompt_tokens_p50": rounded(percentile(prompt_tokens, 50), 1),
        "prompt_tokens_p95": rounded(percentile(prompt_tokens, 95), 1),
    }
