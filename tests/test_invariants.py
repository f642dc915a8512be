"""Invariants every report keeps, on every fixture model."""

from __future__ import annotations

import pytest

import costcalc
from costcalc.examples.mobilenet_onnx import build_mobilenet_v1
from costcalc.report import Report
from tests.onnx_models import conv_bn_relu_model, custom_op_model, shared_weight_model

SUMMED = ("params", "macs", "flops", "read_bytes", "write_bytes")


def _exported(tmp_path_factory):
    pytest.importorskip("torch")
    from tests.exported import export_shuffle_net

    path = tmp_path_factory.mktemp("inv") / "shuffle.onnx"
    export_shuffle_net(path)
    return costcalc.analyze(path, dims={"batch": 3})


FIXTURES = {
    "conv_bn_relu": lambda _: costcalc.analyze(conv_bn_relu_model()),
    "mobilenet_v1_0.5_96": lambda _: costcalc.analyze(
        build_mobilenet_v1(0.5, 96, seed=None), dims={"N": 2}
    ),
    "shared_weight": lambda _: costcalc.analyze(shared_weight_model()),
    "custom_op": lambda _: costcalc.analyze(custom_op_model()),
    "torch_export": _exported,
}


@pytest.fixture(params=sorted(FIXTURES))
def report(request, tmp_path_factory) -> Report:
    return FIXTURES[request.param](tmp_path_factory)


def test_rows_sum_to_totals(report):
    for field in SUMMED:
        assert sum(getattr(r, field) or 0 for r in report.layers) == getattr(report.totals, field)


def test_flops_are_at_least_twice_the_macs(report):
    for row in report.layers:
        if row.macs is not None:
            assert row.flops >= 2 * row.macs, row.name


def test_free_and_folded_rows_cost_nothing(report):
    for row in report.layers:
        if row.kind in ("free", "folded"):
            assert (row.params, row.macs, row.flops, row.read_bytes, row.write_bytes) == (
                0, 0, 0, 0, 0,
            )  # fmt: skip


def test_unknown_is_never_zero(report):
    unknown = [r for r in report.layers if r.kind in ("unsupported", "unresolved")]
    assert all(r.macs is None and r.flops is None for r in unknown)
    assert report.totals.lower_bound == bool(unknown)
    assert sum(u.count for u in report.unsupported) == len(unknown)


def test_json_round_trip(report):
    assert Report.from_json(report.to_json()) == report
