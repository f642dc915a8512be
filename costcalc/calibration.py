"""``costcalc calibrate``: microbenchmarks on this machine -> per-kind-of-op efficiency
factors and overheads -> a hardware profile (TOML) for the roofline estimate.

Every benchmark is a one-node ONNX model built here, costed by costcalc (the same code
path as any model: its FLOPs, bytes and category) and timed by onnxruntime exactly as
``costcalc profile`` times a model (same settings, same per-kernel medians). Per category
the fit finds the factors of the roofline model

    t = max(FLOPs / (peak x compute), bytes / (bandwidth x memory)) + overhead_us

(overhead_us >= 0) that minimise the mean absolute error in log space, i.e. the relative
error, by a grid search refined once: no scipy needed, and robust to the odd noisy point.
``default`` is fitted on all benchmarks together and serves the categories without
benchmarks of their own (resample, conv-transpose...).

The factors are fractions of the profile's peak FLOP/s and bandwidth, so at most 1. A
benchmark may beat the base profile's figures: its working set stays in cache (faster than
the DRAM bandwidth a datasheet gives), or this core has wider vectors than the base
assumes. Then the calibrated profile's bandwidth (or every peak) is raised to the fastest
category's effective rate, and every factor is expressed as a fraction of that: the
estimates are the same, the factors stay in (0, 1], and the header says so.
"""

from __future__ import annotations

import datetime as _dt
import json
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from costcalc.errors import CostcalcError
from costcalc.hardware import Hardware, load_hardware
from costcalc.profiling import Settings, attach, measure

CATEGORIES = (
    "conv-dense", "conv-group", "conv-depthwise", "conv-pointwise", "linear", "norm",
    "activation", "pool", "elementwise", "data movement", "reduction",
)  # fmt: skip
DEFAULT = "default"
OP_NODE = "op"  # the benchmarked node's name in every micro model


# --- the micro models -------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    name: str
    category: str  # the category it is meant to exercise (costcalc's must agree)
    build: Callable[[], onnx.ModelProto]


def _init(name: str, shape: tuple[int, ...], scale: float = 0.1) -> TensorProto:
    data = np.random.default_rng(len(name) + sum(shape)).standard_normal(shape) * scale
    return numpy_helper.from_array(data.astype(np.float32), name)


