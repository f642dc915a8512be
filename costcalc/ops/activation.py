"""Activations and softmax.

- point-wise activations (Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu,
  Erf, Softplus, Mish, Elu, Selu, Swish, ThresholdedRelu, Celu, Softsign) and Clip:
  FLOPs = ELEMENTWISE[op] * numel(Y)
- PRelu: FLOPs = ELEMENTWISE["PRelu"] * numel(Y); the slope (slot 1) is a weight.
- Clip: min and max (slots 1, 2) configure the op; they are not data.
- Softmax / LogSoftmax along ``axis`` (ONNX default -1, opset-13 semantics: one row is
  the 1-D slice along ``axis``): FLOPs = SOFTMAX * numel + SOFTMAX_PER_ROW * rows,
  rows = numel / shape[axis].

No MACs.
"""

from __future__ import annotations

from costcalc.ir import Node
from costcalc.ops.common import FormulaError, numel, shape_of
from costcalc.ops.elementwise import broadcast, check_broadcast, per_output_element
from costcalc.ops.flop_table import LOG_SOFTMAX, SOFTMAX, SOFTMAX_PER_ROW
from costcalc.ops.registry import REGISTRY, Work

POINTWISE = (
    "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Gelu", "Erf",
    "Softplus", "Mish", "Elu", "Selu", "Swish", "ThresholdedRelu", "Celu", "Softsign",
)  # fmt: skip


@REGISTRY.formula(*POINTWISE)
def pointwise(node: Node) -> Work:
    return per_output_element(node)


@REGISTRY.formula("Clip", data_slots=1)
def clip(node: Node) -> Work:
    return per_output_element(node)


@REGISTRY.formula("PRelu", weights=(1,))
def prelu(node: Node) -> Work:
    x = shape_of(node.input(0), "input", node)
    slope = node.input(1)
    if slope is not None and slope.shape is not None and broadcast([x, slope.shape], node) != x:
        raise FormulaError(
            f"PRelu node {node.name!r}: slope {list(slope.shape)} does not broadcast "
            f"to the input {list(x)}"
        )
    return per_output_element(node)


def _rows(node: Node) -> tuple[int, int]:
    """(elements, rows) of a softmax-like node along its ``axis``."""
    x = shape_of(node.input(0), "input", node)
    check_broadcast(node)  # one input: the output must have its shape
    axis = int(node.attr("axis", -1))
    if not -len(x) <= axis < len(x):
        raise FormulaError(f"{node.op} node {node.name!r}: axis {axis} out of range for {list(x)}")
    elements = numel(x)
    length = x[axis]
    return elements, (elements // length if length else 0)


@REGISTRY.formula("Softmax")
def softmax(node: Node) -> Work:
    elements, rows = _rows(node)
    return Work(0, SOFTMAX * elements + SOFTMAX_PER_ROW * rows)


@REGISTRY.formula("LogSoftmax")
def log_softmax(node: Node) -> Work:
    elements, rows = _rows(node)
    return Work(0, LOG_SOFTMAX * elements + SOFTMAX_PER_ROW * rows)
