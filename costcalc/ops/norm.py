"""Normalisations. E = numel(X); G = number of independently normalised groups.

BatchNormalization (inference): FLOPs = BATCHNORM * E. Scale and B (slots 1, 2) are
    weights; the running mean and variance (slots 3, 4) are buffers.
LayerNormalization (``axis``, default -1, normalises dims axis..end): G = prod(X[:axis]).
GroupNormalization (``num_groups``): G = N * num_groups.
InstanceNormalization: G = N * C.
    For these three: FLOPs = NORM_STATS * E + NORM_PER_GROUP * G
                             + NORM_SCALE * E (scale given) + NORM_SHIFT * E (bias given);
    scale and bias (slots 1, 2) are weights.
RMSNormalization (``axis``, default -1): FLOPs = RMS_NORM_STATS * E
    + RMS_NORM_PER_GROUP * G + NORM_SCALE * E; the scale (slot 1) is a weight.
No MACs.
"""

from __future__ import annotations

from costcalc.ir import Node, Shape
from costcalc.ops.common import FormulaError, numel, shape_of
from costcalc.ops.flop_table import (
    BATCHNORM,
    NORM_PER_GROUP,
    NORM_SCALE,
    NORM_SHIFT,
    NORM_STATS,
    RMS_NORM_PER_GROUP,
    RMS_NORM_STATS,
)
from costcalc.ops.registry import REGISTRY, Work


def _channelled(node: Node) -> Shape:
    """X, checked to be (N, C, ...)."""
    x = shape_of(node.input(0), "input", node)
    if len(x) < 2:
        raise FormulaError(f"{node.op} node {node.name!r}: input {list(x)} has no channel axis")
    return x


def _check_per_channel(node: Node, x: Shape, slots: tuple[int, ...], size: int) -> None:
    for slot in slots:
        t = node.input(slot)
        if t is not None and t.shape is not None and numel(t.shape) != size:
            raise FormulaError(
                f"{node.op} node {node.name!r}: input {slot} {list(t.shape)} does not have "
                f"{size} elements for input {list(x)}"
            )


def _affine(node: Node, elements: int) -> int:
    scale = NORM_SCALE if node.input(1) is not None else 0
    shift = NORM_SHIFT if node.input(2) is not None else 0
    return (scale + shift) * elements


def _stats(node: Node, elements: int, groups: int) -> Work:
    return Work(0, NORM_STATS * elements + NORM_PER_GROUP * groups + _affine(node, elements))


def _leading(node: Node) -> tuple[Shape, int]:
    """X and the number of rows an ``axis``-normalisation (default -1) normalises."""
    x = shape_of(node.input(0), "input", node)
    axis = int(node.attr("axis", -1))
    if not -len(x) <= axis < len(x):
        raise FormulaError(f"{node.op} node {node.name!r}: axis {axis} out of range for {list(x)}")
    return x, numel(x[: axis % len(x)])


@REGISTRY.formula("BatchNormalization", weights=(1, 2), buffers=(3, 4))
def batch_norm(node: Node) -> Work:
    x = _channelled(node)
    _check_per_channel(node, x, (1, 2, 3, 4), x[1])
    return Work(0, BATCHNORM * numel(x))


@REGISTRY.formula("LayerNormalization", weights=(1, 2))
def layer_norm(node: Node) -> Work:
    x, groups = _leading(node)
    return _stats(node, numel(x), groups)


@REGISTRY.formula("GroupNormalization", weights=(1, 2))
def group_norm(node: Node) -> Work:
    x = _channelled(node)
    num_groups = node.attr("num_groups")
    if num_groups is None or int(num_groups) < 1 or x[1] % int(num_groups):
        raise FormulaError(
            f"GroupNormalization node {node.name!r}: num_groups={num_groups} does not "
            f"divide the {x[1]} channels"
        )
    return _stats(node, numel(x), x[0] * int(num_groups))


@REGISTRY.formula("InstanceNormalization", weights=(1, 2))
def instance_norm(node: Node) -> Work:
    x = _channelled(node)
    _check_per_channel(node, x, (1, 2), x[1])
    return _stats(node, numel(x), x[0] * x[1])


@REGISTRY.formula("RMSNormalization", weights=(1,))
def rms_norm(node: Node) -> Work:
    x, groups = _leading(node)
    elements = numel(x)
    scale = NORM_SCALE * elements if node.input(1) is not None else 0
    return Work(0, RMS_NORM_STATS * elements + RMS_NORM_PER_GROUP * groups + scale)
