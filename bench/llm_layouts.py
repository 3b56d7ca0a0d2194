"""Prompt reading and decoding speed of the local LLM in each weight layout, interleaved in one run.

    python bench/llm_layouts.py [--variants shipped q8_0 q4_0 q4_0_all q4_0,ubatch=256 shipped,threads=1]
                                [--prompts 3] [--rounds 2] [--prompt-tokens 700] [--decode-tokens 32]

Each variant is a weight layout of the packaged model (`shipped`, or one of `qa.llm.layouts.LAYOUTS`:
converted once into the model cache beside the assembled model, `NAME-as-LAYOUT.gguf`, with the time
and size printed) with optional llama.cpp settings: `ubatch=N` (n_ubatch, and n_batch at least as
large), `threads=N` (generation and batch threads), `batch_threads=N`. One llama.cpp server per variant
is started, all kept loaded, and every prompt goes to each in turn, the order rotating from one prompt
to the next, so a load change on this shared machine falls on all variants alike. A prompt is exactly
`--prompt-tokens` tokens of the user-question suite's articles (a different stretch each), sent as token
ids to `/completion` without the prompt cache, then `--decode-tokens` are generated (end of text
ignored). Figures are llama.cpp's own timings of each request; the ratios are the median of the
per-prompt ratios to the first variant (paired, so the shared machine's load cancels out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qa.llm.server import LocalLlamaServer  # noqa: E402

ARTICLES = REPO / "tests" / "data" / "user_suite" / "articles.jsonl"


class TunedServer(LocalLlamaServer):
    """The product's server with llama.cpp's batch settings set (the product leaves them at defaults)."""

    def __init__(self, gguf: Path, *, ubatch: int | None, batch_threads: int | None, **kwargs: Any) -> None:
        super().__init__(gguf, **kwargs)
        self.ubatch = ubatch
        self.batch_threads = batch_threads

    def _params(self, port: int) -> Any:
        params = super()._params(port)
        if self.ubatch:
            params.n_ubatch = self.ubatch
            params.n_batch = max(params.n_batch, self.ubatch)
        if self.batch_threads:
            params.cpuparams_batch.n_threads = self.batch_threads
        return params


@dataclass
class Variant:
    """One layout with its llama.cpp settings, its server and its measurements."""

    spec: str
    layout: str
    settings: dict[str, int]
    server: TunedServer | None = None

    @classmethod
    def parse(cls, spec: str) -> Variant:
        """`LAYOUT[,ubatch=N][,threads=N][,batch_threads=N]`."""
        layout, *options = spec.split(",")
        settings = {}
        for option in options:
            key, _, value = option.partition("=")
            if key not in ("ubatch", "threads", "batch_threads") or not value.isdigit():
                raise SystemExit(f"unknown option {option!r} in {spec!r}")
            settings[key] = int(value)
        return cls(spec, layout, settings)


def _model_file(layout: str) -> Path:
    """The packaged model's GGUF in `layout`: assembled (the product's cache), converted if need be."""
    from qa.files import path_atomically
    from qa.llm.layouts import LAYOUTS, convert_gguf
    from qa.llm.packaged import resolve_gguf
    from qa.settings import Settings

    settings = Settings()
    shipped = resolve_gguf(settings.llm_model, settings.model_cache_dir)
    if layout == "shipped":
        return shipped
    if layout not in LAYOUTS:
        raise SystemExit(f"unknown layout {layout!r}: shipped, {', '.join(LAYOUTS)}")
    converted = shipped.with_name(f"{shipped.stem}-as-{layout}.gguf")
    if not converted.exists():
        started = time.perf_counter()
        with path_atomically(converted) as temporary:
            convert_gguf(shipped, temporary, LAYOUTS[layout], progress=True)
        print(
            f"{layout}: converted {shipped.name} ({shipped.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - started:.0f} s to {converted.name} "
            f"({converted.stat().st_size / 1e6:,.0f} MB)"
        )
    return converted


def _completion(server: LocalLlamaServer, tokens: list[int], decode: int) -> dict[str, float]:
    body = {
        "prompt": tokens,
        "n_predict": decode,
        "cache_prompt": False,
        "ignore_eos": True,
        "temperature": 0.0,
    }
    request = urllib.request.Request(
        server.base_url + "/completion",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.api_key}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=900) as response:
        timings: dict[str, float] = json.loads(response.read())["timings"]
    return timings


def _token_stream(server: LocalLlamaServer) -> list[int]:
    records = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines() if line]
    text = "".join(f"<source>\n{r['title']}\n{r['text']}\n</source>\n" for r in records)
    request = urllib.request.Request(
        server.base_url + "/tokenize",
        data=json.dumps({"content": text}).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.api_key}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=60) as response:
        tokens: list[int] = json.loads(response.read())["tokens"]
    return tokens


def main() -> None:
    """Start a server per variant, send every prompt to each in turn, print speeds and paired ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", nargs="+", default=["shipped", "q8_0", "q4_0", "q4_0_all"])
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=700)
    parser.add_argument("--decode-tokens", type=int, default=32)
    args = parser.parse_args()

    variants = [Variant.parse(spec) for spec in args.variants]
    files = {layout: _model_file(layout) for layout in dict.fromkeys(v.layout for v in variants)}
    for variant in variants:
        threads = variant.settings.get("threads", 2)
        variant.server = TunedServer(
            files[variant.layout],
            threads=threads,
            ubatch=variant.settings.get("ubatch"),
            batch_threads=variant.settings.get("batch_threads"),
        )
        variant.server.start()

    stream = _token_stream(variants[0].server)  # type: ignore[arg-type]
    count = args.prompt_tokens
    if len(stream) < count + args.prompts * args.rounds:
        raise SystemExit(f"the articles give {len(stream)} tokens, too few for {count}-token prompts")
    stride = (len(stream) - count) // max(1, args.prompts * args.rounds - 1)
    print(
        f"{len(variants)} variants, {args.prompts * args.rounds} prompts of {count} tokens each "
        f"({args.rounds} rounds), {args.decode_tokens} tokens decoded, in turn"
    )

    rows: dict[str, list[dict[str, float]]] = {v.spec: [] for v in variants}
    for n in range(args.prompts * args.rounds):
        tokens = stream[n * stride : n * stride + count]
        order = variants[n % len(variants) :] + variants[: n % len(variants)]
        for variant in order:
            assert variant.server is not None
            timings = _completion(variant.server, tokens, args.decode_tokens)
            rows[variant.spec].append(timings)
            print(
                f"  prompt {n + 1} {variant.spec:>22}: read {timings['prompt_n']:.0f} tokens at "
                f"{timings['prompt_per_second']:.1f}/s, decoded at {timings['predicted_per_second']:.1f}/s",
                flush=True,
            )
    for variant in variants:
        assert variant.server is not None
        variant.server.close()

    base = rows[variants[0].spec]
    print(f"\n| variant | prompt tok/s | × {variants[0].spec} | decode tok/s | × {variants[0].spec} |")
    print("|---|---|---|---|---|")
    for variant in variants:
        mine = rows[variant.spec]
        reading = statistics.median(r["prompt_per_second"] for r in mine)
        decoding = statistics.median(r["predicted_per_second"] for r in mine)
        read_ratio = statistics.median(
            m["prompt_per_second"] / b["prompt_per_second"] for m, b in zip(mine, base, strict=True)
        )
        decode_ratio = statistics.median(
            m["predicted_per_second"] / b["predicted_per_second"] for m, b in zip(mine, base, strict=True)
        )
        print(f"| {variant.spec} | {reading:.1f} | {read_ratio:.2f} | {decoding:.1f} | {decode_ratio:.2f} |")


if __name__ == "__main__":
    main()
