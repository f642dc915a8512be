"""What-if costs of one layer beside its lightweight alternatives, no model needed.

The formulas of the lightweight-CNN literature made executable: a conv beside its dense,
group-conv, depthwise-separable and pointwise versions; a squeeze-and-excitation block
beside none; a global depthwise conv (GDC) beside global average pooling; a channel
shuffle beside the 1x1 group conv it accompanies and that conv's dense version.

Every number comes from the model path: each alternative is built as a tiny IR graph and
costed by ``costcalc.calculator.calculate`` with the op registry. Each is shown with the
formula it follows, symbolic and substituted (``Cout × Cin/G × K × K = 512 × 512/1 × 3
× 3 = 2,359,296``); the substituted arithmetic is evaluated independently here and must
give the calculator's number, or :class:`FormulaMismatchError` is raised: the formulas
printed and the registry can never silently disagree.

Conventions: padding is ``⌊K/2⌋`` ("same" for odd K), so ``H_out = ⌊(H + 2·⌊K/2⌋ − K)/S⌋
+ 1``; inputs are square (``H = W = hw``); bytes are read + written bytes of every tensor
the layer's ops read (data and weights) and write, at ``dtype``.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import reduce
from typing import Any

from costcalc.api import resolve_dtype
from costcalc.calculator import calculate
from costcalc.errors import InputSpecError
from costcalc.ir import Graph, Node, TensorSpec
from costcalc.ops.flop_table import AVERAGE_DIVIDE, ELEMENTWISE, WINDOW_ELEMENT
from costcalc.units import DTYPE_BITS, tensor_bytes

SCHEMA = "costcalc.whatif/1"
METRICS = ("params", "macs", "flops", "bytes")
CONV_BIAS_FLOPS = 1  # one add per output element (costcalc/ops/conv.py)


class FormulaMismatchError(RuntimeError):
    """A printed formula evaluates to another number than the registry gives: a bug."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Alternative:
    """One way of building the layer, costed by the calculator, with its formulas.

    ``formulas`` maps params / macs / flops / bytes to ``symbolic = substituted = value``.
    ``bytes_moved`` is read + written bytes; ``param_bytes`` the weights' share of it.
    """

    name: str
    description: str
    params: int
    macs: int
    flops: int
    bytes_moved: int
    formulas: dict[str, str]
    read_bytes: int = 0
    write_bytes: int = 0
    param_bytes: int = 0
    given: bool = False

    @property
    def activation_bytes(self) -> int:
        """Bytes of activations read and written (bytes moved less the weights)."""
        return self.bytes_moved - self.param_bytes

    def value(self, metric: str) -> int:
        return self.bytes_moved if metric == "bytes" else getattr(self, metric)


@dataclass(frozen=True)
class WhatIf:
    """A layer's alternatives, the given one first, and notes (ratios, closed forms)."""

    layer: str
    title: str
    settings: dict[str, Any]
    dtype: str
    alternatives: list[Alternative]
    notes: list[str] = field(default_factory=list)

    def ratio(self, alternative: Alternative, metric: str) -> float | None:
        """``alternative``'s ``metric`` over the first (given) one's; None when that is 0."""
        base = self.alternatives[0].value(metric)
        return alternative.value(metric) / base if base else None

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for alt in self.alternatives:
            row = asdict(alt)
            row["activation_bytes"] = alt.activation_bytes
            row["vs_first"] = {m: _rounded(self.ratio(alt, m)) for m in METRICS}
            rows.append(row)
        return {
            "schema": SCHEMA, "layer": self.layer, "title": self.title,
            "settings": self.settings, "dtype": self.dtype,
            "alternatives": rows, "notes": list(self.notes),
        }  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([
            "name", "given", "params", "macs", "flops", "read_bytes", "write_bytes",
            "bytes", "param_bytes", *(f"{m}_formula" for m in METRICS), "description",
        ])  # fmt: skip
        for alt in self.alternatives:
            writer.writerow([
                alt.name, alt.given, alt.params, alt.macs, alt.flops, alt.read_bytes,
                alt.write_bytes, alt.bytes_moved, alt.param_bytes,
                *(alt.formulas[m] for m in METRICS), alt.description,
            ])  # fmt: skip
        return buffer.getvalue()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


