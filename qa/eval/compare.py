"""Two runs side by side: every metric with its delta, then the settings that differ."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qa.errors import EvalError
from qa.eval.rundir import SUMMARY_FILE

_NOT_METRICS = frozenset({"config", "index", "hit_curve", "updated", "selected", "complete"})


def flatten_metrics(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """Numeric summary values as `section.metric` keys (config and curves left out)."""
    flat: dict[str, float | None] = {}
    for key, value in summary.items():
        if key in _NOT_METRICS:
            continue
        if isinstance(value, Mapping):
            for inner, number in value.items():
                if number is None or (isinstance(number, int | float) and not isinstance(number, bool)):
                    flat[f"{key}.{inner}"] = number
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[key] = value
    return flat


def compare_runs(run_a: Path, run_b: Path) -> str:
    """A table of every metric of two runs with the delta B - A, then the config keys that differ."""
    summaries = []
    for run in (run_a, run_b):
        path = run / SUMMARY_FILE if run.is_dir() else run
        try:
            summaries.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise EvalError(f"cannot read {path}: {exc}") from exc
    a, b = (flatten_metrics(s) for s in summaries)
    rows = [("metric", str(run_a), str(run_b), "delta (B-A)")]
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        delta = "" if va is None or vb is None else _fmt(vb - va, signed=True)
        rows.append((key, _fmt(va), _fmt(vb), delta))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    config_a, config_b = (s.get("config", {}) for s in summaries)
    differing = [
        k
        for k in list(config_a) + [k for k in config_b if k not in config_a]
        if config_a.get(k) != config_b.get(k)
    ]
    if differing:
        lines.append("")
        lines.append("config differences:")
        lines += [f"  {k}: {config_a.get(k)!r} -> {config_b.get(k)!r}" for k in differing]
    return "\n".join(lines)


def _fmt(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not signed:
        return str(value)
    text = f"{value:+.4f}" if signed else f"{value:.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
