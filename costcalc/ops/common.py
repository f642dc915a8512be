"""Small helpers the formulas share."""

from __future__ import annotations

from math import prod

from costcalc.ir import Node, Shape, TensorSpec


class FormulaError(ValueError):
    """A node whose shapes or attributes make its cost undefined (a malformed model)."""


def shape_of(tensor: TensorSpec | None, what: str, node: Node) -> Shape:
    if tensor is None:
        raise FormulaError(f"{node.op} node {node.name!r}: missing {what}")
    if tensor.shape is None:
        raise FormulaError(f"{node.op} node {node.name!r}: shape of {what} {tensor.name!r} unknown")
    return tensor.shape


def out_shape(node: Node, index: int = 0) -> Shape:
    return shape_of(node.outputs[index] if index < len(node.outputs) else None, "output", node)


numel = prod  # elements of a shape: 1 for a scalar's ()


def out_numel(node: Node) -> int:
    """Elements written across all outputs of ``node``."""
    return sum(numel(out_shape(node, i)) for i in range(len(node.outputs)))
