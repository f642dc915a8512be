"""A channel shuffle beside the 1x1 group conv it accompanies and that conv's dense version."""

from __future__ import annotations

from costcalc.errors import InputSpecError
from costcalc.ir import TensorSpec
from costcalc.whatif.formulas import Expr, FormulaMismatchError, bytes_of, const, product, sym
from costcalc.whatif.graphs import GraphBuilder, Plan, cost, flops_of_macs
from costcalc.whatif.options import check_positive, element_type, recorded_settings
from costcalc.whatif.results import WhatIf


def shuffle_whatif(
    channels: int, groups: int, hw: int, *, batch: int = 1, dtype: str = "fp32"
) -> WhatIf:
    """Channel shuffle (reshape -> transpose -> reshape) beside the 1x1 group conv with G
    groups it follows in a ShuffleNet unit, and that conv's dense version."""
    check_positive(channels=channels, groups=groups, hw=hw, batch=batch)
    if channels % groups:
        raise InputSpecError(f"--groups {groups} does not divide --channels {channels}")
    element, bits = element_type(dtype)
    N = sym("N", batch) if batch != 1 else None
    C, G, H, W = sym("C", channels), sym("G", groups), sym("H", hw), sym("W", hw)
    shape = (batch, channels, hw, hw)
    block = product(N, C, H, W)

    b = GraphBuilder("channel shuffle", shape)
    split = (batch, groups, channels // groups, hw, hw)
    target = TensorSpec("shape0", (5,), "int64", storage="shape0", trainable=False)
    back = TensorSpec("shape2", (4,), "int64", storage="shape2", trainable=False)
    grouped = b.add("Reshape", (b.x, target), split)
    swapped = b.add("Transpose", (grouped,), (batch, channels // groups, groups, hw, hw),
                    perm=[0, 2, 1, 3, 4])  # fmt: skip
    b.add("Reshape", (swapped, back), shape)
    shuffle = Plan(
        f"channel shuffle G={groups}",
        f"reshape to (N, {groups}, {channels // groups}, H, W), transpose, reshape back: "
        "the reshapes are free, the transpose copies the whole tensor",
        b.graph(), const(0), const(0), lambda _: const(0), bytes_of([(2, block)], bits),
    )  # fmt: skip

    def pointwise(groups_: int, per_group: Expr, name: str) -> Plan:
        b = GraphBuilder(name, shape)
        b.conv(b.x, channels, (1, 1), groups_)
        weights = product(C, per_group)
        return Plan(
            name, f"1x1 conv {channels}→{channels}, groups={groups_}", b.graph(), weights,
            product(N, H, W, C, per_group), flops_of_macs(),
            bytes_of([block, weights, block], bits),
        )  # fmt: skip

    alternatives = [
        cost(shuffle, element, True),
        cost(pointwise(groups, C / G, f"1x1 group conv G={groups}"), element, False),
        cost(pointwise(1, C, "1x1 dense conv"), element, False),
    ]
    moved = {a.activation_bytes for a in alternatives}
    if len(moved) != 1:
        raise FormulaMismatchError(f"activation bytes differ: {sorted(moved)}")
    notes = [
        f"activation bytes, all three: 2 × C × H × W × b = {moved.pop():,}: the shuffle moves "
        "the whole tensor for no arithmetic, and the group conv moves as many activation "
        "bytes as the dense one (only its weights are G× fewer)",
    ]
    title = f"channel shuffle G={groups} on {batch}x{channels}x{hw}x{hw}, {element}"
    settings = recorded_settings(channels=channels, groups=groups, hw=hw, batch=batch)
    return WhatIf("shuffle", title, settings, element, alternatives, notes)
