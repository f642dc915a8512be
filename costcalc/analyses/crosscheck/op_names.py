"""Op names across the tools: aten / fvcore names, the costcalc ops they become, and
which of them multiply-accumulate (conv or matmul)."""

from __future__ import annotations

import re
from typing import Any

CONV, MATMUL = "conv", "matmul"
_MATMUL_NAMES = frozenset(
    {"linear", "addmm", "matmul", "mm", "bmm", "baddbmm", "einsum", "gemm", "scaledmm"}
)
# External (aten / fvcore) op names, normalised, -> the costcalc canonical ops they become.
ALIASES: dict[str, frozenset[str]] = {
    "conv": frozenset({"Conv", "ConvTranspose"}),
    "convolution": frozenset({"Conv", "ConvTranspose"}),
    "linear": frozenset({"Gemm", "MatMul"}),
    "addmm": frozenset({"Gemm"}),
    "matmul": frozenset({"MatMul", "Gemm"}),
    "mm": frozenset({"MatMul"}),
    "bmm": frozenset({"MatMul"}),
    "baddbmm": frozenset({"MatMul"}),
    "einsum": frozenset({"Einsum", "MatMul"}),
    "batchnorm": frozenset({"BatchNormalization"}),
    "layernorm": frozenset({"LayerNormalization"}),
    "groupnorm": frozenset({"GroupNormalization"}),
    "instancenorm": frozenset({"InstanceNormalization"}),
    "adaptiveavgpool": frozenset({"GlobalAveragePool", "AveragePool", "ReduceMean"}),
    "avgpool": frozenset({"AveragePool"}),
    "adaptivemaxpool": frozenset({"GlobalMaxPool", "MaxPool"}),
    "maxpool": frozenset({"MaxPool"}),
    "maxpoolwithindices": frozenset({"MaxPool"}),
    "upsample": frozenset({"Resize"}),
    "hardtanh": frozenset({"Clip"}),
    "relu6": frozenset({"Clip"}),
    "clamp": frozenset({"Clip"}),
    "clampmin": frozenset({"Clip"}),
    "clampmax": frozenset({"Clip"}),
    "silu": frozenset({"Swish"}),
    "rsub": frozenset({"Sub"}),
    "rsqrt": frozenset({"Sqrt"}),
    "mean": frozenset({"ReduceMean"}),
    "sum": frozenset({"ReduceSum"}),
    "maximum": frozenset({"Max"}),
    "minimum": frozenset({"Min"}),
    "softmax": frozenset({"Softmax"}),
    "logsoftmax": frozenset({"LogSoftmax"}),
}


def op_name(op: Any) -> str:
    """An aten op (or overload packet) as a name: 'convolution', 'addmm'..."""
    return str(getattr(op, "__name__", op)).removeprefix("aten.")


def normalise(name: str) -> str:
    """'aten::adaptive_avg_pool2d' -> 'adaptiveavgpool', 'aten.hardswish_' -> 'hardswish'."""
    text = name.lower().removeprefix("aten::").removeprefix("aten.").replace("_", "")
    text = re.sub(r"[123]d", "", text)
    return "upsample" if text.startswith("upsample") else text


def same_op(external: str, costcalc_op: str) -> bool:
    """Whether an aten/fvcore op name is (one of the ops that become) costcalc's op."""
    key = normalise(external)
    return costcalc_op in ALIASES.get(key, ()) or key == normalise(costcalc_op)


def mac_family(external: str) -> str | None:
    """conv / matmul for an external op name that multiplies-accumulates, else None."""
    key = normalise(external)
    if key.startswith("conv"):
        return CONV
    if key in _MATMUL_NAMES or "attention" in key:
        return MATMUL
    return None


def counter_family(op: str) -> str:
    """FlopCounterMode has formulas only for convolution and matmul-like ops."""
    return CONV if mac_family(op) == CONV else MATMUL


def costcalc_family(op: str) -> str:
    return CONV if op.lower().startswith("conv") else MATMUL
