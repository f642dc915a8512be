"""The kind of work each layer does, for ``--by op``: conv-dense, conv-pointwise,
conv-group, conv-depthwise, conv-transpose, linear, norm, activation, pool, reduction,
elementwise, resample, quantization, control flow (ONNX If/Loop/Scan, set by the
calculator), data movement, free, unsupported."""

from __future__ import annotations

from costcalc.ir import Node
from costcalc.ops.registry import OpKind, OpSpec

# The family module a formula lives in names its category.
_BY_FAMILY = {
    "costcalc.ops.matmul": "linear",
    "costcalc.ops.norm": "norm",
    "costcalc.ops.activation": "activation",
    "costcalc.ops.pool": "pool",
    "costcalc.ops.reduce": "reduction",
    "costcalc.ops.elementwise": "elementwise",
    "costcalc.ops.movement": "resample",
    "costcalc.ops.quantized": "quantization",
}
# Integer convolutions and matmuls: categorised as their float twins (weight slot).
_CONV_WEIGHT_SLOT = {"Conv": 1, "ConvTranspose": 1, "ConvInteger": 1, "QLinearConv": 3}
_LINEAR = ("QLinearMatMul", "MatMulInteger")
# ops whose category depends on the node's shapes and attributes, not only on the op
SHAPED_CATEGORIES = frozenset(_CONV_WEIGHT_SLOT)


def conv_category(node: Node) -> str:
    x, w = node.input(0), node.input(_CONV_WEIGHT_SLOT.get(node.op, 1))
    if node.op == "ConvTranspose":
        return "conv-transpose"
    if x is None or w is None or x.shape is None or w.shape is None:
        return "conv-dense"
    groups = int(node.attr("group", 1))
    if groups > 1 and groups == x.shape[1]:
        return "conv-depthwise"
    if groups > 1:
        return "conv-group"
    return "conv-pointwise" if all(k == 1 for k in w.shape[2:]) else "conv-dense"


def category(node: Node, spec: OpSpec | None) -> str:
    if spec is None:
        return "unsupported"
    if node.folded or spec.kind is OpKind.FREE:
        return "free"
    if spec.kind is OpKind.MOVEMENT:
        return "data movement"
    if node.op in _CONV_WEIGHT_SLOT:
        return conv_category(node)
    if node.op in _LINEAR:
        return "linear"
    return _BY_FAMILY.get(spec.formula.__module__, "other")
