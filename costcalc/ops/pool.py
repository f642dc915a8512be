"""Pooling. Y = output 0 (MaxPool's optional indices output costs nothing more).

Windowed (``kernel_shape`` required), per output element, every window counted whole
(padding and count_include_pad do not shrink it):
  MaxPool       FLOPs = WINDOW_ELEMENT * prod(kernel) * numel(Y)
  AveragePool   FLOPs = (WINDOW_ELEMENT * prod(kernel) + AVERAGE_DIVIDE) * numel(Y)
  LpPool        FLOPs = (LP_POOL_PER_ELEMENT * prod(kernel) + LP_POOL_PER_OUTPUT) * numel(Y)
Global (the window is the whole spatial extent):
  GlobalMaxPool      FLOPs = WINDOW_ELEMENT * numel(X)
  GlobalAveragePool  FLOPs = WINDOW_ELEMENT * numel(X) + AVERAGE_DIVIDE * numel(Y)
  GlobalLpPool       FLOPs = LP_POOL_PER_ELEMENT * numel(X) + LP_POOL_PER_OUTPUT * numel(Y)
No MACs.
"""

from __future__ import annotations

from costcalc.ir import Node, Shape
from costcalc.ops.common import FormulaError, numel, out_shape, shape_of
from costcalc.ops.flop_table import (
    AVERAGE_DIVIDE,
    LP_POOL_PER_ELEMENT,
    LP_POOL_PER_OUTPUT,
    WINDOW_ELEMENT,
)
from costcalc.ops.registry import REGISTRY, Work

# op -> (FLOPs per window element, FLOPs per output element)
_COSTS: dict[str, tuple[int, int]] = {
    "MaxPool": (WINDOW_ELEMENT, 0),
    "AveragePool": (WINDOW_ELEMENT, AVERAGE_DIVIDE),
    "LpPool": (LP_POOL_PER_ELEMENT, LP_POOL_PER_OUTPUT),
    "GlobalMaxPool": (WINDOW_ELEMENT, 0),
    "GlobalAveragePool": (WINDOW_ELEMENT, AVERAGE_DIVIDE),
    "GlobalLpPool": (LP_POOL_PER_ELEMENT, LP_POOL_PER_OUTPUT),
}


def _shapes(node: Node) -> tuple[Shape, Shape]:
    """X and Y, checked to be (N, C, spatial...) of the same N, C and rank."""
    x = shape_of(node.input(0), "input", node)
    y = out_shape(node)
    if len(x) < 3 or len(y) != len(x) or x[:2] != y[:2]:
        raise FormulaError(
            f"{node.op} node {node.name!r}: input {list(x)} and output {list(y)} are not "
            "(N, C, spatial...) pairs of the same N, C and rank"
        )
    return x, y


@REGISTRY.formula("MaxPool", "AveragePool", "LpPool")
def windowed_pool(node: Node) -> Work:
    x, y = _shapes(node)
    kernel = node.attr("kernel_shape")
    if kernel is None or len(kernel) != len(x) - 2:
        raise FormulaError(
            f"{node.op} node {node.name!r}: kernel_shape {kernel} does not match the "
            f"{len(x) - 2} spatial axes of {list(x)}"
        )
    per_element, per_output = _COSTS[node.op]
    return Work(0, (per_element * numel(tuple(kernel)) + per_output) * numel(y))


@REGISTRY.formula("GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool")
def global_pool(node: Node) -> Work:
    x, y = _shapes(node)
    if any(d != 1 for d in y[2:]):
        raise FormulaError(f"{node.op} node {node.name!r}: output {list(y)} is not (N, C, 1, ...)")
    per_element, per_output = _COSTS[node.op]
    return Work(0, per_element * numel(x) + per_output * numel(y))
