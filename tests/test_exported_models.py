"""A real TorchScript export analyses end to end, with every run-time shape resolved."""

from __future__ import annotations

import pytest

import costcalc
from tests.exported import export_shuffle_net

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "shuffle.onnx"
    export_shuffle_net(path)
    return path


def test_exported_shuffle_net_costs(exported):
    report = costcalc.analyze(exported, dims={"batch": 1})
    assert report.unsupported == []
    macs = {r.module: r.macs for r in report.layers if r.macs}
    # input 32x32, stem 3->16 3x3 stride 2 -> 16x16: 16*16*16*3*9 = 110,592
    assert macs["stem"] == 110_592
    # each branch conv on 8 channels at 16x16: pointwise 256*8*8 = 16,384, depthwise 256*8*9
    assert (macs["unit.pw1"], macs["unit.dw"], macs["unit.pw2"]) == (16_384, 18_432, 16_384)
    # classifier 16 -> 10: 160
    assert macs["fc"] == 160
    # 110,592 + 16,384 + 18,432 + 16,384 + 160 = 161,952
    assert report.totals.macs == 161_952
    # stem 16*27 + 16 = 448, branch 64 + 72 + 64 = 200, fc 160 + 10 = 170: 818
    assert report.totals.params == 818


def test_exported_batch_dim_binds(exported):
    with pytest.raises(costcalc.errors.ShapeError, match="'batch'"):
        costcalc.analyze(exported)
    # 2 * 161,952 = 323,904
    assert costcalc.analyze(exported, dims={"batch": 2}).totals.macs == 323_904


def test_layers_outside_any_module_are_grouped_as_root(exported):
    report = costcalc.analyze(exported, dims={"batch": 1})
    # Net.forward's own x.mean((2, 3)) exports as '/ReduceMean': no module
    (mean,) = [r for r in report.layers if r.op == "ReduceMean"]
    assert mean.module is None
    for depth in (None, 1):
        frame = report.group_by("module", depth).set_index("module")
        # the mean over 16 channels of 16x16: 16*256 adds + 16 divides = 4,112 FLOPs
        assert frame.loc["(root)", "flops"] == 4_112
        # no layer is lost: the groups add up to the totals
        assert frame["flops"].sum() == report.totals.flops