# --------------------------------------------------------------------------- formulas

_ATOM, _PRODUCT, _SUM = 3, 2, 1


@dataclass(frozen=True)
class Expr:
    """An arithmetic formula kept twice: in symbols (``Cin/G``) and in numbers (``512/4``)."""

    sym: str
    num: str
    level: int = _ATOM  # binding strength, to parenthesise only where needed

    def _wrap(self, level: int) -> tuple[str, str]:
        if self.level >= level:
            return self.sym, self.num
        return f"({self.sym})", f"({self.num})"

    def __mul__(self, other: Expr) -> Expr:
        (a, x), (b, y) = self._wrap(_PRODUCT), other._wrap(_PRODUCT)
        return Expr(f"{a} × {b}", f"{x} × {y}", _PRODUCT)

    def __truediv__(self, other: Expr) -> Expr:
        (a, x), (b, y) = self._wrap(_PRODUCT), other._wrap(_ATOM)
        return Expr(f"{a}/{b}", f"{x}/{y}", _PRODUCT)

    def __add__(self, other: Expr) -> Expr:
        return Expr(f"{self.sym} + {other.sym}", f"{self.num} + {other.num}", _SUM)

    def floor(self) -> Expr:
        return Expr(f"⌊{self.sym}⌋", f"⌊{self.num}⌋")

    def ceil(self) -> Expr:
        return Expr(f"⌈{self.sym}⌉", f"⌈{self.num}⌉")


def sym(name: str, value: int) -> Expr:
    return Expr(name, f"{value:,}")


def const(value: int) -> Expr:
    return Expr(f"{value:,}", f"{value:,}")


def product(*factors: Expr | None) -> Expr:
    """The product of the factors given (None: a factor left out, e.g. N when N = 1)."""
    present = [f for f in factors if f is not None]
    return reduce(operator.mul, present) if present else const(1)


def total(*terms: Expr | None) -> Expr:
    present = [t for t in terms if t is not None]
    return reduce(operator.add, present) if present else const(0)


def times(count: int, expr: Expr) -> Expr:
    """``count × expr``, without a factor of 1 (per-element FLOP constants)."""
    return expr if count == 1 else const(count) * expr


_BINARY: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}  # fmt: skip
_FUNCTIONS = {"ceil": math.ceil, "floor": math.floor}


def evaluate(text: str) -> Fraction:
    """The exact value of substituted arithmetic: ``×``, ``/``, ``+``, ``⌈⌉``, ``⌊⌋``, ``1,024``."""
    source = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    for old, new in (("×", "*"), ("·", "*"), ("−", "-"), ("⌈", "ceil("), ("⌉", ")"),
                     ("⌊", "floor("), ("⌋", ")")):  # fmt: skip
        source = source.replace(old, new)
    return _eval(ast.parse(source, mode="eval").body)


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
    ):
        return Fraction(_FUNCTIONS[node.func.id](_eval(node.args[0])))
    raise ValueError(f"not plain arithmetic: {ast.unparse(node)}")


def checked(what: str, expr: Expr, actual: int) -> str:
    """``symbolic = substituted = value``, after checking the arithmetic gives ``actual``."""
    value = evaluate(expr.num)
    if value != actual:
        raise FormulaMismatchError(
            f"{what}: the formula {expr.sym} = {expr.num} gives {value}, "
            f"but the op registry gives {actual:,}"
        )
    parts = [expr.sym]
    if expr.num != expr.sym:
        parts.append(expr.num)
    if expr.num != f"{actual:,}":
        parts.append(f"{actual:,}")
    return " = ".join(parts)


