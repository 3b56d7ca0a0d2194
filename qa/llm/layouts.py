"""Weight layouts: the packaged model's block weights requantized to another ggml type, for llama.cpp.

The packaged GGUF is Q4_K_M (Q4_K and Q6_K blocks). llama.cpp's CPU backend has other matrix kernels for
simpler types (Q8_0 and Q4_0 through its tinyBLAS/llamafile path, Q4_0 repacked to 8x8 blocks at load),
and reading a prompt is matrix products over the block weights. `convert_gguf` rewrites one GGUF: every
2-D weight of the transformer blocks (`blk.N.*.weight`) dequantized and quantized again to the layout's
type by gguf-py, ggml's own Python quantizer; the token embeddings and the output matrix (read one row
per token, and once per generated token: not what prompt reading waits on), norms and biases are copied
as they are, and so is every metadata key but `general.file_type`. Deterministic for one gguf-py version.

Measured by bench/llm_layouts.py, not offered as a setting: on the 2-core AVX2 machine no layout reads
prompts faster than the shipped Q4_K_M, whose Q4_K weights llama.cpp already repacks (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ModelNotAvailable


@dataclass(frozen=True)
class Layout:
    """A conversion: the ggml type each kind of block weight becomes, and the file type it declares."""

    name: str
    # source ggml type name -> target ggml type name, for the 2-D block weights; "*" for any other.
    targets: Mapping[str, str]
    file_type: str  # gguf.LlamaFileType member, what `general.file_type` then says
    description: str

    def target_for(self, source_type: str) -> str:
        """The ggml type a block weight of `source_type` becomes."""
        return self.targets.get(source_type, self.targets["*"])


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="q8_0",
            targets={"*": "Q8_0"},
            file_type="MOSTLY_Q8_0",
            description="block weights as Q8_0 (8 bits, one scale per 32): larger, closest to the shipped",
        ),
        Layout(
            name="q4_0",
            # Q6_K holds the weights llama.cpp's Q4_K_M recipe keeps at higher precision (half of
            # ffn_down and attn_v): those become Q8_0, not 4 bits again.
            targets={"Q6_K": "Q8_0", "*": "Q4_0"},
            file_type="MOSTLY_Q4_0",
            description="block weights as Q4_0 (Q6_K ones as Q8_0), repacked by llama.cpp at load",
        ),
        Layout(
            name="q4_0_all",
            targets={"*": "Q4_0"},
            file_type="MOSTLY_Q4_0",
            description="every block weight as Q4_0, all repacked by llama.cpp at load: smallest",
        ),
    )
}


def _gguf() -> Any:
    try:
        import gguf
    except ImportError as exc:
        raise ModelNotAvailable(
            "Converting the model to another layout needs the gguf package (ggml's gguf-py): "
            "pip install 'gguf==0.19.0' (the dev extra)."
        ) from exc
    return gguf


def _is_block_weight(tensor: Any) -> bool:
    """A 2-D weight matrix of a transformer block (not a norm, bias, the embeddings or the output)."""
    return bool(tensor.name.startswith("blk.") and tensor.name.endswith(".weight") and len(tensor.shape) == 2)


def convert_gguf(src: Path, dest: Path, layout: Layout, *, progress: bool = False) -> None:
    """Write to `dest` the GGUF `src` with its block weights in `layout` (see the module docstring)."""
    import numpy as np

    gguf = _gguf()
    from gguf.quants import dequantize, quant_shape_to_byte_shape, quantize

    from qa.llm.packaged import progress_bar

    reader = gguf.GGUFReader(src)
    architecture = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(dest, architecture)
    for field in reader.fields.values():
        # GGUF.* are the reader's view of the header; the writer writes the header and architecture itself.
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        value = field.contents()
        if field.name == gguf.Keys.General.FILE_TYPE:
            value = int(gguf.LlamaFileType[layout.file_type])
        writer.add_key_value(field.name, value, value_type, sub_type=sub_type)

    targets: list[Any] = []
    for tensor in reader.tensors:
        target = None
        if _is_block_weight(tensor):
            target = gguf.GGMLQuantizationType[layout.target_for(tensor.tensor_type.name)]
            if target == tensor.tensor_type:
                target = None
        targets.append(target)
        if target is None:
            writer.add_tensor_info(
                tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes, tensor.tensor_type
            )
        else:
            # GGUF lists dimensions innermost first; numpy (and the writer) outermost first.
            shape = quant_shape_to_byte_shape([int(n) for n in reversed(tensor.shape)], target)
            nbytes = 1
            for n in shape:
                nbytes *= n
            writer.add_tensor_info(tensor.name, shape, np.dtype(np.uint8), nbytes, target)

    total = sum(int(tensor.n_bytes) for tensor in reader.tensors)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        with progress_bar(total, f"Converting {src.name} to {layout.name}", progress) as bar:
            for tensor, target in zip(reader.tensors, targets, strict=True):
                if target is None:
                    writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
                else:
                    weights = dequantize(tensor.data, tensor.tensor_type)
                    writer.write_tensor_data(quantize(weights, target))
                bar.update(int(tensor.n_bytes))
    finally:
        writer.close()
