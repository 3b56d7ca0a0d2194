"""Hybrid retrieval latency as the index grows: p50/p95 per question at 10k, 100k, ... chunks.

    python bench/retrieval_scale.py [--chunks 10000 100000] [--server] [--questions 200]
    python bench/retrieval_scale.py --chunks 1000000 --keep DIR     # build once, keep the index in DIR
    python bench/retrieval_scale.py --reuse DIR [--server]          # measure again on that index

Generated articles (a Zipf vocabulary of 20,000 made-up words, dates over three years, ten chunks
each) are ingested with the FAKE hashing embedder at 384 dimensions (store scaling does not depend
on what the vectors mean), into embedded Chroma, or with --server into a real `chroma run` started by
the script. Then generated questions are retrieved exactly as `qa ask` does (dense + keyword search,
fusion, time prior, duplicates) and timed after one warm-up question. Prints one line per size, with
the process's resident memory before and after the warm-up question (which loads the vector index and
the keyword arrays) and, from a separate process, the keyword arrays' own size, so that the index's
memory can be split into vectors and keyword arrays.

A 1M-chunk ingest takes about an hour here: `--keep` leaves the index (and the questions) in a folder,
and `--reuse` measures on it again, embedded or through a `chroma run` server serving the same files.
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

from shared import made_up_vocabulary, median_and_p95, opened_in_fresh_process  # noqa: E402  (bench/)

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


def _rss_mib(pid: int | str = "self") -> float:
    """A process's resident memory now (not its peak): this one's by default."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def _measure(size: int, questions: int, server: bool, work: Path, reuse: bool) -> str:
    from qa.embedding.fake import FakeEmbedder
    from qa.service import NewsDesk
    from qa.settings import Settings

    settings = Settings(data_dir=work / "data", embedding_backend="fake")  # type: ignore[call-arg]
    server_process: ChromaServerProcess | None = None
    try:
        if reuse:
            asked = json.loads((work / "questions.json").read_text())
        else:
            asked = _write_corpus(work / "corpus.jsonl", size, random.Random(size))
            (work / "questions.json").write_text(json.dumps(asked))
        if server:  # a `chroma run` serving the very files the embedded mode uses
            server_process = _start_server(settings.chroma_path)
            settings = settings.model_copy(
                update={"chroma_host": server_process.client_host, "chroma_port": server_process.port}
            )
        desk = NewsDesk(settings, embedder=FakeEmbedder(dimension=384))
        ingest = ""
        if not reuse:
            started = time.perf_counter()
            report = desk.ingest([work / "corpus.jsonl"], progress=False)
            ingest = f"; ingest of {report.chunks_written:,} chunks {time.perf_counter() - started:,.0f} s"
        before = _rss_mib()
        desk.evaluation().rank(asked[0], chunks=5)  # warm: loads the vector index and the keyword arrays
        after = _rss_mib()
        times = []
        for question in (asked * (questions // len(asked) + 1))[:questions]:
            started = time.perf_counter()
            desk.evaluation().rank(question, chunks=5)
            times.append((time.perf_counter() - started) * 1000)
        p50, p95 = median_and_p95(times)
        chunks = desk.stats().chunks
        keyword_file = settings.data_dir / "keyword" / f"{settings.collection}.sqlite"
        keyword = (
            opened_in_fresh_process(keyword_file)["keyword"] / 2**20
        )  # the arrays a serving process holds
        return (
            f"{chunks:>9,} chunks ({'chroma server' if server else 'embedded chroma'}): retrieval p50 "
            f"{p50:6.1f} ms, p95 {p95:6.1f} ms over {len(times)} questions{ingest}; this process's "
            f"memory {before:,.0f} MiB before the first question, {after:,.0f} MiB after it (the "
            f"keyword arrays {keyword:,.0f} MiB of it), peak {_peak_mib():,.0f} MiB"
            + (f"; the server process {_rss_mib(server_process.pid):,.0f} MiB" if server_process else "")
        )
    finally:
        if server_process is not None:
            server_process.stop()


def _peak_mib() -> float:
    # Peak resident memory of this process so far (sizes run smallest first, so it is this size's).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """One line per index size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--server", action="store_true", help="a real `chroma run` instead of embedded")
    parser.add_argument("--keep", type=Path, help="build the (one) size in this folder and keep it")
    parser.add_argument("--reuse", type=Path, help="measure on an index kept by --keep; no ingest")
    args = parser.parse_args()
    if args.reuse:
        print(_measure(0, args.questions, args.server, args.reuse, reuse=True), flush=True)
        return
    if args.keep and len(args.chunks) != 1:
        parser.error("--keep builds one size: give --chunks one number")
    for size in args.chunks:
        work = args.keep or Path(tempfile.mkdtemp(prefix="newsdesk-scale-"))
        work.mkdir(parents=True, exist_ok=True)
        try:
            print(_measure(size, args.questions, args.server, work, reuse=False), flush=True)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
