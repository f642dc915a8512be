"""The counting convention and the units, in one place.

- params: elements of trainable weights and biases; a tensor used twice counts once.
- MACs: multiply-accumulates of Conv, ConvTranspose, Gemm/Linear, MatMul and Einsum
  contractions, and nothing else (what the MobileNet/ShuffleNet papers call "FLOPs" or
  "Mult-Adds").
- FLOPs: 2 * MACs plus every other arithmetic operation, each op's per-element cost
  taken from ``costcalc.ops.flop_table``.
- bytes read / written: the tensors a layer reads (data inputs and weights) and writes,
  at the analysed dtype; their sum is the layer's memory access cost.
"""

from __future__ import annotations

import re

# Bits per element of every ONNX/torch element type costcalc knows.
DTYPE_BITS: dict[str, int] = {
    "float64": 64, "float32": 32, "float16": 16, "bfloat16": 16,
    "float8e4m3fn": 8, "float8e4m3fnuz": 8, "float8e5m2": 8, "float8e5m2fnuz": 8,
    "float8e8m0": 8, "float4e2m1": 4,
    "int64": 64, "int32": 32, "int16": 16, "int8": 8, "int4": 4, "int2": 2,
    "uint64": 64, "uint32": 32, "uint16": 16, "uint8": 8, "uint4": 4, "uint2": 2,
    "bool": 8, "complex64": 64, "complex128": 128, "string": 0,
}  # fmt: skip

FLOATING = frozenset(d for d in DTYPE_BITS if d.startswith(("float", "bfloat", "complex")))

# What --dtype accepts, and the element type it stands for.
DTYPE_ALIASES: dict[str, str] = {
    "fp64": "float64", "fp32": "float32", "fp16": "float16", "bf16": "bfloat16",
    "int8": "int8", "int4": "int4", "fp8": "float8e4m3fn",
}  # fmt: skip


def total_flops(macs: int, other_flops: int) -> int:
    """FLOPs of a layer: each MAC is a multiply and an add, plus everything else."""
    return 2 * macs + other_flops


def tensor_bytes(numel: int, dtype: str) -> int:
    """Bytes of ``numel`` elements stored densely, sub-byte types packed (exact integers:
    a float would round counts past 2**53)."""
    return (numel * DTYPE_BITS.get(dtype, 32) + 7) // 8


def analysed_bits(override: str | None) -> dict[str, int]:
    """Bits per element of every element type at the analysed type (floating types take
    ``override`` if set): ``tensor_bytes`` is ``(numel * bits + 7) // 8`` with these."""
    return {name: DTYPE_BITS[analysed_dtype(name, override)] for name in DTYPE_BITS}


def analysed_dtype(dtype: str, override: str | None) -> str:
    """The element type to count bytes at: floating tensors take ``override`` if set."""
    if override is not None and dtype in FLOATING:
        return override
    return dtype


_DECIMAL = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))
_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def human_count(value: int | None, digits: int = 2) -> str:
    """1234567 -> '1.23M' (decimal prefixes, as the papers count)."""
    if value is None:
        return "?"
    for scale, suffix in _DECIMAL:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}f}{suffix}"
    return str(value)


def human_bytes(value: int | None, digits: int = 2) -> str:
    """1536 -> '1.50KiB' (binary prefixes, as memory is sized)."""
    if value is None:
        return "?"
    for scale, suffix in _BINARY:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}f}{suffix}"
    return f"{value}B"


_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*$")
_SUFFIXES = {"": 1, **{s: m for m, s in _DECIMAL}, **{s: m for m, s in _BINARY}, "B": 1}


def parse_quantity(text: str) -> int:
    """'4M' -> 4_000_000, '32MiB' -> 33_554_432, '1.5G' -> 1_500_000_000."""
    match = _QUANTITY.match(text)
    suffix = match.group(2) if match else None
    if match is None or suffix not in _SUFFIXES:
        raise ValueError(f"not a quantity: {text!r} (use e.g. 4M, 350M, 1.5G, 32MiB)")
    return round(float(match.group(1)) * _SUFFIXES[suffix])
