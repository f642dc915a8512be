"""Element-wise arithmetic, comparison and logic ops, with numpy broadcasting.

Every cost is per OUTPUT element, so a broadcast operand costs nothing extra:

- unary (Sqrt, Exp, Log, Neg, Abs, Reciprocal, Floor, Ceil, Round, Sign, Sin, Cos, Not):
  FLOPs = ELEMENTWISE[op] * numel(Y)
- binary (Add, Sub, Mul, Div, Pow, Mod, Equal, Less, Greater, LessOrEqual,
  GreaterOrEqual, And, Or, Xor) and the ternary select Where:
  FLOPs = ELEMENTWISE[op] * numel(Y)
- variadic Sum, Max, Min, Mean over N inputs: FLOPs = (N - 1) * ELEMENTWISE[op] * numel(Y),
  and Mean adds AVERAGE_DIVIDE * numel(Y) when N > 1 (the mean of one input is a copy).

No MACs. Arithmetic ops declare ``learned_operands``: a constant operand of more than one
element (a learned scale or shift) counts as a weight; comparisons and logic do not.
"""

from __future__ import annotations

from collections.abc import Sequence

from costcalc.ir import Node, Shape
from costcalc.ops.common import FormulaError, numel, out_shape
from costcalc.ops.flop_table import AVERAGE_DIVIDE, ELEMENTWISE
from costcalc.ops.registry import REGISTRY, Work

UNARY = (
    "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
    "Sin", "Cos", "Not",
)  # fmt: skip
ARITHMETIC = ("Add", "Sub", "Mul", "Div", "Pow", "Mod", "Where")
COMPARISON = (
    "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
)  # fmt: skip
VARIADIC = ("Sum", "Max", "Min", "Mean")


def broadcast(shapes: Sequence[Shape], node: Node) -> Shape:
    """The numpy broadcast of ``shapes``; FormulaError when they do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    result: list[int] = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise FormulaError(
                f"{node.op} node {node.name!r}: shapes {[list(s) for s in shapes]} do not broadcast"
            )
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def check_broadcast(node: Node) -> Shape:
    """The output shape, checked against the broadcast of the inputs whose shapes are known."""
    y = out_shape(node)
    if all(t is None or t.shape == y for t in node.inputs):
        return y  # the common case, no broadcasting at all
    known = [t.shape for t in node.inputs if t is not None and t.shape is not None]
    if len(known) == len([t for t in node.inputs if t is not None]):
        expected = broadcast(known, node)
        if expected != y:
            raise FormulaError(
                f"{node.op} node {node.name!r}: inputs {[list(s) for s in known]} "
                f"broadcast to {list(expected)}, but the output is {list(y)}"
            )
    return y


def per_output_element(node: Node) -> Work:
    """ELEMENTWISE[op] FLOPs for each element of the (checked) output."""
    return Work(0, ELEMENTWISE[node.op] * numel(check_broadcast(node)))


@REGISTRY.formula(*UNARY, *COMPARISON)
def unary_or_comparison(node: Node) -> Work:
    return per_output_element(node)


@REGISTRY.formula(*ARITHMETIC, learned_operands=True)
def arithmetic(node: Node) -> Work:
    return per_output_element(node)


@REGISTRY.formula(*VARIADIC, learned_operands=True)
def variadic(node: Node) -> Work:
    operands = sum(1 for t in node.inputs if t is not None)
    if operands < 1:
        raise FormulaError(f"{node.op} node {node.name!r}: no inputs")
    elements = numel(check_broadcast(node))
    flops = (operands - 1) * ELEMENTWISE[node.op] * elements
    if node.op == "Mean" and operands > 1:
        flops += AVERAGE_DIVIDE * elements
    return Work(0, flops)
