"""A global depthwise conv (GDC, MobileFaceNet) beside global average pooling."""

from __future__ import annotations

from costcalc.ops.flop_table import AVERAGE_DIVIDE, WINDOW_ELEMENT
from costcalc.whatif.formulas import bytes_of, const, product, sym, times, total
from costcalc.whatif.graphs import GraphBuilder, Plan, cost, flops_of_macs
from costcalc.whatif.options import check_positive, element_type, recorded_settings
from costcalc.whatif.results import WhatIf


def gdc_whatif(channels: int, hw: int, *, batch: int = 1, dtype: str = "fp32") -> WhatIf:
    """Global depthwise conv (kernel hw x hw, groups C: MobileFaceNet) beside global
    average pooling, on a C x hw x hw feature map."""
    check_positive(channels=channels, hw=hw, batch=batch)
    element, bits = element_type(dtype)
    N = sym("N", batch) if batch != 1 else None
    C, H, W = sym("C", channels), sym("H", hw), sym("W", hw)
    shape = (batch, channels, hw, hw)
    block, vec, weights = product(N, C, H, W), product(N, C), product(C, H, W)

    b = GraphBuilder("gdc", shape)
    b.conv(b.x, channels, (hw, hw), channels)
    gdc = Plan(
        "GDC", f"depthwise {hw}x{hw} conv, groups={channels}, no padding: one learned "
        "weight per channel and position", b.graph(), weights, product(N, C, H, W),
        flops_of_macs(), bytes_of([block, weights, vec], bits),
    )  # fmt: skip
    b = GraphBuilder("gap", shape)
    b.add("GlobalAveragePool", (b.x,), (batch, channels, 1, 1))
    gap = Plan(
        "global average pooling", "GlobalAveragePool: every position weighted equally",
        b.graph(), const(0), const(0),
        lambda _: total(times(WINDOW_ELEMENT, block), times(AVERAGE_DIVIDE, vec)),
        bytes_of([block, vec], bits),
    )  # fmt: skip
    alternatives = [cost(gdc, element, True), cost(gap, element, False)]
    notes = ["GDC = C·H·W weights and MACs; GAP = none (its FLOPs: C·H·W adds + C divides)"]
    title = f"global depthwise conv vs global average pooling on {batch}x{channels}x{hw}x{hw}, {element}"  # noqa: E501
    settings = recorded_settings(channels=channels, hw=hw, batch=batch)
    return WhatIf("gdc", title, settings, element, alternatives, notes)
