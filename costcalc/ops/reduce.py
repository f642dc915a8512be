"""Reductions, arg-reductions and TopK.

With (per_input, per_output) = REDUCE[op]:
    FLOPs = per_input * numel(X) + per_output * numel(Y)
e.g. ReduceSum/Max/Min/Prod: one op per input element; ReduceMean adds one divide per
output element; ReduceL2 squares and accumulates each element and takes one sqrt per
output. A reduction with no axes and noop_with_empty_axes=1 is an identity: 0 FLOPs.
An empty input costs only the per-output work (a mean of nothing still writes).
Axes (opset 13/18 input 1) and TopK's k configure the op: only slot 0 is data.
No MACs.
"""

from __future__ import annotations

from costcalc.ir import Node
from costcalc.ops.common import FormulaError, numel, out_shape, shape_of
from costcalc.ops.flop_table import REDUCE
from costcalc.ops.registry import REGISTRY, Work


def _is_noop(node: Node) -> bool:
    if not node.attr("noop_with_empty_axes", 0) or node.attr("axes") is not None:
        return False
    axes = node.input(1)
    return axes is None or axes.shape == (0,)


@REGISTRY.formula(*REDUCE, data_slots=1)
def reduction(node: Node) -> Work:
    x = numel(shape_of(node.input(0), "input", node))
    y = numel(out_shape(node))
    # TopK keeps k of each row: its output need not divide the input. An empty input
    # reduces to anything (ReduceSum of a 0x3 tensor over axis 0 is three zeros)
    if x and (y > x or (y and node.op != "TopK" and x % y)):
        raise FormulaError(
            f"{node.op} node {node.name!r}: output of {y} elements is no reduction "
            f"of an input of {x}"
        )
    if _is_noop(node):
        return Work()
    per_input, per_output = REDUCE[node.op]
    return Work(0, per_input * x + per_output * y)
