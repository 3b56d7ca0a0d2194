"""Run directories: results appended line by line, the config they were made with, resuming a run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.errors import EvalError
from qa.files import write_atomically

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
RUN_FILE = "run.json"
# Config keys that may change between a run and its resumption: they select questions, not how to score.
_SELECTION_KEYS = frozenset({"limit", "filter"})
# Recorded LLM settings that say how the model is run, not what it answers: a run resumes across them.
_RUNTIME_KEYS = frozenset({"llm_timeout_s", "llm_threads", "llm_log_level", "model_cache_dir", "llm_api_key"})


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Result lines by question id; a later line for the same id wins (a retried error)."""
    records: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash mid-write: that question is simply redone
            if isinstance(record, dict) and "id" in record:
                records[str(record["id"])] = record
    return records


def _comparable(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in _SELECTION_KEYS | _RUNTIME_KEYS}


def _same_run(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in _RUNTIME_KEYS}


def _find_resumable(root: Path, config: Mapping[str, Any]) -> Path | None:
    """The newest unfinished run under `root` made with exactly this config (so the same command resumes)."""
    if not root.is_dir():
        return None
    for run in sorted((p for p in root.iterdir() if (p / RUN_FILE).is_file()), reverse=True):
        try:
            saved = json.loads((run / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if _same_run(saved.get("config") or {}) == _same_run(config) and not saved.get("complete"):
            return run
    return None


def prepare_run_dir(out: Path | None, runs_root: Path, config: Mapping[str, Any]) -> Path:
    """Pick the run directory (given, resumable, or a new `runs/<UTC timestamp>`) and check its config."""
    if out is None:
        out = _find_resumable(runs_root, config)
        if out is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            out = runs_root / stamp
            suffix = 1
            while out.exists():
                suffix += 1
                out = runs_root / f"{stamp}-{suffix}"
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / RUN_FILE
    if run_file.exists():
        saved = json.loads(run_file.read_text(encoding="utf-8")).get("config", {})
        if _comparable(saved) != _comparable(config):
            changed = sorted(
                k
                for k in set(saved) | set(config)
                if k not in _SELECTION_KEYS | _RUNTIME_KEYS and saved.get(k) != config.get(k)
            )
            raise EvalError(
                f"{out} holds a run made with other settings ({', '.join(changed)} differ); its results "
                "can't be mixed with these. Use another --out directory, or the settings of that run."
            )
    elif (out / RESULTS_FILE).exists():
        raise EvalError(f"{out} has a {RESULTS_FILE} but no {RUN_FILE}; use another --out directory")
    write_run_file(out, config, complete=False)
    return out


def previous_index(out: Path) -> dict[str, Any]:
    """The index figures an earlier invocation recorded (kept when a resumed run had nothing left to do)."""
    try:
        return dict(json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8")).get("index") or {})
    except (OSError, json.JSONDecodeError):
        return {}


def write_run_file(out: Path, config: Mapping[str, Any], *, complete: bool) -> None:
    write_atomically(
        out / RUN_FILE, json.dumps({"config": dict(config), "complete": complete}, indent=2) + "\n"
    )
