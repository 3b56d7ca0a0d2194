"""report.html: one self-contained page (inline CSS and SVG, no script), rendered from a Jinja2 template."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from qa.eval.metrics import CURVE_K, Record, timings
from qa.eval.scoring import judge_record
from qa.templating import template_environment

_SERIES = (("retrieval", "retrieval", "#1a73e8"), ("bm25", "BM25", "#e8710a"))


def render_report(records: Sequence[Record], summary: Mapping[str, Any]) -> str:
    """The report page: metric table, hit@k curve, latency histogram, failures, config."""
    answered = [r for r in records if "verdict" in r]
    if answered:
        histogram = histogram_geometry(timings("total", answered), "answer total, ms")
    else:
        histogram = histogram_geometry(timings("retrieval", records), "retrieval, ms")
    template = template_environment("qa.eval").get_template("report.html")
    return template.render(
        summary=summary,
        config=summary.get("config", {}),
        sections={
            section: summary.get(section) or {}
            for section in ("answer", "abstention", "citations", "latency_ms")
        },
        curve=hit_curve_geometry(summary.get("hit_curve", {})),
        histogram=histogram,
        failures=failures(records),
        number=number,
        as_json=json.dumps,
    )


def number(value: Any) -> str:
    """A metric for the table: 3 decimals below 10, thousands separators above, "–" for none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)


def hit_curve_geometry(curve: Mapping[str, Sequence[float | None]]) -> dict[str, Any]:
    """Where the hit@k curve's ticks, labels and lines go (k = 1..10, retrieval and BM25)."""
    width, height, left, bottom, top, right = 420, 260, 44, 34, 14, 110
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(k: int) -> float:
        return left + (k - 1) * plot_w / (CURVE_K - 1)

    def y(v: float) -> float:
        return top + (1 - v) * plot_h

    series = []
    for row, (key, label, color) in enumerate(_SERIES):
        values = curve.get(key) or []
        points = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in enumerate(values, start=1) if v is not None)
        series.append({"label": label, "color": color, "points": points, "legend_y": top + 14 + row * 18})
    return {
        "width": width,
        "height": height,
        "left": left,
        "plot_right": left + plot_w,
        "legend_x": width - right + 12,
        "ticks": [{"y": y(t), "label": f"{t:.2f}"} for t in (0, 0.25, 0.5, 0.75, 1.0)],
        "ks": [{"x": x(k), "label": k} for k in range(1, CURVE_K + 1)],
        "k_label_y": height - bottom + 16,
        "axis_x": left + plot_w / 2,
        "series": series,
    }


def histogram_geometry(values: Sequence[float], label: str, bins: int = 12) -> dict[str, Any]:
    """Bars of a latency histogram (`values` in ms), with their counts and the axis ends."""
    width, height, left, bottom, top = 420, 260, 40, 40, 14
    plot_w, plot_h = width - left - 14, height - top - bottom
    geometry: dict[str, Any] = {"width": width, "height": height, "label": label, "bars": []}
    if not values:
        return geometry
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        bar_h = count / max(counts) * plot_h
        geometry["bars"].append(
            {
                "x": left + i * bar_w + 1,
                "y": top + plot_h - bar_h,
                "w": bar_w - 2,
                "h": bar_h,
                "count": count,
                "label_x": left + (i + 0.5) * bar_w,
            }
        )
    geometry.update(
        left=left,
        right=left + plot_w,
        low=f"{low:,.0f}",
        high=f"{high:,.0f}",
        tick_y=height - bottom + 16,
        axis_x=left + plot_w / 2,
        axis_y=height - 6,
    )
    return geometry


def failures(records: Sequence[Record]) -> list[tuple[Record, str]]:
    """Questions answered wrongly, abstained on though answerable, or whose gold article missed the top 5."""
    found = []
    for record in records:
        if "error" in record:
            found.append((record, "error: " + str(record["error"])))
            continue
        reasons = _failure_reasons(record)
        if reasons:
            found.append((record, "; ".join(reasons)))
    return found


def _failure_reasons(record: Record) -> list[str]:
    answerable = bool(record.get("gold_ids"))
    reasons = []
    if "verdict" in record:
        verdict = judge_record(record)
        if record["abstained"]:
            if answerable:
                reasons.append("abstained on an answerable question")
        elif not verdict["correct"]:
            reasons.append("wrong answer" + (" (right by the lenient check)" if verdict["lenient"] else ""))
            if not answerable:
                reasons.append("no gold article: abstaining was expected")
    rank = record.get("gold_rank")
    if answerable and (rank is None or rank > 5):
        reasons.append("gold not in the top 5" + (f" (rank {rank})" if rank else ""))
    return reasons