def bytes_of(tensors: list[Expr | tuple[int, Expr]], bits: int) -> Expr:
    """Bytes of tensors of these element counts at ``bits`` per element.

    An item ``(k, t)`` is ``k`` tensors of ``t`` elements each (one read twice, say).
    Whole-byte types: ``(t1 + k × t2 + ...) × b``; sub-byte types pack each tensor
    whole: ``⌈t1 × bits/8⌉ + k × ⌈t2 × bits/8⌉ + ...``, as ``units.tensor_bytes`` does.
    """
    items = [t if isinstance(t, tuple) else (1, t) for t in tensors]
    if bits % 8 == 0:
        return total(*(times(k, t) for k, t in items)) * sym("b", bits // 8)
    return total(*(times(k, (t * const(bits) / const(8)).ceil()) for k, t in items))


# --------------------------------------------------------------------------- IR graphs


class _GraphBuilder:
    """A tiny IR graph: float activations and trainable float weights, named in order."""

    def __init__(self, name: str, x_shape: tuple[int, ...]) -> None:
        self.name = name
        self.x = TensorSpec("x", x_shape, "float32")
        self.nodes: list[Node] = []

    @staticmethod
    def weight(name: str, shape: tuple[int, ...]) -> TensorSpec:
        return TensorSpec(name, shape, "float32", storage=name, trainable=True)

    def add(self, op: str, inputs: tuple, out_shape: tuple[int, ...], **attrs: Any) -> TensorSpec:
        name = f"{op.lower()}{len(self.nodes)}"
        y = TensorSpec(f"{name}.out", out_shape, "float32")
        self.nodes.append(Node(name, op, inputs, (y,), attrs))
        return y

    def conv(
        self, x: TensorSpec, cout: int, kernel: tuple[int, int], groups: int = 1,
        stride: int = 1, pads: tuple[int, int] = (0, 0), bias: bool = False,
    ) -> TensorSpec:  # fmt: skip
        n, cin, h, w = x.shape
        out = (
            (h + 2 * pads[0] - kernel[0]) // stride + 1,
            (w + 2 * pads[1] - kernel[1]) // stride + 1,
        )
        index = len(self.nodes)
        inputs = [x, self.weight(f"conv{index}.weight", (cout, cin // groups, *kernel))]
        if bias:
            inputs.append(self.weight(f"conv{index}.bias", (cout,)))
        return self.add(
            "Conv", tuple(inputs), (n, cout, *out), group=groups, kernel_shape=list(kernel),
            strides=[stride, stride], pads=[pads[0], pads[1], pads[0], pads[1]],
        )  # fmt: skip

    def graph(self) -> Graph:
        return Graph(self.name, tuple(self.nodes), (self.x,), (self.nodes[-1].outputs[0],),
                     source="costcalc layer")  # fmt: skip


@dataclass(frozen=True)
class _Plan:
    """An alternative before costing: its graph and the formulas it must agree with."""

    name: str
    description: str
    graph: Graph | None  # None: no layer at all (costs 0)
    params: Expr
    macs: Expr
    flops: Callable[[int], Expr]  # given the MAC count (written ``MACs`` in the formula)
    bytes: Expr


def _cost(plan: _Plan, dtype: str, given: bool) -> Alternative:
    if plan.graph is None:
        read = write = param_bytes = params = macs = flops = 0
    else:
        report = calculate(plan.graph, dtype=dtype)
        if report.unsupported:
            raise FormulaMismatchError(
                f"{plan.name}: the registry cannot cost {report.unsupported}"
            )
        t = report.totals
        read, write, param_bytes = t.read_bytes, t.write_bytes, t.param_bytes
        params, macs, flops = t.params, t.macs, t.flops
    formulas = {
        "params": checked(f"{plan.name} params", plan.params, params),
        "macs": checked(f"{plan.name} MACs", plan.macs, macs),
        "flops": checked(f"{plan.name} FLOPs", plan.flops(macs), flops),
        "bytes": checked(f"{plan.name} bytes", plan.bytes, read + write),
    }
    return Alternative(
        plan.name, plan.description, params, macs, flops, read + write, formulas,
        read, write, param_bytes, given,
    )  # fmt: skip


def _flops_of_macs(*extra: Expr | None) -> Callable[[int], Expr]:
    """FLOPs = 2 × MACs + the other operations (biases, pooling, activations...)."""
    return lambda macs: total(const(2) * sym("MACs", macs), *extra)


# --------------------------------------------------------------------------- validation


def _positive(**values: int | None) -> None:
    for option, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            flag = "--" + option.replace("_", "-")
            raise InputSpecError(f"{flag} must be a positive integer, got {value!r}")


def _resolve_dtype(dtype: str) -> tuple[str, int]:
    name = resolve_dtype(dtype)  # the same names and message as `costcalc analyze --dtype`
    return name, DTYPE_BITS[name]


def _settings(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _first_given(alternatives: list[Alternative]) -> list[Alternative]:
    return sorted(alternatives, key=lambda a: not a.given)  # stable: the rest keep their order


def _ratio_text(ratio: Fraction) -> str:
    return f"{float(ratio):.4g}"


# --------------------------------------------------------------------------- conv


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
    _positive(cin=cin, cout=cout, kernel=kernel, hw=hw, groups=groups, multiplier=multiplier,
              stride=stride, batch=batch)  # fmt: skip
    if depthwise and groups is not None:
        raise InputSpecError("--groups and --depthwise exclude each other")
    if multiplier is not None and not depthwise:
        raise InputSpecError("--multiplier applies to --depthwise only")
    g, m = groups or 1, multiplier or 1
    if cin % g or cout % g:
        raise InputSpecError(f"--groups {g} does not divide --cin {cin} and --cout {cout}")
    element, bits = _resolve_dtype(dtype)
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

    def full(groups_: int, Cin_per_group: Expr, name: str, description: str) -> _Plan:
        b = _GraphBuilder(name, shape)
        b.conv(b.x, cout, k2, groups_, **same)
        weights = product(Cout, Cin_per_group, K, K)
        return _Plan(
            name, description, b.graph(), total(weights, Cout if bias else None),
            product(N, Ho, Wo, Cout, Cin_per_group, K, K),
            _flops_of_macs(times(CONV_BIAS_FLOPS, y) if bias else None),
            bytes_of([x, weights, *([Cout] if bias else []), y], bits),
        )  # fmt: skip

    geometry = f"{kernel}x{kernel} conv {cin}→{cout}, stride {stride}, padding {pad}"
    dense_plan = full(1, Cin, f"dense {kernel}x{kernel} conv", f"standard {geometry}, groups=1")
    plans = [(dense_plan, g == 1 and not depthwise)]
    if g > 1:
        plans.append((full(g, Cin / G, f"group conv G={g}", f"{geometry}, groups={g}"), True))

    # depthwise KxK Cin -> Cin·M (groups = Cin), then pointwise 1x1 Cin·M -> Cout
    mid = cin * m
    b = _GraphBuilder("depthwise-separable", shape)
    t = b.conv(b.x, mid, k2, cin, **same)
    b.conv(t, cout, (1, 1), bias=bias)
    CinM = product(Cin, Mopt)
    dw_w, pw_w = product(CinM, K, K), product(Cout, CinM)
    dw_out = product(N, CinM, Ho, Wo)
    dw_bias = [CinM, Cout] if bias else []
    plans.append((_Plan(
        "depthwise-separable",
        f"depthwise {kernel}x{kernel} {cin}→{mid} (groups={cin}, stride {stride}) "
        f"+ pointwise 1x1 {mid}→{cout}",
        b.graph(), total(dw_w, pw_w, *dw_bias),
        product(N, Ho, Wo, CinM, K, K) + product(N, Ho, Wo, Cout, CinM),
        _flops_of_macs(*(times(CONV_BIAS_FLOPS, e) for e in ([dw_out, y] if bias else []))),
        bytes_of([x, dw_w, *dw_bias[:1], (2, dw_out), pw_w, *dw_bias[1:], y], bits),
    ), depthwise))  # fmt: skip

    b = _GraphBuilder("pointwise 1x1", (batch, mid, h_out, h_out))
    b.conv(b.x, cout, (1, 1), bias=bias)
    plans.append((_Plan(
        "pointwise 1x1 only",
        f"the pointwise half alone: 1x1 conv {mid}→{cout} on {h_out}x{h_out}",
        b.graph(), total(pw_w, Cout if bias else None), product(N, Ho, Wo, Cout, CinM),
        _flops_of_macs(times(CONV_BIAS_FLOPS, y) if bias else None),
        bytes_of([dw_out, pw_w, *([Cout] if bias else []), y], bits),
    ), False))  # fmt: skip

    alternatives = [_cost(plan, element, given) for plan, given in plans]
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
    settings = _settings(cin=cin, cout=cout, kernel=kernel, hw=hw, groups=groups,
                         depthwise=depthwise, multiplier=multiplier, stride=stride,
                         padding=pad, h_out=h_out, batch=batch, bias=bias)  # fmt: skip
    return WhatIf("conv", title, settings, element, _first_given(alternatives), notes)


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


# --------------------------------------------------------------------------- SE


def se_whatif(
    channels: int, reduction: int, hw: int, *, batch: int = 1, dtype: str = "fp32"
) -> WhatIf:
    """Squeeze-and-excitation on a C x hw x hw block: global average pool, FC C -> C/R
    (bias), ReLU, FC C/R -> C (bias), sigmoid, channel-wise multiply; beside no SE."""
    _positive(channels=channels, reduction=reduction, hw=hw, batch=batch)
    squeeze = channels // reduction
    if squeeze < 1:
        raise InputSpecError(
            f"--reduction {reduction} leaves no channels: C/R = {channels}/{reduction} < 1"
        )
    element, bits = _resolve_dtype(dtype)
    N = sym("N", batch) if batch != 1 else None
    C, R, H, W = sym("C", channels), sym("R", reduction), sym("H", hw), sym("W", hw)
    Cr = C / R if channels % reduction == 0 else (C / R).floor()

    b = _GraphBuilder("squeeze-excitation", (batch, channels, hw, hw))
    pooled = b.add("GlobalAveragePool", (b.x,), (batch, channels, 1, 1))
    s = b.conv(pooled, squeeze, (1, 1), bias=True)
    r = b.add("Relu", (s,), s.shape)
    e = b.conv(r, channels, (1, 1), bias=True)
    gate = b.add("Sigmoid", (e,), e.shape)
    b.add("Mul", (b.x, gate), b.x.shape)

    block, vec, small = product(N, C, H, W), product(N, C), product(N, Cr)
    weights = const(2) * C * Cr
    se = _Plan(
        "with SE",
        f"GAP + FC {channels}→{squeeze} (+bias) + ReLU + FC {squeeze}→{channels} (+bias) "
        "+ sigmoid + multiply; FLOPs: 2·MACs + pool (adds, divides) + biases + ReLU "
        "+ sigmoid + multiply; bytes: block input read twice and output written once, "
        "C-vectors written and read 3 times, C/R-vectors twice, weights once",
        b.graph(), total(weights, Cr, C), product(const(2), N, C, Cr),
        _flops_of_macs(
            times(WINDOW_ELEMENT, block), times(AVERAGE_DIVIDE, vec),
            times(CONV_BIAS_FLOPS, small), times(ELEMENTWISE["Relu"], small),
            times(CONV_BIAS_FLOPS, vec), times(ELEMENTWISE["Sigmoid"], vec),
            times(ELEMENTWISE["Mul"], block),
        ),
        bytes_of([(3, block), (6, vec), (4, small), weights, Cr, C], bits),
    )  # fmt: skip
    none = _Plan("without SE", "the block output used as it is", None,
                 const(0), const(0), lambda _: const(0), const(0))  # fmt: skip
    alternatives = [_cost(se, element, True), _cost(none, element, False)]
    notes = [
        "SE params = 2·C²/R + C/R + C and MACs = 2·C²/R do not grow with H×W; its bytes "
        f"do: the block is read twice and written once (3 × C × H × W × b = "
        f"{3 * tensor_bytes(batch * channels * hw * hw, element):,} bytes here)",
    ]
    title = f"squeeze-and-excitation on {batch}x{channels}x{hw}x{hw}, R={reduction}, {element}"
    settings = _settings(channels=channels, reduction=reduction, squeeze=squeeze, hw=hw,
                         batch=batch)  # fmt: skip
    return WhatIf("se", title, settings, element, alternatives, notes)


# --------------------------------------------------------------------------- GDC


def gdc_whatif(channels: int, hw: int, *, batch: int = 1, dtype: str = "fp32") -> WhatIf:
    """Global depthwise conv (kernel hw x hw, groups C: MobileFaceNet) beside global
    average pooling, on a C x hw x hw feature map."""
    _positive(channels=channels, hw=hw, batch=batch)
    element, bits = _resolve_dtype(dtype)
    N = sym("N", batch) if batch != 1 else None
    C, H, W = sym("C", channels), sym("H", hw), sym("W", hw)
    shape = (batch, channels, hw, hw)
    block, vec, weights = product(N, C, H, W), product(N, C), product(C, H, W)

    b = _GraphBuilder("gdc", shape)
    b.conv(b.x, channels, (hw, hw), channels)
    gdc = _Plan(
        "GDC", f"depthwise {hw}x{hw} conv, groups={channels}, no padding: one learned "
        "weight per channel and position", b.graph(), weights, product(N, C, H, W),
        _flops_of_macs(), bytes_of([block, weights, vec], bits),
    )  # fmt: skip
    b = _GraphBuilder("gap", shape)
    b.add("GlobalAveragePool", (b.x,), (batch, channels, 1, 1))
    gap = _Plan(
        "global average pooling", "GlobalAveragePool: every position weighted equally",
        b.graph(), const(0), const(0),
        lambda _: total(times(WINDOW_ELEMENT, block), times(AVERAGE_DIVIDE, vec)),
        bytes_of([block, vec], bits),
    )  # fmt: skip
    alternatives = [_cost(gdc, element, True), _cost(gap, element, False)]
    notes = ["GDC = C·H·W weights and MACs; GAP = none (its FLOPs: C·H·W adds + C divides)"]
    title = f"global depthwise conv vs global average pooling on {batch}x{channels}x{hw}x{hw}, {element}"  # noqa: E501
    return WhatIf("gdc", title, _settings(channels=channels, hw=hw, batch=batch), element,
                  alternatives, notes)  # fmt: skip


# --------------------------------------------------------------------------- shuffle


def shuffle_whatif(
    channels: int, groups: int, hw: int, *, batch: int = 1, dtype: str = "fp32"
) -> WhatIf:
    """Channel shuffle (reshape -> transpose -> reshape) beside the 1x1 group conv with G
    groups it follows in a ShuffleNet unit, and that conv's dense version."""
    _positive(channels=channels, groups=groups, hw=hw, batch=batch)
    if channels % groups:
        raise InputSpecError(f"--groups {groups} does not divide --channels {channels}")
    element, bits = _resolve_dtype(dtype)
    N = sym("N", batch) if batch != 1 else None
    C, G, H, W = sym("C", channels), sym("G", groups), sym("H", hw), sym("W", hw)
    shape = (batch, channels, hw, hw)
    block = product(N, C, H, W)

    b = _GraphBuilder("channel shuffle", shape)
    split = (batch, groups, channels // groups, hw, hw)
    target = TensorSpec("shape0", (5,), "int64", storage="shape0", trainable=False)
    back = TensorSpec("shape2", (4,), "int64", storage="shape2", trainable=False)
    grouped = b.add("Reshape", (b.x, target), split)
    swapped = b.add("Transpose", (grouped,), (batch, channels // groups, groups, hw, hw),
                    perm=[0, 2, 1, 3, 4])  # fmt: skip
    b.add("Reshape", (swapped, back), shape)
    shuffle = _Plan(
        f"channel shuffle G={groups}",
        f"reshape to (N, {groups}, {channels // groups}, H, W), transpose, reshape back: "
        "the reshapes are free, the transpose copies the whole tensor",
        b.graph(), const(0), const(0), lambda _: const(0), bytes_of([(2, block)], bits),
    )  # fmt: skip

    def pointwise(groups_: int, per_group: Expr, name: str) -> _Plan:
        b = _GraphBuilder(name, shape)
        b.conv(b.x, channels, (1, 1), groups_)
        weights = product(C, per_group)
        return _Plan(
            name, f"1x1 conv {channels}→{channels}, groups={groups_}", b.graph(), weights,
            product(N, H, W, C, per_group), _flops_of_macs(),
            bytes_of([block, weights, block], bits),
        )  # fmt: skip

    alternatives = [
        _cost(shuffle, element, True),
        _cost(pointwise(groups, C / G, f"1x1 group conv G={groups}"), element, False),
        _cost(pointwise(1, C, "1x1 dense conv"), element, False),
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
    settings = _settings(channels=channels, groups=groups, hw=hw, batch=batch)
    return WhatIf("shuffle", title, settings, element, alternatives, notes)
