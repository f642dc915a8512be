"""A squeeze-and-excitation block beside none."""

from __future__ import annotations

from costcalc.errors import InputSpecError
from costcalc.ops.flop_table import AVERAGE_DIVIDE, ELEMENTWISE, WINDOW_ELEMENT
from costcalc.units import tensor_bytes
from costcalc.whatif.formulas import CONV_BIAS_FLOPS, bytes_of, const, product, sym, times, total
from costcalc.whatif.graphs import GraphBuilder, Plan, cost, flops_of_macs
from costcalc.whatif.options import check_positive, element_type, recorded_settings
from costcalc.whatif.results import WhatIf


def se_whatif(
    channels: int, reduction: int, hw: int, *, batch: int = 1, dtype: str = "fp32"
) -> WhatIf:
    """Squeeze-and-excitation on a C x hw x hw block: global average pool, FC C -> C/R
    (bias), ReLU, FC C/R -> C (bias), sigmoid, channel-wise multiply; beside no SE."""
    check_positive(channels=channels, reduction=reduction, hw=hw, batch=batch)
    squeeze = channels // reduction
    if squeeze < 1:
        raise InputSpecError(
            f"--reduction {reduction} leaves no channels: C/R = {channels}/{reduction} < 1"
        )
    element, bits = element_type(dtype)
    N = sym("N", batch) if batch != 1 else None
    C, R, H, W = sym("C", channels), sym("R", reduction), sym("H", hw), sym("W", hw)
    Cr = C / R if channels % reduction == 0 else (C / R).floor()

    b = GraphBuilder("squeeze-excitation", (batch, channels, hw, hw))
    pooled = b.add("GlobalAveragePool", (b.x,), (batch, channels, 1, 1))
    s = b.conv(pooled, squeeze, (1, 1), bias=True)
    r = b.add("Relu", (s,), s.shape)
    e = b.conv(r, channels, (1, 1), bias=True)
    gate = b.add("Sigmoid", (e,), e.shape)
    b.add("Mul", (b.x, gate), b.x.shape)

    block, vec, small = product(N, C, H, W), product(N, C), product(N, Cr)
    weights = const(2) * C * Cr
    se = Plan(
        "with SE",
        f"GAP + FC {channels}→{squeeze} (+bias) + ReLU + FC {squeeze}→{channels} (+bias) "
        "+ sigmoid + multiply; FLOPs: 2·MACs + pool (adds, divides) + biases + ReLU "
        "+ sigmoid + multiply; bytes: block input read twice and output written once, "
        "C-vectors written and read 3 times, C/R-vectors twice, weights once",
        b.graph(), total(weights, Cr, C), product(const(2), N, C, Cr),
        flops_of_macs(
            times(WINDOW_ELEMENT, block), times(AVERAGE_DIVIDE, vec),
            times(CONV_BIAS_FLOPS, small), times(ELEMENTWISE["Relu"], small),
            times(CONV_BIAS_FLOPS, vec), times(ELEMENTWISE["Sigmoid"], vec),
            times(ELEMENTWISE["Mul"], block),
        ),
        bytes_of([(3, block), (6, vec), (4, small), weights, Cr, C], bits),
    )  # fmt: skip
    none = Plan("without SE", "the block output used as it is", None,
                const(0), const(0), lambda _: const(0), const(0))  # fmt: skip
    alternatives = [cost(se, element, True), cost(none, element, False)]
    notes = [
        "SE params = 2·C²/R + C/R + C and MACs = 2·C²/R do not grow with H×W; its bytes "
        f"do: the block is read twice and written once (3 × C × H × W × b = "
        f"{3 * tensor_bytes(batch * channels * hw * hw, element):,} bytes here)",
    ]
    title = f"squeeze-and-excitation on {batch}x{channels}x{hw}x{hw}, R={reduction}, {element}"
    settings = recorded_settings(channels=channels, reduction=reduction, squeeze=squeeze,
                                 hw=hw, batch=batch)  # fmt: skip
    return WhatIf("se", title, settings, element, alternatives, notes)
