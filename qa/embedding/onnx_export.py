"""Export a sentence-transformers model to an ONNX file once, from the local copy, into a cache dir.

torch -> ONNX (the legacy TorchScript exporter, which needs no extra packages) -> ONNX Runtime's BERT
graph fusion -> for int8, ONNX Runtime dynamic quantisation (int8 weights, per channel); for fp32, the
fused graph as it is. Pooling and normalisation are part of the graph, so the runtime needs only
onnxruntime and tokenizers, not torch.
The export is written to a temporary directory and renamed into place: a crash leaves no half export.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qa.embedding.onnx_session import META_FILE, MODEL_FILE, TOKENIZER_FILE, OnnxSession
from qa.errors import EmbeddingModelNotAvailable
from qa.files import directory_atomically

log = logging.getLogger(__name__)

# Bump when the recipe below changes: the cache key changes with it, so an old export is not reused.
EXPORT_FORMAT = 1
_LOCK_TIMEOUT_S = 600.0  # an export takes ~20 s on two cores; a lock held this long means something is wrong
FP32_RECIPE = "fp32"  # no quantisation: the fused graph, vectors equal to torch's to ~1e-6
_MIN_COSINE = 0.97  # the int8 graph against torch on a few sentences: lower means a broken export
_MIN_COSINE_FP32 = 0.9999  # the same fp32 arithmetic in another order: anything lower is a broken graph
_CHECK_TEXTS = (
    "The central bank raised interest rates by a quarter point on Wednesday.",
    "Firefighters contained the wildfire after three days, officials said.",
    "Quarterly revenue beat analysts' expectations, sending the shares up 8%.",
)


def quantization_recipe(cpu_flags: set[str] | None = None) -> str:
    """`vnni` (signed int8 weights) where the CPU has VNNI, else `avx2` (unsigned: no u8 x s8 overflow).

    Without VNNI, ONNX Runtime multiplies uint8 activations by int8 weights with an instruction that
    saturates its 16-bit sums, which costs accuracy; uint8 weights avoid it, at some speed.
    """
    flags = _cpu_flags() if cpu_flags is None else cpu_flags
    return "vnni" if flags & {"avx512_vnni", "avx_vnni"} else "avx2"


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()  # not Linux: the safe recipe
    match = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def export_kind(recipe: str) -> str:
    """`fp32`, or `int8-<recipe>`: what an export directory's name and the log lines call it."""
    return FP32_RECIPE if recipe == FP32_RECIPE else f"int8-{recipe}"


def export_dir(name: str, location: str, cache_root: Path, recipe: str) -> Path:
    """Where the ONNX export of model `name` (loaded from `location`) lives: one directory per source."""
    # The key follows the source files, so a reinstalled or retrained model at the same path re-exports.
    key = hashlib.sha256(f"{EXPORT_FORMAT}|{recipe}|{location}|{_fingerprint(location)}".encode())
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name) or "model"
    return cache_root / f"{slug}-onnx-{export_kind(recipe)}-{key.hexdigest()[:12]}"


def _fingerprint(location: str) -> str:
    path = Path(location)
    if not path.is_dir():
        return ""  # a hub name: its cached snapshot is immutable
    return ";".join(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(path.iterdir()) if p.is_file()
    )


def ensure_int8_export(name: str, location: str, cache_root: Path) -> Path:
    """The directory holding the int8 export of `name` for this CPU: made once, reused afterwards."""
    return ensure_export(name, location, cache_root, quantization_recipe())


def ensure_export(name: str, location: str, cache_root: Path, recipe: str) -> Path:
    """The directory holding the `recipe` export of `name`: made once (under a lock), reused afterwards."""
    from filelock import FileLock, Timeout

    dest = export_dir(name, location, cache_root, recipe)
    if _complete(dest):
        return dest
    lock = FileLock(str(dest.with_name(dest.name + ".lock")))
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=_LOCK_TIMEOUT_S)
    except Timeout as exc:  # before OSError: filelock's Timeout is one
        raise EmbeddingModelNotAvailable(
            f"timed out after {_LOCK_TIMEOUT_S:.0f} s waiting for {lock.lock_file}: another process seems "
            "stuck exporting the same embedding model"
        ) from exc
    except OSError as exc:
        raise EmbeddingModelNotAvailable(
            f"cannot write the ONNX export of {name} under {cache_root}: {exc}. Set QA_MODEL_CACHE_DIR "
            "to a writable directory, or use QA_EMBEDDING_BACKEND=sentence-transformers"
        ) from exc
    try:
        if not _complete(dest):  # checked again under the lock: another process may have just made it
            _export_atomically(name, location, dest, recipe)
    finally:
        lock.release()
    return dest


def _complete(dest: Path) -> bool:
    return all((dest / f).is_file() for f in (MODEL_FILE, TOKENIZER_FILE, META_FILE))


