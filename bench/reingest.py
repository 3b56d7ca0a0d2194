"""Re-ingesting a corpus: unchanged, and with 1 % of its articles changed, against the first ingest.

    python bench/reingest.py --articles ARTICLES.jsonl [--changed 0.01]

Three `qa ingest` runs as whole processes (model load and imports included, as a user waits for
them), on a fresh data dir, with the settings from the environment: the first ingest of the corpus,
the same corpus again, and a copy where a share of the articles have an added sentence. Prints each
run's wall time and peak memory, what each run embedded, and the ratios to the first ingest (issue 11:
unchanged >= 100x faster; 1 % changed re-embeds only those articles).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_UNCHANGED_SPEEDUP = 100


def _ingest(path: Path, data_dir: Path) -> tuple[float, float, dict[str, object]]:
    """Run `qa ingest --json` in its own process: wall seconds, peak MiB of the largest such process so
    far (the first ingest, when called first), its report."""
    started = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "qa",
        "ingest",
        str(path),
        "--data-dir",
        str(data_dir),
        "--json",
        "--quiet",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):  # 3: some records rejected, the rest ingested
        raise SystemExit(f"qa ingest failed ({done.returncode}):\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, largest child so far
    return seconds, peak / 1024, json.loads(done.stdout)


def _changed_copy(articles: Path, share: float, out: Path) -> int:
    """A copy of the corpus where `share` of the records have one sentence added; returns how many."""
    lines = articles.read_text(encoding="utf-8").splitlines()
    rng = random.Random(11)
    chosen = set(rng.sample(range(len(lines)), max(1, round(share * len(lines)))))
    with out.open("w", encoding="utf-8") as handle:
        for number, line in enumerate(lines):
            record = json.loads(line)
            if number in chosen:
                record["text"] += "\n\nThis article was updated with a correction."
            handle.write(json.dumps(record) + "\n")
    return len(chosen)


def main() -> None:
    """Print the three runs and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--changed", type=float, default=0.01, help="share of articles changed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsdesk-reingest-"))
    try:
        data = work / "data"
        first_s, first_mb, first = _ingest(args.articles, data)
        again_s, _, again = _ingest(args.articles, data)
        changed_path = work / "changed.jsonl"
        changed_count = _changed_copy(args.articles, args.changed, changed_path)
        changed_s, _, changed = _ingest(changed_path, data)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def counts(report: dict[str, object]) -> str:
        sizes = {key: len(report.get(key, [])) for key in ("added", "replaced", "unchanged", "rejected")}  # type: ignore[arg-type]
        return ", ".join(f"{key} {value}" for key, value in sizes.items())

    speedup = first_s / again_s
    verdict = "met" if speedup >= TARGET_UNCHANGED_SPEEDUP else "NOT met"
    print(f"first ingest:       {first_s:8.1f} s  ({counts(first)}); peak memory {first_mb:.0f} MiB")
    print(
        f"unchanged again:    {again_s:8.1f} s  ({counts(again)}); {speedup:.0f}x faster "
        f"(target >= {TARGET_UNCHANGED_SPEEDUP}x: {verdict})"
    )
    print(
        f"{changed_count} changed ({args.changed:.0%}): {changed_s:8.1f} s  ({counts(changed)}); "
        f"{first_s / changed_s:.0f}x faster than the first ingest"
    )


if __name__ == "__main__":
    main()
