"""The keyword index at 100k to 1M chunks: a small ingest's cost, search latency, memory.

    python bench/keyword_scale.py [--chunks 100000 300000 1000000] [--old-max 300000] [--questions 200]
                                  [--compare-uncached]

Generated chunks (a Zipf vocabulary of 20,000 made-up words, 150 words and a 6-word headline each, ten
per article, dates over three years) are written to a KeywordIndex file alone: no Chroma, no vectors
(a Chroma ingest at 1M takes longer than this box allows; see docs/PERFORMANCE.md). Per size it prints:
the first build from the stored words, then 1,000 new chunks written and the next search, with the
segmented index (this code) and with a full bm25s rebuild over every chunk's words (what every
write cost before; only up to --old-max chunks, it needs ~10 GB at 1M); keyword search p50/p95; and a
fresh process that opens the saved index (as `qa serve` does): its open time, resident memory, the
keyword arrays' bytes, and the vectors a Chroma index of this size would add (N x 384 x 4 bytes).
With --compare-uncached, search is also timed with the term weight cache off: once adding every term
at its rows (as before the cache) and once with common terms' dense vectors; and with the cache from
empty over distinct questions (cold: only words shared between questions hit) and again (warm).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import made_up_vocabulary, median_and_p95, opened_in_fresh_process  # noqa: E402  (bench/)

from qa.documents import ArticleInfo, Chunk  # noqa: E402
from qa.store import term_weights  # noqa: E402
from qa.store.keyword import KeywordIndex, _top_positive  # noqa: E402
from qa.text.words import keyword_tokens  # noqa: E402

WORDS_PER_CHUNK = 150  # as bench/retrieval_scale.py: a 200-token chunk less its overlap
CHUNKS_PER_ARTICLE = 10
ADDED = 1_000  # the small ingest: 100 articles
VECTOR_BYTES = 384 * 4  # all-MiniLM-L6-v2 float32


class _Corpus:
    """Generated articles, numbered from 0, made the same way for any run with the same seed."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.words = np.array(made_up_vocabulary(rng))
        ranks = np.arange(1, len(self.words) + 1)
        self.weights = (1 / ranks) / (1 / ranks).sum()
        self.rng = np.random.default_rng(seed)
        self.questions: list[str] = []

    def articles(self, first: int, count: int) -> list[tuple[ArticleInfo, str, list[Chunk]]]:
        """Articles `first` .. `first + count - 1`, as the store hands them to the keyword index."""
        picked = self.rng.choice(
            len(self.words), size=(count, CHUNKS_PER_ARTICLE, WORDS_PER_CHUNK), p=self.weights
        )
        days = self.rng.integers(0, 3 * 365, size=count)
        items = []
        for n in range(count):
            article_id = f"gen-{first + n}"
            texts = [" ".join(self.words[chunk]) for chunk in picked[n]]
            published = (date(2021, 1, 1) + timedelta(days=int(days[n]))).isoformat()
            info = ArticleInfo(
                id=article_id, title=" ".join(self.words[picked[n, 0, :6]]), published=published
            )
            chunks = [Chunk(f"{article_id}#{i}", article_id, i, t, 0, len(t)) for i, t in enumerate(texts)]
            items.append((info, f"hash-{first + n}", chunks))
            if len(self.questions) < 1000 and n % 5 == 0:
                self.questions.append(" ".join(texts[0].split()[20:28]) + "?")
        return items


def _old_full_rebuild(path: Path) -> tuple[float, float, Any, list[str]]:
    """Seconds to rebuild and save the whole bm25s matrix as the old index did after any write; the
    matrix's bytes; the model and its chunk ids, to time searches with."""
    from qa.text.bm25 import build_bm25

    started = time.perf_counter()
    with KeywordIndex(path)._db as db:
        rows = db.execute("SELECT chunk_id, words FROM chunks ORDER BY chunk_id")
        ids, words = zip(*((chunk_id, words.split()) for chunk_id, words in rows), strict=True)
    model = build_bm25(list(words))
    del words
    staging = Path(tempfile.mkdtemp(dir=path.parent))
    model.save(str(staging), show_progress=False)
    seconds = time.perf_counter() - started
    shutil.rmtree(staging)
    matrix = sum(model.scores[name].nbytes for name in ("data", "indices", "indptr"))
    return seconds, matrix, model, list(ids)


def _old_search(model: Any, ids: list[str], query: str) -> list[int]:
    """A search as the old index ran it on its bm25s matrix."""
    words = [w for w in keyword_tokens(query) if w in model.vocab_dict]
    return _top_positive(model.get_scores(words), 50, ids) if words else []


