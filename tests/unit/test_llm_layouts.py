"""Unit tests for qa.llm.layouts: a tiny GGUF written here (one block of Q4_K and Q6_K weights, F32 norms
and biases: random bytes, not a model) converted to each layout and checked (offline)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from qa.llm import layouts as layouts_module
from qa.llm.layouts import LAYOUTS, convert_gguf

Q = gguf.GGMLQuantizationType

pytestmark = pytest.mark.unit

COLUMNS = 256  # one K-quant super-block a row


def _random_blocks(rng: np.random.Generator, qtype: Any, rows: int) -> np.ndarray:
    """`rows` rows of random `qtype` blocks with small, valid f16 scales (bytes: what GGUF stores)."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(rows * COLUMNS // block_size, type_size), dtype=np.uint8)
    scale = np.array([0.01], dtype=np.float16).view(np.uint8)
    if qtype == Q.Q4_K:  # d and dmin lead the block
        blocks[:, 0:2] = scale
        blocks[:, 2:4] = scale
    elif qtype == Q.Q6_K:  # d ends it
        blocks[:, -2:] = scale
    return blocks.reshape(rows, -1)


def write_tiny_gguf(path: Path, seed: int = 0) -> Path:
    """A GGUF shaped like one Qwen2 block: what the conversion keeps and what it requantizes."""
    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(path, "qwen2")
    writer.add_name("tiny test model")
    writer.add_block_count(1)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    writer.add_token_list(["a", "b", "c", "d"])
    tensors = [
        ("token_embd.weight", Q.Q4_K, 4),
        ("blk.0.attn_norm.weight", Q.F32, 0),
        ("blk.0.attn_q.weight", Q.Q4_K, 8),
        ("blk.0.attn_q.bias", Q.F32, 0),
        ("blk.0.ffn_down.weight", Q.Q6_K, 8),
        ("output_norm.weight", Q.F32, 0),
        ("output.weight", Q.Q6_K, 4),
    ]
    for name, qtype, rows in tensors:
        if qtype == Q.F32:
            writer.add_tensor(name, rng.standard_normal(COLUMNS).astype(np.float32))
        else:
            writer.add_tensor(name, _random_blocks(rng, qtype, rows), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny_gguf(tmp_path / "tiny.gguf")


def _by_name(path: Path) -> dict[str, Any]:
    return {tensor.name: tensor for tensor in gguf.GGUFReader(path).tensors}


# --- convert_gguf -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "from_q4_k", "from_q6_k", "file_type"),
    [
        ("q8_0", Q.Q8_0, Q.Q8_0, "MOSTLY_Q8_0"),
        ("q4_0", Q.Q4_0, Q.Q8_0, "MOSTLY_Q4_0"),
        ("q4_0_all", Q.Q4_0, Q.Q4_0, "MOSTLY_Q4_0"),
    ],
)
def test_convert_requantizes_the_block_weights_and_copies_everything_else(
    tiny: Path, tmp_path: Path, layout: str, from_q4_k: Any, from_q6_k: Any, file_type: str
) -> None:
    out = tmp_path / f"tiny-{layout}.gguf"

    convert_gguf(tiny, out, LAYOUTS[layout])

    before, after = _by_name(tiny), _by_name(out)
    assert gguf.GGUFReader(out).fields["general.file_type"].contents() == gguf.LlamaFileType[file_type]
    assert list(after) == list(before)  # same tensors, same order
    assert after["blk.0.attn_q.weight"].tensor_type == from_q4_k
    assert after["blk.0.ffn_down.weight"].tensor_type == from_q6_k
    for name in ("token_embd.weight", "output.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.bias"):
        assert after[name].tensor_type == before[name].tensor_type
        assert bytes(after[name].data) == bytes(before[name].data), name
    for name in ("blk.0.attn_q.weight", "blk.0.ffn_down.weight"):
        assert list(after[name].shape) == list(before[name].shape)
        original = gguf.dequantize(before[name].data, before[name].tensor_type)
        converted = gguf.dequantize(after[name].data, after[name].tensor_type)
        # One quantization step of the target type at most (Q4_0: 1/8 of a block's largest value).
        step = np.abs(original).max() / (8 if after[name].tensor_type == Q.Q4_0 else 127)
        assert np.abs(converted - original).max() <= step, name


def test_convert_keeps_the_metadata_but_the_file_type(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny-q8_0.gguf"

    convert_gguf(tiny, out, LAYOUTS["q8_0"])

    before, after = gguf.GGUFReader(tiny).fields, gguf.GGUFReader(out).fields
    assert after["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_Q8_0
    keys = [k for k in before if not k.startswith("GGUF.") and k != "general.file_type"]
    assert [k for k in after if not k.startswith("GGUF.") and k != "general.file_type"] == keys
    for key in keys:
        assert after[key].contents() == before[key].contents(), key


def test_convert_is_deterministic(tiny: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.gguf", tmp_path / "second.gguf"
    convert_gguf(tiny, first, LAYOUTS["q4_0"])
    convert_gguf(tiny, second, LAYOUTS["q4_0"])
    assert _sha256(first) == _sha256(second)


def test_convert_refuses_a_block_weight_that_is_not_made_of_whole_blocks(tmp_path: Path) -> None:
    path = tmp_path / "odd.gguf"
    writer = gguf.GGUFWriter(path, "qwen2")
    writer.add_tensor("blk.0.attn_q.weight", np.ones((2, 48), dtype=np.float32))  # 48: not a multiple of 32
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    with pytest.raises(ValueError, match="block size"):
        convert_gguf(path, tmp_path / "out.gguf", LAYOUTS["q8_0"])


def test_layouts_module_imports_no_heavy_library() -> None:
    assert "numpy" not in layouts_module.__dict__ and "gguf" not in layouts_module.__dict__