def _export_atomically(name: str, location: str, dest: Path, recipe: str) -> None:
    # A warning, not info: the first run pauses for this, and a silent pause looks like a hang.
    kind = export_kind(recipe)
    log.warning("Exporting embedding model %s to %s ONNX once, into %s (about 20 s)", name, kind, dest)
    started = time.perf_counter()
    with directory_atomically(dest) as staging:  # an incomplete one left by hand or an older version goes
        _export(location, staging, recipe)
    log.warning("Exported %s in %.0f s", dest.name, time.perf_counter() - started)


def _export(location: str, out: Path, recipe: str) -> None:
    """Export, fuse, quantise (unless fp32) and check the model into `out`, with tokenizer and metadata."""
    model = _load_torch_model(location)
    tokenizer: Any = model.tokenizer
    wanted = set(tokenizer.model_input_names)
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in wanted]
    fp32 = out / "fp32.onnx"
    _to_onnx(model, input_names, fp32)
    fused = _fuse(fp32, model[0].auto_model.config, out / "fp32-fused.onnx")
    if recipe == FP32_RECIPE:
        fused.replace(out / MODEL_FILE)
    else:
        _quantize(fused, out / MODEL_FILE, recipe)
    for leftover in out.glob("fp32*"):
        leftover.unlink()
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))  # the very tokenizer torch uses
    meta = {
        "format": EXPORT_FORMAT,
        "source": location,
        "recipe": recipe,
        "inputs": input_names,
        "dimension": int(model.get_embedding_dimension() or 0),
        "max_seq_length": int(model.max_seq_length),
        "pad_token_id": int(tokenizer.pad_token_id),
        "special_tokens": int(tokenizer.num_special_tokens_to_add(pair=False)),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    _check_against_torch(model, out, _MIN_COSINE_FP32 if recipe == FP32_RECIPE else _MIN_COSINE)


def _load_torch_model(location: str) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # the per-weight bar; the export has its own log lines
    try:
        model = SentenceTransformer(location, device="cpu")
    except Exception as exc:  # OSError, HF hub errors, ValueError: all mean "can't load this model"
        raise EmbeddingModelNotAvailable(
            f"cannot load embedding model {location!r} to export it: {exc}"
        ) from exc
    auto_model = getattr(model[0], "auto_model", None)
    if auto_model is None or model.max_seq_length is None:
        raise EmbeddingModelNotAvailable(
            f"model {location!r} is not a plain transformer encoder; use QA_EMBEDDING_BACKEND="
            "sentence-transformers for it"
        )
    # The explicit attention graph is what ONNX Runtime's fusion recognises (SDPA's is not fused).
    auto_model.set_attn_implementation("eager")
    return model.eval()


def _to_onnx(model: Any, input_names: list[str], path: Path) -> None:
    import torch

    class _Embed(torch.nn.Module):
        """The whole sentence-transformers pipeline (encoder, pooling, normalisation) as one graph."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features = dict(zip(input_names, tensors, strict=True))
            return torch.nn.functional.normalize(self.model(features)["sentence_embedding"], p=2, dim=1)

    sample = model.tokenizer(["a sample sentence", "another, longer sample sentence"], padding=True)
    args = tuple(torch.tensor(sample[n]) for n in input_names)
    axes = {n: {0: "batch", 1: "sequence"} for n in input_names} | {"sentence_embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer warnings
        torch.onnx.export(
            _Embed(),
            args,
            str(path),
            input_names=input_names,
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _fuse(path: Path, config: Any, out: Path) -> Path:
    """ONNX Runtime's BERT fusion (attention, GELU, layer norms): fewer, faster ops; others unchanged."""
    if config.model_type != "bert":
        return path
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(
        str(path), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    fused.save_model_to_file(str(out))
    return out


def _quantize(path: Path, out: Path, recipe: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _root_logger_at(logging.ERROR):
        quantize_dynamic(
            str(path),
            str(out),
            # Per channel: one scale per output column keeps MiniLM within 0.99 cosine of fp32 (one
            # scale per matrix falls to 0.95). Only the matrix products: the embedding lookup gains nothing.
            weight_type=QuantType.QInt8 if recipe == "vnni" else QuantType.QUInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # The fused ops have no shape inference; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


@contextlib.contextmanager
def _root_logger_at(level: int) -> Iterator[None]:
    """The quantiser logs every tensor through the root logger (and advice that does not apply to a
    fused transformer): hushed for the call, or `qa -v` would print hundreds of lines."""
    root = logging.getLogger()
    before = root.level
    root.setLevel(level)
    try:
        yield
    finally:
        root.setLevel(before)


def _check_against_torch(model: Any, out: Path, minimum: float) -> None:
    """Refuse an export whose vectors stray from the torch model's (a broken graph, a bad kernel)."""
    import numpy as np

    reference = model.encode(
        list(_CHECK_TEXTS), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    vectors = np.asarray(OnnxSession(out).embed(list(_CHECK_TEXTS), batch_size=len(_CHECK_TEXTS)))
    worst = float((reference * vectors).sum(axis=1).min())
    if worst < minimum:
        raise EmbeddingModelNotAvailable(
            f"the ONNX export of {out.name} gives vectors too far from the model's own (cosine {worst:.5f} "
            f"< {minimum}); use QA_EMBEDDING_BACKEND=sentence-transformers"
        )
