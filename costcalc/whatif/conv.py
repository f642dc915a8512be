"""A KxK conv beside its dense, group-conv, depthwise-separable and pointwise versions."""

from __future__ import annotations

from fractions import Fraction

from costcalc.errors import InputSpecError
from costcalc.whatif.formulas import (
    CONV_BIAS_FLOPS,
    Expr,
    FormulaMismatchError,
    bytes_of,
    product,
    sym,
    times,
    total,
)
from costcalc.whatif.graphs import GraphBuilder, Plan, cost, flops_of_macs
from costcalc.whatif.options import check_positive, element_type, recorded_settings
from costcalc.whatif.results import Alternative, WhatIf


def conv_whatif(
    cin: int,
    cout: int,
    kernel: int,
    hw: int,
    *,
    groups: int | None = None,
    depthwise: bool = False,
    multiplier: int | None = None,
    stride: int = 1,
    batch: int = 1,
    dtype: str = "fp32",
    bias: bool = False,
) -> WhatIf:
    """A KxK conv Cin -> Cout on hw x hw beside its dense, group, depthwise-separable and
    pointwise versions. ``groups``: the given conv is a group conv; ``depthwise``: the
    given layer is the depthwise-separable pair (depthwise multiplier ``multiplier``)."""
    check_positive(cin=cin, cout=cout, kernel=kernel, hw=hw, groups=groups,
                   multiplier=multiplier, stride=stride, batch=batch)  # fmt: skip
    if depthwise and groups is not None:
        raise InputSpecError("--groups and --depthwise exclude each other")
    if multiplier is not None and not depthwise:
        raise InputSpecError("--multiplier applies to --depthwise only")
    g, m = groups or 1, multiplier or 1
    if cin % g or cout % g:
        raise InputSpecError(f"--groups {g} does not divide --cin {cin} and --cout {cout}")
    element, bits = element_type(dtype)
    pad = kernel // 2
    h_out = (hw + 2 * pad - kernel) // stride + 1

    N = sym("N", batch) if batch != 1 else None
    Cin, Cout, K, G, M = (
        sym("Cin", cin),
        sym("Cout", cout),
        sym("K", kernel),
        sym("G", g),
        sym("M", m),
    )
    Mopt = M if m != 1 else None
    H, W, Ho, Wo = sym("H", hw), sym("W", hw), sym("H_out", h_out), sym("W_out", h_out)
    x, y = product(N, Cin, H, W), product(N, Cout, Ho, Wo)
    shape, k2 = (batch, cin, hw, hw), (kernel, kernel)
    same = {"stride": stride, "pads": (pad, pad), "bias": bias}

    def full(groups_: int, Cin_per_group: Expr, name: str, description: str) -> Plan:
        b = GraphBuilder(name, shape)
        b.conv(b.x, cout, k2, groups_, **same)
        weights = product(Cout, Cin_per_group, K, K)
        return Plan(
            name, description, b.graph(), total(weights, Cout if bias else None),
            product(N, Ho, Wo, Cout, Cin_per_group, K, K),
            flops_of_macs(times(CONV_BIAS_FLOPS, y) if bias else None),
            bytes_of([x, weights, *([Cout] if bias else []), y], bits),
        )  # fmt: skip

    geometry = f"{kernel}x{kernel} conv {cin}→{cout}, stride {stride}, padding {pad}"
    dense_plan = full(1, Cin, f"dense {kernel}x{kernel} conv", f"standard {geometry}, groups=1")
    plans = [(dense_plan, g == 1 and not depthwise)]
    if g > 1:
        plans.append((full(g, Cin / G, f"group conv G={g}", f"{geometry}, groups={g}"), True))

    # depthwise KxK Cin -> Cin·M (groups = Cin), then pointwise 1x1 Cin·M -> Cout
    mid = cin * m
    b = GraphBuilder("depthwise-separable", shape)
    t = b.conv(b.x, mid, k2, cin, **same)
    b.conv(t, cout, (1, 1), bias=bias)
    CinM = product(Cin, Mopt)
    dw_w, pw_w = product(CinM, K, K), product(Cout, CinM)
    dw_out = product(N, CinM, Ho, Wo)
    dw_bias = [CinM, Cout] if bias else []
    plans.append((Plan(
        "depthwise-separable",
        f"depthwise {kernel}x{kernel} {cin}→{mid} (groups={cin}, stride {stride}) "
        f"+ pointwise 1x1 {mid}→{cout}",
        b.graph(), total(dw_w, pw_w, *dw_bias),
        product(N, Ho, Wo, CinM, K, K) + product(N, Ho, Wo, Cout, CinM),
        flops_of_macs(*(times(CONV_BIAS_FLOPS, e) for e in ([dw_out, y] if bias else []))),
        bytes_of([x, dw_w, *dw_bias[:1], (2, dw_out), pw_w, *dw_bias[1:], y], bits),
    ), depthwise))  # fmt: skip

    b = GraphBuilder("pointwise 1x1", (batch, mid, h_out, h_out))
    b.conv(b.x, cout, (1, 1), bias=bias)
    plans.append((Plan(
        "pointwise 1x1 only",
        f"the pointwise half alone: 1x1 conv {mid}→{cout} on {h_out}x{h_out}",
        b.graph(), total(pw_w, Cout if bias else None), product(N, Ho, Wo, Cout, CinM),
        flops_of_macs(times(CONV_BIAS_FLOPS, y) if bias else None),
        bytes_of([dw_out, pw_w, *([Cout] if bias else []), y], bits),
    ), False))  # fmt: skip

    alternatives = [cost(plan, element, given) for plan, given in plans]
    by_name = {a.name: a for a in alternatives}
    dense, ds = alternatives[0], by_name["depthwise-separable"]
    notes = [
        f"H_out = W_out = ⌊(H + 2·⌊K/2⌋ − K)/S⌋ + 1 = ⌊({hw} + {2 * pad} − {kernel})/{stride}⌋"
        f" + 1 = {h_out}",
        _ds_note(ds.macs, dense.macs, cout, kernel, m),
    ]
    if g > 1:
        group = by_name[f"group conv G={g}"]
        if Fraction(group.macs, dense.macs) != Fraction(1, g):
            raise FormulaMismatchError("group conv / dense MACs is not 1/G")
        notes.append(f"group conv / dense MACs = 1/G = 1/{g}: {g}× fewer MACs and weights, "
                     "the same activation bytes")  # fmt: skip
    given = "depthwise-separable" if depthwise else (f"group conv G={g}" if g > 1 else "dense")
    title = (f"{kernel}x{kernel} conv {cin}→{cout} on {batch}x{cin}x{hw}x{hw}, stride {stride}, "
             f"{element}; given: {given}")  # fmt: skip
    settings = recorded_settings(cin=cin, cout=cout, kernel=kernel, hw=hw, groups=groups,
                                 depthwise=depthwise, multiplier=multiplier, stride=stride,
                                 padding=pad, h_out=h_out, batch=batch, bias=bias)  # fmt: skip
    return WhatIf("conv", title, settings, element, _first_given(alternatives), notes)


def _first_given(alternatives: list[Alternative]) -> list[Alternative]:
    return sorted(alternatives, key=lambda a: not a.given)  # stable: the rest keep their order


def _ratio_text(ratio: Fraction) -> str:
    return f"{float(ratio):.4g}"


def _ds_note(ds_macs: int, dense_macs: int, cout: int, kernel: int, m: int) -> str:
    """The MobileNet closed form: depthwise-separable / standard MACs = M·(1/Cout + 1/K²)."""
    closed = m * (Fraction(1, cout) + Fraction(1, kernel * kernel))
    ratio = Fraction(ds_macs, dense_macs)
    if ratio != closed:
        raise FormulaMismatchError(
            f"depthwise-separable / dense MACs is {ratio}, not M·(1/Cout + 1/K²) = {closed}"
        )
    symbolic, values = "1/Cout + 1/K²", f"1/{cout} + 1/{kernel * kernel}"
    if m != 1:
        symbolic, values = f"M × ({symbolic})", f"{m} × ({values})"
    return (
        f"depthwise-separable / dense MACs = {symbolic} = {values} = {_ratio_text(ratio)}: "
        f"{_ratio_text(1 / ratio)}× fewer MACs"
    )
