"""Convolutions: Conv and ConvTranspose, any rank, any groups.

Conv:          MACs = N * Cout * prod(out_spatial) * (Cin / groups) * prod(kernel)
ConvTranspose: MACs = N * Cin * prod(in_spatial) * (Cout / groups) * prod(kernel)
               (each input element is scattered through its group's Cout/groups filters)
Both add one FLOP per output element for the bias when there is one.
"""

from __future__ import annotations

from costcalc.ir import Node
from costcalc.ops.common import FormulaError, numel, out_shape, shape_of
from costcalc.ops.registry import REGISTRY, Work


def _groups(node: Node, cin: int, cout: int) -> int:
    groups = int(node.attr("group", 1))
    if groups < 1 or cin % groups or cout % groups:
        raise FormulaError(
            f"{node.op} node {node.name!r}: group={groups} does not divide "
            f"input channels {cin} and output channels {cout}"
        )
    return groups


def _bias_flops(node: Node) -> int:
    return numel(out_shape(node)) if node.input(2) is not None else 0


def conv_macs(node: Node, weight_slot: int = 1) -> int:
    """MACs of a convolution whose input is slot 0 and weight ``weight_slot`` (Conv: 1,
    QLinearConv: 3), its groups checked against the channels."""
    x = shape_of(node.input(0), "input", node)
    w = shape_of(node.input(weight_slot), "weight", node)
    y = out_shape(node)
    if len(x) < 3 or len(w) != len(x) or len(y) != len(x):
        raise FormulaError(
            f"{node.op} node {node.name!r}: input {list(x)}, weight {list(w)} and output "
            f"{list(y)} are not (N, C, spatial...) of one rank"
        )
    groups = _groups(node, x[1], y[1])
    if w[1] != x[1] // groups or w[0] != y[1]:
        raise FormulaError(
            f"{node.op} node {node.name!r}: weight {list(w)} does not fit input channels "
            f"{x[1]}, output channels {y[1]} and group={groups}"
        )
    return y[0] * y[1] * numel(y[2:]) * w[1] * numel(w[2:])


@REGISTRY.formula("Conv", weights=(1, 2))
def conv(node: Node) -> Work:
    return Work(conv_macs(node), _bias_flops(node))


@REGISTRY.formula("ConvTranspose", weights=(1, 2))
def conv_transpose(node: Node) -> Work:
    x = shape_of(node.input(0), "input", node)
    w = shape_of(node.input(1), "weight", node)
    y = out_shape(node)
    groups = _groups(node, x[1], y[1])
    if w[0] != x[1] or w[1] * groups != y[1]:
        raise FormulaError(
            f"ConvTranspose node {node.name!r}: weight {list(w)} does not fit input "
            f"channels {x[1]}, output channels {y[1]} and group={groups}"
        )
    macs = x[0] * x[1] * numel(x[2:]) * w[1] * numel(w[2:])
    return Work(macs, _bias_flops(node))
