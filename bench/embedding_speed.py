"""Embedding throughput: plain sentence-transformers against the product's embedders, as whole processes.

    python bench/embedding_speed.py [--articles 200] [--repeats 3] [--calls 64 256]
                                    [--backends sentence-transformers onnx-fp32 onnx-int8]

The texts are what the product embeds for the first N dev articles (its own loading, cleaning,
chunking and headline prefix). Each variant runs in a fresh process, one after another in turn,
`--repeats` times; the medians are printed:

- plain ST: `SentenceTransformer(bundled MiniLM).encode(texts, batch_size=32)`, torch fp32, one call;
- each product backend: `create_embedder(settings).embed(...)` in calls of EMBED_BATCH_CHUNKS, as the
  ingest makes them.

chunks/s counts the embedding alone; the process column is the whole run (interpreter, imports, model
load, embedding), timed from outside. Any int8 export is made before timing starts (it happens once).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_ARTICLES = REPO / "eval-data" / "realtimeqa-2023" / "articles.jsonl"  # scripts/build_eval_sets.py
PLAIN = "plain-st"
MFLOP_PER_TOKEN = 24  # MiniLM-L6: 2 x 10.6M weights per token + attention at ~200 tokens (fp32-equivalent)


def _product_texts(articles_file: Path, limit: int) -> list[str]:
    """The chunk texts the product would embed for the first `limit` articles of `articles_file`."""
    from qa.chunking import chunk_article
    from qa.cleaning import clean_article
    from qa.documents import Rejected
    from qa.embedding import create_embedder
    from qa.indexing import chunking_config, embedding_texts
    from qa.loaders import iter_raw_articles
    from qa.settings import Settings

    settings = Settings(_env_file=None, embedding_backend="sentence-transformers")  # type: ignore[call-arg]
    embedder = create_embedder(settings)
    chunking = chunking_config(settings, embedder)
    texts: list[str] = []
    articles = 0
    for item in iter_raw_articles([articles_file]):
        article = item if isinstance(item, Rejected) else clean_article(item)
        if isinstance(article, Rejected):
            continue
        chunks = chunk_article(article, chunking, embedder.token_offsets)
        texts += embedding_texts(article, chunks, settings, embedder)
        articles += 1
        if articles == limit:
            break
    return texts


def _worker(variant: str, texts_file: Path, call: int) -> None:
    """Load one variant, embed the texts, print what the embedding alone took (JSON)."""
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    if variant == PLAIN:
        from sentence_transformers import SentenceTransformer

        from qa.embedding.sentence_transformer import resolve_model_location

        model = SentenceTransformer(resolve_model_location("all-MiniLM-L6-v2"), device="cpu")
        started = time.perf_counter()
        model.encode(texts, batch_size=32, show_progress_bar=False)
    else:
        from qa.embedding import create_embedder
        from qa.settings import Settings

        embedder = create_embedder(Settings(_env_file=None, embedding_backend=variant))  # type: ignore[call-arg]
        started = time.perf_counter()
        for start in range(0, len(texts), call):
            embedder.embed(texts[start : start + call])
    print(json.dumps({"embed_s": time.perf_counter() - started}))


def _run(variant: str, call: int, texts_file: Path) -> tuple[float, float]:
    """(embedding seconds, whole-process seconds) of one fresh process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--worker", variant, "--call", str(call), "--texts", str(texts_file)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["embed_s"]), wall


def _token_count(texts: list[str]) -> int:
    from tokenizers import Tokenizer

    from qa.embedding.sentence_transformer import resolve_model_location

    tokenizer = Tokenizer.from_file(str(Path(resolve_model_location("all-MiniLM-L6-v2")) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


def main() -> None:
    """A table: chunks/s, ratio to plain sentence-transformers, whole-process seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="first N dev articles (default 200)")
    parser.add_argument("--articles-file", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["sentence-transformers", "onnx-int8"])
    parser.add_argument(
        "--calls",
        type=int,
        nargs="+",
        help="texts per embed() call of the product (default: the ingest's EMBED_BATCH_CHUNKS)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--call", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.texts, args.call)
        return

    os.environ["HF_HUB_OFFLINE"] = "1"  # proves that nothing is fetched
    texts = _product_texts(args.articles_file, args.articles)
    tokens = _token_count(texts)
    from qa.embedding import create_embedder
    from qa.settings import Settings

    for backend in args.backends:  # makes any one-off export now, outside the timings
        create_embedder(Settings(_env_file=None, embedding_backend=backend))  # type: ignore[call-arg]
    from qa.indexing import EMBED_BATCH_CHUNKS

    calls = args.calls or [EMBED_BATCH_CHUNKS]
    variants = [(PLAIN, len(texts))] + [(b, c) for b in args.backends for c in calls]
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory() as work:
        texts_file = Path(work) / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        for _ in range(args.repeats):
            for variant, call in variants:  # interleaved: a slow spell of the machine hits all alike
                runs[variant, call].append(_run(variant, call, texts_file))
    print(
        f"{len(texts):,} chunks ({tokens:,} tokens, {tokens / len(texts):.0f} a chunk) of the first "
        f"{args.articles} articles; median of {args.repeats} runs each, {os.cpu_count()} CPUs"
    )
    plain_embed = statistics.median(e for e, _ in runs[variants[0]])
    plain_wall = statistics.median(w for _, w in runs[variants[0]])
    print(f"{'variant':<40} {'chunks/s':>9} {'ratio':>6} {'GFLOP/s':>8} {'process s':>10} {'ratio':>6}")
    for variant, call in variants:
        embed = statistics.median(e for e, _ in runs[variant, call])
        wall = statistics.median(w for _, w in runs[variant, call])
        name = "plain sentence-transformers fp32" if variant == PLAIN else f"product {variant}, {call}/call"
        print(
            f"{name:<40} {len(texts) / embed:9.1f} {plain_embed / embed:5.2f}x "
            f"{tokens * MFLOP_PER_TOKEN / 1000 / embed:8.1f} {wall:10.1f} {plain_wall / wall:5.2f}x"
        )


if __name__ == "__main__":
    main()
