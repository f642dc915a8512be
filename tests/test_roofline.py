"""Roofline estimates against hand-computed times on a made-up profile."""

from __future__ import annotations

import pytest

import costcalc
from costcalc.hardware import parse_hardware
from tests.onnx_models import conv_bn_relu_model

PROFILE = {
    "name": "test device",
    "memory_bandwidth_gbps": 1.0,  # 1e9 B/s: 1 byte per ns
    "kernel_overhead_us": 2.0,
    "peak_tflops": {"float32": 0.001},  # 1e9 FLOP/s: 1 FLOP per ns
}


def test_layer_times_are_the_roofline_plus_overhead():
    report = costcalc.analyze(conv_bn_relu_model(), hardware=parse_hardware(PROFILE))
    conv, bn, relu = report.layers
    # conv: 43,200 FLOPs = 43.2 µs; bytes 2,064 + 3,200 = 5,264 -> 5.264 µs; compute-bound,
    # + 2 µs overhead = 45.2 µs
    assert (conv.est_time_us, conv.bound) == (pytest.approx(45.2), "compute")
    # BN: 1,600 FLOPs = 1.6 µs; bytes 3,328 + 3,200 = 6,528 -> 6.528 µs; memory-bound: 8.528
    assert (bn.est_time_us, bn.bound) == (pytest.approx(8.528), "memory")
    # Relu: 800 FLOPs, 6,400 bytes -> 6.4 + 2 = 8.4 µs
    assert relu.est_time_us == pytest.approx(8.4)
    assert report.totals.est_time_us == pytest.approx(45.2 + 8.528 + 8.4)
    assert report.totals.hardware == "test device"


def test_calibrated_factors_by_category_then_by_op():
    calibrated = dict(PROFILE)
    calibrated["efficiency"] = {
        "norm": {"memory": 0.5, "overhead_us": 1.0},
        "op:Relu": {"memory": 0.25},
        "activation": {"memory": 1.0, "overhead_us": 0.0},
    }
    report = costcalc.analyze(conv_bn_relu_model(), hardware=parse_hardware(calibrated))
    _, bn, relu = report.layers
    # BN at half the bandwidth: 6,528 B -> 13.056 µs, + its own 1 µs overhead
    assert bn.est_time_us == pytest.approx(14.056)
    # Relu's own table wins over its category's: 6,400 B at a quarter -> 25.6 µs, + the
    # profile's 2 µs (the op table sets no overhead)
    assert relu.est_time_us == pytest.approx(27.6)