def _model(
    node: onnx.NodeProto,
    inputs: dict[str, tuple[int, ...]],
    inits: Iterable[TensorProto] = (),
    opset: int = 17,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node],
        "micro",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in node.output],
        list(inits),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def conv(cin: int, cout: int, hw: int, k: int = 3, stride: int = 1, groups: int = 1):
    def build() -> onnx.ModelProto:
        node = helper.make_node(
            "Conv", ["x", "W", "B"], ["y"], name=OP_NODE, kernel_shape=[k, k],
            pads=[k // 2] * 4, strides=[stride, stride], group=groups,
        )  # fmt: skip
        inits = [_init("W", (cout, cin // groups, k, k)), _init("B", (cout,))]
        return _model(node, {"x": (1, cin, hw, hw)}, inits)

    return build


def gemm(m: int, k: int, n: int, matmul: bool = False):
    def build() -> onnx.ModelProto:
        if matmul:
            node = helper.make_node("MatMul", ["x", "W"], ["y"], name=OP_NODE)
            return _model(node, {"x": (m, k)}, [_init("W", (k, n))])
        node = helper.make_node("Gemm", ["x", "W", "B"], ["y"], name=OP_NODE, transB=1)
        return _model(node, {"x": (m, k)}, [_init("W", (n, k)), _init("B", (n,))])

    return build


def unary(op: str, c: int, hw: int, **attrs):
    def build() -> onnx.ModelProto:
        inputs, inits = ["x"], []
        if op == "PRelu":
            inputs.append("slope")
            inits.append(_init("slope", (c, 1, 1)))
        if op == "Clip":
            inputs += ["lo", "hi"]
            inits += [numpy_helper.from_array(np.array(v, np.float32), n)
                      for n, v in (("lo", 0.0), ("hi", 6.0))]  # fmt: skip
        node = helper.make_node(op, inputs, ["y"], name=OP_NODE, **attrs)
        return _model(node, {"x": (1, c, hw, hw)}, inits)

    return build


def batchnorm(c: int, hw: int):
    def build() -> onnx.ModelProto:
        names = ["scale", "bias", "mean", "var"]
        inits = [_init(n, (c,)) for n in names[:3]]
        inits.append(numpy_helper.from_array(np.ones(c, np.float32), "var"))
        node = helper.make_node("BatchNormalization", ["x", *names], ["y"], name=OP_NODE)
        return _model(node, {"x": (1, c, hw, hw)}, inits)

    return build


def binary(op: str, c: int, hw: int, broadcast: bool = False):
    def build() -> onnx.ModelProto:
        other = (1, c, 1, 1) if broadcast else (1, c, hw, hw)
        node = helper.make_node(op, ["x", "z"], ["y"], name=OP_NODE)
        return _model(node, {"x": (1, c, hw, hw), "z": other})

    return build


def concat(c: int, hw: int):
    def build() -> onnx.ModelProto:
        node = helper.make_node("Concat", ["x", "z"], ["y"], name=OP_NODE, axis=1)
        return _model(node, {"x": (1, c // 2, hw, hw), "z": (1, c - c // 2, hw, hw)})

    return build


def shuffle_transpose(c: int, hw: int, groups: int = 2):
    def build() -> onnx.ModelProto:
        node = helper.make_node("Transpose", ["x"], ["y"], name=OP_NODE, perm=[0, 2, 1, 3, 4])
        return _model(node, {"x": (1, groups, c // groups, hw, hw)})

    return build


def channel_slice(c: int, hw: int):
    def build() -> onnx.ModelProto:
        consts = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in
                  (("starts", [c // 2]), ("ends", [c]), ("axes", [1]))]  # fmt: skip
        node = helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["y"], name=OP_NODE)
        return _model(node, {"x": (1, c, hw, hw)}, consts)

    return build


def pool(op: str, c: int, hw: int, **attrs):
    def build() -> onnx.ModelProto:
        node = helper.make_node(op, ["x"], ["y"], name=OP_NODE, **attrs)
        return _model(node, {"x": (1, c, hw, hw)})

    return build


def reduce_mean(c: int, hw: int):
    def build() -> onnx.ModelProto:
        axes = numpy_helper.from_array(np.array([2, 3], np.int64), "axes")
        node = helper.make_node("ReduceMean", ["x", "axes"], ["y"], name=OP_NODE, keepdims=1)
        return _model(node, {"x": (1, c, hw, hw)}, [axes], opset=18)

    return build


def benchmarks(quick: bool = False) -> list[Benchmark]:
    """The microbenchmarks: MobileNet/ShuffleNet/ResNet-like widths and resolutions.
    ``quick``: every other size of every category (half the set, for tests)."""
    items: list[Benchmark] = []

    def add(category: str, name: str, build: Callable[[], onnx.ModelProto]) -> None:
        items.append(Benchmark(name, category, build))

    # convolutions on a grid of widths and resolutions (the shapes of lightweight and
    # residual networks), kept where the activation (C x H x W) and the work are moderate
    widths, resolutions = (16, 32, 64, 128, 256, 512, 1024), (112, 56, 28, 14, 7)
    grid = [(c, hw) for c in widths for hw in resolutions if 25_000 <= c * hw * hw <= 1_700_000]
    dense = [(c, c, hw, 1) for c, hw in grid if 1e6 <= c * c * 9 * hw * hw <= 2.4e8]
    dense += [(3, 16, 224, 2), (3, 32, 224, 2), (32, 64, 56, 2), (64, 128, 28, 2),
              (128, 256, 14, 2)]  # fmt: skip
    pointwise = [
        (c, out, hw)
        for i, (c, hw) in enumerate(grid)
        for out in ((c, 4 * c) if i % 2 else (c, c // 4))
        if 1e6 <= c * out * hw * hw <= 2.4e8 and out * hw * hw <= 3_400_000
    ]
    depthwise = [(c, hw, 3, 1) for c, hw in grid]
    depthwise += [(32, 112, 3, 2), (96, 112, 3, 2), (144, 56, 3, 2), (256, 28, 3, 2),
                  (72, 56, 5, 2), (120, 28, 5, 1), (240, 14, 5, 1), (960, 7, 5, 1)]  # fmt: skip
    group = [(cin, cin, hw, 1, g) for g, cin, hw in
             ((2, 128, 28), (3, 240, 28), (3, 480, 14), (3, 960, 7), (4, 272, 28),
              (4, 544, 14), (8, 384, 28), (8, 768, 14), (8, 1536, 7))]  # fmt: skip
    group += [(c, c, hw, 3, 32) for c, hw in ((128, 56), (256, 28), (512, 14), (1024, 7))]
    group += [(c, c, hw, 3, 2) for c, hw in ((64, 56), (256, 14))]
    linear = [(1, 1024, 1000), (1, 1280, 1000), (1, 2048, 1000), (1, 576, 1024),
              (1, 512, 128)]  # fmt: skip
    matmul = [(196, 256, 256), (64, 512, 512)]
    sizes = [(16, 112), (64, 56), (256, 14), (960, 7), (32, 112)]
    acts = [("Relu", {}), ("Clip", {}), ("Sigmoid", {}), ("HardSigmoid", {}),
            ("HardSwish", {}), ("PRelu", {})]  # fmt: skip
    norms = [(16, 112), (64, 56), (128, 56), (256, 28), (512, 14), (1024, 7)]
    adds = [(24, 56), (64, 56), (256, 28), (512, 14), (2048, 7), (16, 112)]
    scales = [(72, 28), (240, 14), (576, 7), (64, 56)]
    moves = [(48, 56), (116, 28), (232, 14), (464, 7)]
    maxpools = [(24, 112), (64, 112)]
    avgpools = [(24, 56), (240, 28), (480, 14)]
    gaps = [(64, 56), (256, 28), (576, 7), (960, 7), (2048, 7)]
    reductions = [(64, 56), (464, 7), (1024, 7)]
    for cin, cout, hw, s in dense:
        add("conv-dense", f"conv3x3 {cin}->{cout} {hw}x{hw} s{s}", conv(cin, cout, hw, 3, s))
    for cin, cout, hw in pointwise:
        add("conv-pointwise", f"conv1x1 {cin}->{cout} {hw}x{hw}", conv(cin, cout, hw, 1))
    for c, hw, k, s in depthwise:
        add("conv-depthwise", f"dwconv{k}x{k} {c} {hw}x{hw} s{s}", conv(c, c, hw, k, s, c))
    for cin, cout, hw, k, g in group:
        name = f"gconv{k}x{k} {cin}->{cout} g{g} {hw}x{hw}"
        add("conv-group", name, conv(cin, cout, hw, k, 1, g))
    for m, k, n in linear:
        add("linear", f"gemm {m}x{k} . {k}x{n}", gemm(m, k, n))
    for m, k, n in matmul:
        add("linear", f"matmul {m}x{k} . {k}x{n}", gemm(m, k, n, matmul=True))
    for op, attrs in acts:
        for c, hw in sizes:
            add("activation", f"{op.lower()} {c}x{hw}x{hw}", unary(op, c, hw, **attrs))
    for c, hw in norms:
        add("norm", f"batchnorm {c}x{hw}x{hw}", batchnorm(c, hw))
    for c, hw in adds:
        add("elementwise", f"add {c}x{hw}x{hw}", binary("Add", c, hw))
    for c, hw in scales:
        add("elementwise", f"mul (SE scale) {c}x{hw}x{hw}", binary("Mul", c, hw, True))
    for c, hw in moves:
        add("data movement", f"concat {c}x{hw}x{hw}", concat(c, hw))
        add("data movement", f"shuffle transpose {c}x{hw}x{hw}", shuffle_transpose(c, hw))
        add("data movement", f"slice half {c}x{hw}x{hw}", channel_slice(c, hw))
    for c, hw in maxpools:
        attrs = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
        add("pool", f"maxpool3x3 s2 {c}x{hw}x{hw}", pool("MaxPool", c, hw, **attrs))
    for c, hw in avgpools:
        for pad in (0, 1):  # PyTorch's AvgPool2d counts the padding by default
            attrs = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                     "count_include_pad": pad}  # fmt: skip
            name = f"avgpool3x3 s2{' pad-counted' if pad else ''} {c}x{hw}x{hw}"
            add("pool", name, pool("AveragePool", c, hw, **attrs))
    for c, hw in gaps:
        add("pool", f"global avgpool {c}x{hw}x{hw}", pool("GlobalAveragePool", c, hw))
    for c, hw in reductions:
        add("reduction", f"reducemean hw {c}x{hw}x{hw}", reduce_mean(c, hw))
    if quick:  # every other size of every category
        by_category: dict[str, list[Benchmark]] = {}
        for bench in items:
            by_category.setdefault(bench.category, []).append(bench)
        items = [b for group in by_category.values() for b in group[::2]]
    return items


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Point:
    """One benchmark: costcalc's counts for it and its measured median."""

    name: str
    category: str
    flops: int
    bytes: int
    measured_us: float
    op: str = ""


def run_benchmark(bench: Benchmark, settings: Settings) -> Point:
    """Cost ``bench`` with costcalc and time it with onnxruntime, like ``costcalc profile``."""
    from costcalc.api import analyze

    proto = bench.build()
    report = analyze(proto)
    index = next(i for i, row in enumerate(report.layers) if row.name == OP_NODE)
    row = report.layers[index]
    if row.category != bench.category:
        raise CostcalcError(
            f"benchmark {bench.name!r}: costcalc files it under {row.category!r}, "
            f"not {bench.category!r}"
        )
    attach(report, measure(proto, report, settings), bench.name)
    measured = report.layers[index].measured_us
    if measured is None:
        raise CostcalcError(f"benchmark {bench.name!r}: onnxruntime ran no kernel for it")
    moved = (row.read_bytes or 0) + (row.write_bytes or 0)
    return Point(bench.name, row.category, row.flops or 0, moved, max(float(measured), 0.1), row.op)


def run_benchmarks(
    items: list[Benchmark],
    settings: Settings,
    progress: Callable[[int, int, Benchmark], None] | None = None,
) -> list[Point]:
    points = []
    for number, bench in enumerate(items, 1):
        if progress is not None:
            progress(number, len(items), bench)
        points.append(run_benchmark(bench, settings))
    return points


# --- fitting -----------------------------------------------------------------------------


@dataclass
class Fit:
    category: str
    compute: float
    memory: float
    overhead_us: float
    points: list[Point] = field(default_factory=list)
    median_error: float = 0.0  # median |predicted - measured| / measured, fitted factors
    datasheet_error: float = 0.0  # the same with the base profile as it is


def predict(
    flops: np.ndarray,
    moved: np.ndarray,
    peak: float,
    bandwidth: float,
    compute: float,
    memory: float,
    overhead: float,
) -> np.ndarray:
    """The roofline model, in µs (as ``costcalc.analyses.roofline.layer_time_us``)."""
    return np.maximum(flops / (peak * compute), moved / (bandwidth * memory)) * 1e6 + overhead


PRIOR = 0.02  # loss per unit of |log factor|: keeps the base's figure unless data disagree


def _loss(work: np.ndarray, overhead: float, measured: np.ndarray) -> np.ndarray:
    predicted = np.maximum(work + overhead, 1e-3)
    return np.abs(np.log(predicted / measured)).mean(axis=-1)


def _search(
    flops, moved, measured, peak, bandwidth, c_grid, m_grid, o_grid
) -> tuple[float, float, float, float]:
    compute_us = flops[None, :] / (peak * c_grid[:, None]) * 1e6  # (c, n)
    memory_us = moved[None, :] / (bandwidth * m_grid[:, None]) * 1e6  # (m, n)
    work = np.maximum(compute_us[:, None, :], memory_us[None, :, :])  # (c, m, n)
    prior = PRIOR * (np.abs(np.log(c_grid))[:, None] + np.abs(np.log(m_grid))[None, :])
    best = (np.inf, 1.0, 1.0, 0.0)
    for overhead in o_grid:
        loss = _loss(work, overhead, measured) + prior
        i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)  # first: the largest c, m
        if loss[i, j] < best[0] - 1e-12:
            best = (float(loss[i, j]), float(c_grid[i]), float(m_grid[j]), float(overhead))
    return best


UPPER = 16.0  # the search allows a category 16x the base's peak or bandwidth


def _grid(low: float, high: float, count: int) -> np.ndarray:
    """Values from ``low`` to ``high`` (geometric), those nearest 1 first: on a tie (a
    bound that never binds) the search keeps the base profile's figure."""
    values = np.geomspace(low, high, count)
    if low <= 1.0 <= high:
        values = np.append(values, 1.0)
    values = np.unique(values)
    return values[np.argsort(np.abs(np.log(values)), kind="stable")]


def fit_points(category: str, points: list[Point], hardware: Hardware) -> Fit:
    """The compute and memory factors (relative to ``hardware``'s peak and bandwidth; up to
    ``UPPER``) and the overhead (µs) minimising the mean |log(predicted / measured)|."""
    flops = np.array([p.flops for p in points], float)
    moved = np.array([p.bytes for p in points], float)
    measured = np.array([p.measured_us for p in points], float)
    peak, bandwidth = hardware.flops_per_second("float32"), hardware.bandwidth
    floor = float(measured.min())
    coarse = _grid(1e-3, UPPER, 81)
    _, c, m, o = _search(
        flops, moved, measured, peak, bandwidth, coarse, coarse, np.linspace(0, floor, 41)
    )
    step = floor / 40
    _, c, m, o = _search(
        flops, moved, measured, peak, bandwidth,
        _grid(max(c / 1.15, 1e-4), min(c * 1.15, UPPER), 21),
        _grid(max(m / 1.15, 1e-4), min(m * 1.15, UPPER), 21),
        np.linspace(max(0.0, o - step), min(floor, o + step), 21),
    )  # fmt: skip
    fitted = predict(flops, moved, peak, bandwidth, c, m, o)
    base = hardware.efficiency_for(category)
    base_overhead = hardware.overhead_us if base.overhead_us is None else base.overhead_us
    datasheet = predict(flops, moved, peak, bandwidth, base.compute, base.memory, base_overhead)
    return Fit(
        category, c, m, o, points,
        median_error=float(np.median(np.abs(fitted - measured) / measured)),
        datasheet_error=float(np.median(np.abs(datasheet - measured) / measured)),
    )  # fmt: skip


OP_PREFIX = "op:"  # [efficiency."op:PRelu"]: one op type's own factors within its category
OP_GAIN = 0.10  # an op table is kept when it cuts the op's median error by 10 points


def fit(points: list[Point], hardware: Hardware) -> dict[str, Fit]:
    """One fit per category with benchmarks, ``default`` over all of them, and one per op
    type (``op:PRelu``) where a category's op types run at very different speeds and the
    op's own fit is clearly better (factors relative to ``hardware``'s figures, possibly
    above 1: see :func:`normalise`)."""
    fits = {}
    for category in CATEGORIES:
        mine = [p for p in points if p.category == category]
        if mine:
            fits[category] = fit_points(category, mine, hardware)
    fits[DEFAULT] = fit_points(DEFAULT, points, hardware)
    for category in CATEGORIES:
        ops = sorted({p.op for p in points if p.category == category and p.op})
        if len(ops) < 2:
            continue
        for op in ops:
            mine = [p for p in points if p.category == category and p.op == op]
            if len(mine) < 2:
                continue
            own = fit_points(OP_PREFIX + op, mine, hardware)
            if own.median_error < _error(fits[category], mine, hardware) - OP_GAIN:
                fits[OP_PREFIX + op] = own
    return fits


def _error(result: Fit, points: list[Point], hardware: Hardware) -> float:
    """Median relative error of ``result``'s factors on ``points``."""
    measured = np.array([p.measured_us for p in points], float)
    predicted = predict(
        np.array([p.flops for p in points], float), np.array([p.bytes for p in points], float),
        hardware.flops_per_second("float32"), hardware.bandwidth,
        result.compute, result.memory, result.overhead_us,
    )  # fmt: skip
    return float(np.median(np.abs(predicted - measured) / measured))


def normalise(fits: dict[str, Fit]) -> tuple[float, float]:
    """Scale the factors into (0, 1]: returns (peak scale, bandwidth scale), the factors by
    which the calibrated profile's peaks and bandwidth exceed the base's (1: unchanged)."""
    peak_scale = max(1.0, *(f.compute for f in fits.values()))
    bandwidth_scale = max(1.0, *(f.memory for f in fits.values()))
    for result in fits.values():
        result.compute = min(1.0, result.compute / peak_scale)
        result.memory = min(1.0, result.memory / bandwidth_scale)
    return peak_scale, bandwidth_scale


# --- the whole calibration and its TOML ---------------------------------------------------


@dataclass
class Calibration:
    base: Hardware
    settings: Settings
    fits: dict[str, Fit]
    host: str
    date: str
    runtime: str
    peak_scale: float = 1.0  # calibrated peaks / the base's
    bandwidth_scale: float = 1.0  # calibrated bandwidth / the base's

    @property
    def name(self) -> str:
        return f"{self.base.name}, calibrated on {self.host} {self.date}"

    @property
    def points(self) -> list[Point]:
        return self.fits[DEFAULT].points

    def hardware(self) -> Hardware:
        import tomllib

        from costcalc.hardware import parse_hardware

        return parse_hardware(tomllib.loads(self.to_toml()), key=self.name)

    def to_toml(self) -> str:
        return to_toml(self)


def calibrate(
    base: str = "x86",
    threads: int = 1,
    quick: bool = False,
    runs: int | None = None,
    warmup: int | None = None,
    progress: Callable[[int, int, Benchmark], None] | None = None,
) -> Calibration:
    """Run the microbenchmarks here and fit ``base``'s efficiency factors to them."""
    hardware = load_hardware(base)
    settings = Settings(
        runs=runs if runs is not None else (5 if quick else 15),
        warmup=warmup if warmup is not None else (2 if quick else 3),
        threads=threads,
    )
    points = run_benchmarks(benchmarks(quick), settings, progress)
    return from_points(points, hardware, settings)


def from_points(points: list[Point], hardware: Hardware, settings: Settings) -> Calibration:
    """The calibration these measured benchmarks give (fit, then normalise)."""
    from costcalc.profiling.runtime import require_onnxruntime

    fits = fit(points, hardware)
    peak_scale, bandwidth_scale = normalise(fits)
    return Calibration(
        hardware, settings, fits, socket.gethostname() or "this machine",
        _dt.date.today().isoformat(), f"onnxruntime {require_onnxruntime().__version__}",
        peak_scale, bandwidth_scale,
    )  # fmt: skip


def _number(value: float) -> str:
    return f"{float(f'{value:.4g}')!r}"


def _key(category: str) -> str:
    bare = all(ch.isalnum() or ch in "-_" for ch in category)
    return category if bare else json.dumps(category)


def to_toml(calibration: Calibration) -> str:
    base, settings = calibration.base, calibration.settings
    fits = calibration.fits
    lines = [
        f"# {calibration.name}",
        "# Written by `costcalc calibrate`: efficiency factors fitted on microbenchmarks",
        f"# (one-node ONNX models) timed with {calibration.runtime}, CPUExecutionProvider,",
        f"# {settings.threads} intra-op thread(s), graph optimisations off, medians of "
        f"{settings.runs} runs after {settings.warmup} warm-up run(s).",
        f"# Base profile: {base.key or base.name} ({base.name}).",
        "# Per layer: t = max(FLOPs / (peak x compute), bytes / (bandwidth x memory))"
        " + overhead_us",
        "#",
        "# Fit, median relative error per category (fitted / base profile as it is):",
    ]
    for category, result in fits.items():
        lines.append(
            f"#   {category:<15} {len(result.points):>3} benchmarks  "
            f"{100 * result.median_error:6.1f}% / {100 * result.datasheet_error:6.1f}%"
        )
    peak = base.flops_per_second("float32") * calibration.peak_scale
    bandwidth = base.bandwidth * calibration.bandwidth_scale
    lines.append("#")
    if calibration.bandwidth_scale > 1.0:
        lines.append(
            f"# memory_bandwidth_gbps raised {calibration.bandwidth_scale:.2f}x from the base's "
            f"{base.bandwidth / 1e9:g} GB/s: layers here move data faster (their working"
        )
        lines.append("# sets stay in cache); memory factors are fractions of the new figure.")
    else:
        lines.append("# Peak bandwidth: the base profile's.")
    if calibration.peak_scale > 1.0:
        lines.append(
            f"# peak_tflops raised {calibration.peak_scale:.2f}x from the base's: this core "
            "computes faster than the base assumes; compute factors are fractions of the"
        )
        lines.append("# new figures (every dtype scaled alike; only float32 was measured).")
    else:
        lines.append("# Peak FLOP/s: the base profile's (only float32 was measured).")
    if any(key.startswith(OP_PREFIX) for key in fits):
        lines += [
            "#",
            '# [efficiency."op:<Op>"] tables: one op type whose own fit is much better than its',
            "# category's (their op types run at very different speeds here); the roofline",
            "# uses them before the category's.",
        ]
    lines += ["#", "# Benchmarks: category, FLOPs, bytes, measured µs, fitted µs (op table's"]
    lines += ["# if there is one, else the category's)"]
    for category, result in fits.items():
        if category == DEFAULT or category.startswith(OP_PREFIX):
            continue
        for p in result.points:
            used = fits.get(OP_PREFIX + p.op, result)
            predicted = predict(
                np.array([p.flops], float), np.array([p.bytes], float), peak, bandwidth,
                used.compute, used.memory, used.overhead_us,
            )[0]  # fmt: skip
            lines.append(
                f"#   {p.name:<34} {category:<15} {p.flops:>13,} {p.bytes:>12,} "
                f"{p.measured_us:>10.1f} {predicted:>10.1f}"
            )
    lines += [
        "",
        f"name = {json.dumps(calibration.name)}",
        f"kind = {json.dumps(base.kind or 'cpu')}",
        "source = "
        + json.dumps(
            f"costcalc calibrate on {calibration.host} {calibration.date} "
            f"({settings.threads} thread(s), {calibration.runtime}) from the profile "
            f"{base.name!r}, whose source is: {base.source or base.name}"
        ),
        f"memory_bandwidth_gbps = {_number(bandwidth / 1e9)}",
        f"kernel_overhead_us = {_number(fits[DEFAULT].overhead_us)}",
        "",
        "[peak_tflops]",
    ]
    lines += [
        f"{dtype} = {_number(value * calibration.peak_scale / 1e12)}"
        for dtype, value in base.peak_flops.items()
    ]
    for category, result in fits.items():
        lines += [
            "",
            f"[efficiency.{_key(category)}]",
            f"compute = {_number(result.compute)}",
            f"memory = {_number(result.memory)}",
            f"overhead_us = {_number(result.overhead_us)}",
        ]
    return "\n".join(lines) + "\n"


def summary(calibration: Calibration) -> list[tuple[str, int, float, float, float, float, float]]:
    """(category, benchmarks, compute, memory, overhead µs, fit error, base error) rows."""
    return [
        (c, len(f.points), f.compute, f.memory, f.overhead_us, f.median_error, f.datasheet_error)
        for c, f in calibration.fits.items()
    ]
