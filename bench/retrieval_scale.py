"""Hybrid retrieval latency as the index grows: p50/p95 per question at 10k, 100k, ... chunks.

    python bench/retrieval_scale.py [--chunks 10000 100000] [--server] [--questions 200]

Generated articles (a Zipf vocabulary of 20,000 made-up words, dates over three years, ten chunks
each) are ingested with the FAKE hashing embedder at 384 dimensions (store scaling does not depend
on what the vectors mean), into embedded Chroma, or with --server into a real `chroma run` started by
the script. Then generated questions are retrieved exactly as `qa ask` does (dense + keyword search,
fusion, time prior, duplicates) and timed after one warm-up question. Prints one line per size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import made_up_vocabulary, median_and_p95  # noqa: E402  (bench/, beside this script)

from qa.ports import free_port  # noqa: E402
from qa.store.chroma_server import ChromaServerProcess  # noqa: E402

WORDS_PER_CHUNK = (
    150  # the FAKE embedder's word pieces are words: 150 words fill a 200-token chunk less its overlap
)


def _write_corpus(path: Path, chunks: int, rng: random.Random) -> list[str]:
    """A JSONL corpus of about `chunks` chunks (ten per article); returns some word runs to ask about."""
    vocabulary = made_up_vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    first_day = date(2021, 1, 1)
    asked: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        for article in range(max(1, chunks // 10)):
            words = rng.choices(vocabulary, weights=weights, k=WORDS_PER_CHUNK * 10)
            sentences = [" ".join(words[i : i + 15]).capitalize() + "." for i in range(0, len(words), 15)]
            published = first_day + timedelta(days=rng.randrange(3 * 365))
            record = {
                "id": f"gen-{article}",
                "title": " ".join(words[:6]).capitalize(),
                "published": published.isoformat(),
                "text": " ".join(sentences),
            }
            out.write(json.dumps(record) + "\n")
            if len(asked) < 1000 and rng.random() < 0.2:
                start = rng.randrange(len(words) - 8)
                asked.append(" ".join(words[start : start + 8]) + "?")
    return asked


def _start_server(path: Path) -> ChromaServerProcess:
    server = ChromaServerProcess(path, host="127.0.0.1", port=free_port(), log_path=path.with_suffix(".log"))
    server.start()
    return server


def _measure(size: int, questions: int, server: bool) -> str:
    from qa.embedding.fake import FakeEmbedder
    from qa.service import NewsDesk
    from qa.settings import Settings

    rng = random.Random(size)
    work = Path(tempfile.mkdtemp(prefix="newsdesk-scale-"))
    server_process: ChromaServerProcess | None = None
    try:
        corpus = work / "corpus.jsonl"
        asked = _write_corpus(corpus, size, rng)
        overrides: dict[str, object] = {"data_dir": work / "data", "embedding_backend": "fake"}
        if server:
            server_process = _start_server(work / "chroma-server")
            overrides.update(chroma_host=server_process.client_host, chroma_port=server_process.port)
        desk = NewsDesk(Settings(**overrides), embedder=FakeEmbedder(dimension=384))  # type: ignore[arg-type]
        started = time.perf_counter()
        report = desk.ingest([corpus], progress=False)
        ingest_s = time.perf_counter() - started
        desk.evaluation().rank(
            asked[0], chunks=5
        )  # warm: loads the vector index and builds the keyword matrix
        times = []
        for question in (asked * (questions // len(asked) + 1))[:questions]:
            started = time.perf_counter()
            desk.evaluation().rank(question, chunks=5)
            times.append((time.perf_counter() - started) * 1000)
        p50, p95 = median_and_p95(times)
        where = "chroma server" if server else "embedded chroma"
        # Peak resident memory of this process so far (sizes run smallest first, so it is this size's).
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return (
            f"{report.chunks_written:>9,} chunks ({where}): retrieval p50 {p50:6.1f} "
            f"ms, p95 {p95:6.1f} ms over {len(times)} questions; ingest of a "
            f"{corpus.stat().st_size / 1e6:,.0f} MB JSONL file {ingest_s:,.0f} s; "
            f"peak memory {peak_mib:,.0f} MiB"
        )
    finally:
        if server_process is not None:
            server_process.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """One line per index size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--server", action="store_true", help="a real `chroma run` instead of embedded")
    args = parser.parse_args()
    for size in args.chunks:
        print(_measure(size, args.questions, args.server), flush=True)


if __name__ == "__main__":
    main()