def _timed_searches(search: object, questions: list[str], count: int) -> tuple[float, float]:
    times = []
    for question in (questions * (count // len(questions) + 1))[:count]:
        started = time.perf_counter()
        search(question)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return median_and_p95(times)


def _cache_comparison(index: KeywordIndex, questions: list[str], count: int) -> None:
    """Search p50/p95 without the weight cache (scatter-adds only, then with dense adds), then cold, warm."""
    segments, dense_share = index.segments(), term_weights.DENSE_SHARE
    modes = [("no cache, scatter-add per row", 2.0, 0), ("no cache, dense common terms", dense_share, 0)]
    for label, share, limit in [*modes, ("cache cold (from empty)", dense_share, term_weights.CACHE_BYTES)]:
        term_weights.DENSE_SHARE, segments.weights = share, term_weights.WeightCache(limit)
        p50, p95 = _timed_searches(lambda q: index.search(q, 50), questions, count)
        print(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    p50, p95 = _timed_searches(lambda q: index.search(q, 50), questions, count)
    cache = segments.weights
    print(
        f"  cache warm (the same {count} questions again): p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
        f"cache holds {cache.held / 2**20:,.0f} MiB (limit {cache.limit / 2**20:,.0f}), "
        f"hits {cache.hits:,} / misses {cache.misses:,}"
    )
    term_weights.DENSE_SHARE = dense_share


def _measure(size: int, old_max: int, questions: int, compare: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="newsdesk-keyword-"))
    path = work / "words.sqlite"
    try:
        corpus, index = _Corpus(seed=size), KeywordIndex(path)
        started = time.perf_counter()
        articles = size // CHUNKS_PER_ARTICLE
        for first in range(0, articles, 1000):
            index.replace_many(corpus.articles(first, min(1000, articles - first)))
        write_s = time.perf_counter() - started
        started = time.perf_counter()
        index.search("volcano", 5)
        build_s = time.perf_counter() - started
        print(
            f"{size:>9,} chunks: written in {write_s:,.0f} s; "
            f"first build from the stored words {build_s:,.1f} s"
        )

        started = time.perf_counter()
        index.replace_many(corpus.articles(articles, ADDED // CHUNKS_PER_ARTICLE))
        added_s = time.perf_counter() - started
        started = time.perf_counter()
        index.search(corpus.questions[0], 5)
        next_s = time.perf_counter() - started
        parts = len(index.segments().parts)
        print(
            f"  +{ADDED:,} chunks: write {added_s:.2f} s, "
            f"next search {next_s:.2f} s (segments, {parts} parts)",
            end="",
        )
        if size <= old_max:
            old_s, old_bytes, model, ids = _old_full_rebuild(path)
            print(f"; old full rebuild {old_s:,.1f} s (matrix {old_bytes / 2**20:,.0f} MiB)")
            p50, p95 = _timed_searches(lambda q: _old_search(model, ids, q), corpus.questions, questions)
            print(f"  old search on the full bm25s matrix (k=50): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            del model, ids
        else:
            print("; old full rebuild not run (--old-max)")
        p50, p95 = _timed_searches(lambda q: index.search(q, 50), corpus.questions, questions)
        print(f"  keyword search (k=50) p50 {p50:.1f} ms, p95 {p95:.1f} ms over {questions} questions")
        if compare:
            _cache_comparison(index, corpus.questions, questions)

        opened = opened_in_fresh_process(path)
        keyword, rss = opened["keyword"], opened["rss"]
        print(
            f"  fresh process: open + first search {opened['open_s']:.1f} s ({opened['merges']:.0f} merges); "
            f"RSS {rss / 2**20:,.0f} MiB = keyword arrays {keyword / 2**20:,.0f} MiB + the rest "
            f"{(rss - keyword) / 2**20:,.0f} MiB "
            f"(of which {opened['before'] / 2**20:,.0f} MiB before opening); "
            f"vectors would add {(size + ADDED) * VECTOR_BYTES / 2**20:,.0f} MiB (N x 384 x 4 B, "
            "before HNSW)",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """One block of lines per index size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--old-max", type=int, default=300_000, help="largest size to run the old rebuild at")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--compare-uncached", action="store_true", help="also time search without the cache")
    args = parser.parse_args()
    for size in args.chunks:
        _measure(size, args.old_max, args.questions, args.compare_uncached)


if __name__ == "__main__":
    main()
