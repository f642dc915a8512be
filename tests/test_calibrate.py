"""costcalc calibrate: microbenchmarks -> fitted efficiency factors -> a loadable profile.

No test asserts a duration: the machine is shared. The fit itself is checked on synthetic
points (exact recovery); the real calibration only for structure, and for doing better
than the uncalibrated profile on a model it never saw.
"""

from __future__ import annotations

import tomllib

import click
import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import helper

pytest.importorskip("onnxruntime")

from costcalc.api import analyze
from costcalc.calibration import (
    CATEGORIES,
    DEFAULT,
    Calibration,
    Point,
    benchmarks,
    fit,
    fit_points,
    normalise,
    predict,
)
from costcalc.cli import CostcalcGroup
from costcalc.commands.calibrate import calibrate as calibrate_command
from costcalc.hardware import load_hardware, parse_hardware
from costcalc.profiling import profile
from costcalc.profiling.runtime import Settings
from tests.onnx_models import model

BASE = "x86"


def cli() -> click.Group:
    group = CostcalcGroup("costcalc")
    group.add_command(calibrate_command)
    return group


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> str:
    """One quick calibration for the module, through the command."""
    path = tmp_path_factory.mktemp("calibration") / "here.toml"
    result = CliRunner().invoke(cli(), ["calibrate", "-o", str(path), "--quick"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr
    return str(path)


def test_calibrated_profile_loads_with_factors_in_range(calibrated) -> None:
    hardware = load_hardware(calibrated)
    base = load_hardware(BASE)
    assert "calibrated on" in hardware.name and base.name in hardware.name
    tables = set(hardware.efficiency)
    assert {*CATEGORIES, DEFAULT} <= tables
    assert all(t.startswith("op:") for t in tables - {*CATEGORIES, DEFAULT})
    for category, eff in hardware.efficiency.items():
        assert 0 < eff.compute <= 1, category
        assert 0 < eff.memory <= 1, category
        assert eff.overhead_us is not None and eff.overhead_us >= 0, category
    # peaks and bandwidth: the base's, or raised (never lowered) when a benchmark beat them
    assert hardware.bandwidth >= base.bandwidth * (1 - 1e-3)
    for dtype, peak in base.peak_flops.items():
        assert hardware.peak_flops[dtype] >= peak * (1 - 1e-3)
    with open(calibrated) as handle:
        text = handle.read()
    assert "median relative error per category" in text
    assert "conv3x3 16->16 112x112 s1" in text  # the benchmarks are listed in the header
    assert '[efficiency."data movement"]' in text


def test_refuses_to_overwrite_before_benchmarking(calibrated) -> None:
    with open(calibrated) as handle:
        before = handle.read()
    result = CliRunner().invoke(cli(), ["calibrate", "-o", calibrated, "--quick"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "already exists" in lines[0]
    with open(calibrated) as handle:
        assert handle.read() == before


def held_out_model() -> onnx.ModelProto:
    """A MobileNetV2-style inverted residual at widths no benchmark has: 1x1 40->240,
    ReLU, depthwise 3x3 on 240 channels, ReLU, 1x1 240->40, residual add, at 28x28."""
    rng = np.random.default_rng(7)

    def w(name, shape):
        return onnx.numpy_helper.from_array(
            (rng.standard_normal(shape) * 0.1).astype(np.float32), name
        )

    nodes = [
        helper.make_node("Conv", ["x", "W1"], ["a"], name="expand"),
        helper.make_node("Relu", ["a"], ["b"], name="relu1"),
        helper.make_node("Conv", ["b", "W2"], ["c"], name="dw", pads=[1, 1, 1, 1], group=240),
        helper.make_node("Relu", ["c"], ["d"], name="relu2"),
        helper.make_node("Conv", ["d", "W3"], ["e"], name="project"),
        helper.make_node("Add", ["e", "x"], ["y"], name="residual"),
    ]
    inits = [w("W1", (240, 40, 1, 1)), w("W2", (240, 1, 3, 3)), w("W3", (40, 240, 1, 1))]
    return model(nodes, {"x": (1, 40, 28, 28)}, ["y"], inits)


def test_calibrated_profile_beats_the_datasheet_on_a_held_out_model(calibrated, tmp_path) -> None:
    names = {b.name for b in benchmarks()}
    assert not any(n.startswith(("conv1x1 40->240", "dwconv3x3 240 28")) for n in names)
    path = tmp_path / "held_out.onnx"
    onnx.save(held_out_model(), str(path))
    measured = profile(str(path), hardware=BASE, runs=7, warmup=2)
    times = {row.name: row.measured_us for row in measured.costed_layers}
    assert len(times) == 6 and all(t > 0 for t in times.values())
    errors = {}
    for hardware in (BASE, calibrated):
        report = analyze(str(path), hardware=hardware)
        errors[hardware] = float(
            np.median([abs(np.log(row.est_time_us / times[row.name])) for row in report.layers])
        )  # median per-layer error, in log space (|log(estimate / measured)|)
    assert errors[calibrated] < errors[BASE], errors


def test_every_benchmark_is_costed_in_its_category() -> None:
    for bench in benchmarks():
        report = analyze(bench.build())
        rows = [r for r in report.layers if r.name == "op"]
        assert len(rows) == 1 and rows[0].category == bench.category, bench.name
        assert rows[0].flops is not None and rows[0].read_bytes, bench.name
    quick = benchmarks(quick=True)
    assert {b.category for b in quick} == set(CATEGORIES)
    assert len(quick) < 0.6 * len(benchmarks())


def synthetic(category: str, c: float, m: float, o: float, hardware) -> list[Point]:
    """Points lying exactly on the roofline model with these factors, from problems small
    enough for the overhead to dominate to large compute- and memory-bound ones."""
    peak, bandwidth = hardware.flops_per_second("float32"), hardware.bandwidth
    sizes = [(2e3, 4e3), (1e4, 2e4), (2e5, 1.6e6), (1e6, 4e5), (5e7, 2e6), (2e8, 1e6),
             (1e5, 8e6), (3e6, 3e6)]  # fmt: skip
    flops = np.array([f for f, _ in sizes])
    moved = np.array([b for _, b in sizes])
    times = predict(flops, moved, peak, bandwidth, c, m, o)
    return [
        Point(f"p{i}", category, int(f), int(b), float(t))
        for i, (f, b, t) in enumerate(zip(flops, moved, times, strict=True))
    ]


def test_fit_recovers_known_factors() -> None:
    hardware = load_hardware(BASE)
    points = synthetic("conv-dense", 0.4, 0.25, 12.0, hardware)
    result = fit_points("conv-dense", points, hardware)
    assert result.compute == pytest.approx(0.4, rel=0.05)
    assert result.memory == pytest.approx(0.25, rel=0.05)
    assert result.overhead_us == pytest.approx(12.0, abs=1.0)
    assert result.median_error < 0.02 < result.datasheet_error


def test_op_tables_only_where_an_op_differs_from_its_category() -> None:
    hardware = load_hardware(BASE)
    relu = synthetic("activation", 1.0, 0.5, 1.0, hardware)
    prelu = synthetic("activation", 0.02, 0.02, 3.0, hardware)
    for point in relu:
        point.op = "Relu"
    for point in prelu:
        point.op = "PRelu"
        point.name += "-prelu"
    clip = synthetic("activation", 1.0, 0.5, 1.0, hardware)
    for point in clip:
        point.op = "Clip"
        point.name += "-clip"
    fits = fit(relu + clip + prelu, hardware)
    assert "op:PRelu" in fits and "op:Clip" not in fits
    assert fits["op:PRelu"].median_error < 0.02
    assert fits["op:PRelu"].memory == pytest.approx(0.02, rel=0.1)


def test_factors_above_the_base_raise_its_figures_and_keep_estimates() -> None:
    hardware = load_hardware(BASE)
    fast = synthetic("data movement", 1.0, 3.0, 2.0, hardware)  # cache-resident copies
    slow = synthetic("conv-depthwise", 0.1, 0.2, 30.0, hardware)
    fits = fit(fast + slow, hardware)
    raw = {k: (f.compute, f.memory) for k, f in fits.items()}
    peak_scale, bandwidth_scale = normalise(fits)
    assert bandwidth_scale == pytest.approx(3.0, rel=0.05) and peak_scale >= 1.0
    for category, result in fits.items():
        assert 0 < result.compute <= 1 and 0 < result.memory <= 1
        assert result.memory * bandwidth_scale == pytest.approx(raw[category][1], rel=1e-6)
    calibration = Calibration(
        hardware, Settings(runs=1, warmup=0), fits, "host", "2026-01-01", "onnxruntime x",
        peak_scale, bandwidth_scale,
    )  # fmt: skip
    text = calibration.to_toml()
    profile_ = parse_hardware(tomllib.loads(text))
    assert profile_.bandwidth == pytest.approx(hardware.bandwidth * bandwidth_scale, rel=1e-3)
    assert "raised" in text
    # the estimate of a benchmark is the same through the normalised profile
    point = slow[2]
    eff = profile_.efficiency_for("conv-depthwise")
    estimate = predict(
        np.array([point.flops], float), np.array([point.bytes], float),
        profile_.flops_per_second("float32"), profile_.bandwidth,
        eff.compute, eff.memory, eff.overhead_us,
    )[0]  # fmt: skip
    assert estimate == pytest.approx(point.measured_us, rel=0.05)
