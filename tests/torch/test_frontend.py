"""The PyTorch frontend: dispatch-level tracing on the meta device."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import costcalc  # noqa: E402
from costcalc.errors import CostcalcError  # noqa: E402
from tests.torch.models import DataDependent, Functional, Tied  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_mobilenet_v2_exact():
    report = costcalc.analyze("zoo:mobilenet_v2")
    # torchvision's mobilenet_v2 has 3,504,872 parameters
    assert report.totals.params == 3_504_872
    # the sum over its 52 convs and the classifier at 224x224: 300,774,272 (paper: 300M)
    assert report.totals.macs == 300_774_272
    assert report.unsupported == []


def test_functional_calls_are_costed():
    report = costcalc.analyze(Functional(), inputs=[(1, 8, 6, 6)])
    by_op = {}
    for row in report.layers:
        by_op.setdefault(row.op, []).append(row)
    (conv,) = by_op["Conv"]
    # F.conv2d groups 4, 8 -> 8 channels, 3x3 pad 1 on 6x6: 8*36*(8/4)*9 = 5,184 MACs
    assert conv.macs == 5_184
    # the broadcast multiply by scale: one FLOP per output element, 8*6*6 = 288
    (mul,) = by_op["Mul"]
    assert mul.flops == 288
    # x.mean((2, 3)): 288 adds + 8 divides = 296
    (mean,) = by_op["ReduceMean"]
    assert mean.flops == 296
    # z @ proj: (1, 8) x (8, 5) = 40 MACs
    (matmul,) = by_op["MatMul"]
    assert matmul.macs == 40
    assert len(by_op["Concat"]) == 1
    # params: 8*2*9 = 144 + 8 + 8*5 = 40 -> 192, all nn.Parameters, each counted once
    assert report.totals.params == 192
    assert report.totals.macs == 5_224


def test_tied_weights_once_modules_called_twice_and_uncalled_listed():
    report = costcalc.analyze(Tied(), inputs=[(3, 16)])
    # one shared 16x16 weight: 256 params; two uses of 3*16*16 = 768 MACs each
    assert report.totals.params == 256
    assert report.totals.macs == 1_536
    relus = [r for r in report.layers if r.op == "Relu"]
    assert [r.module for r in relus] == ["act", "act"]  # one module, called twice
    assert report.uncalled_modules == ["unused"]
    assert any("never used" in w for w in report.warnings)  # unused's 4*4 + 4 = 20


def test_the_model_is_left_exactly_as_it_was():
    model = Tied()
    model.train()
    before = copy.deepcopy(model.state_dict())
    params = [id(p) for p in model.parameters()]
    attrs = {name: sorted(vars(m)) for name, m in model.named_modules()}
    costcalc.analyze(model, inputs=[(2, 16)])
    assert model.training and all(m.training for m in model.modules())
    assert [id(p) for p in model.parameters()] == params
    assert {name: sorted(vars(m)) for name, m in model.named_modules()} == attrs
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[name]), name
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
    from torch.nn.modules import module as hooks

    assert not hooks._global_forward_hooks and not hooks._global_forward_pre_hooks


def test_data_dependent_model_falls_back_to_the_cpu_with_a_warning():
    report = costcalc.analyze(DataDependent(), inputs=[(2, 6)])
    # fc 6 -> 3 on a batch of 2: 36 MACs
    assert report.totals.macs == 36
    assert any("ran on the CPU" in w and "aten." in w for w in report.warnings)


def test_top_level_ops_have_no_module():
    # Functional's ops all run in the root module, whose path is '': they belong to no
    # module (None), as an exported top-level node ('/Conv') does in the ONNX frontend
    from costcalc.parsers.onnx import module_of

    report = costcalc.analyze(Functional(), inputs=[(1, 8, 6, 6)])
    (conv,) = [r for r in report.layers if r.op == "Conv"]
    # groups 4, 8 -> 8 channels, 3x3 pad 1 on 6x6: 8*36*(8/4)*9 = 5,184 MACs
    assert (conv.module, conv.macs) == (None, 5_184)
    assert {r.module for r in report.layers} == {None} == {module_of("/Conv")}


def test_meta_failure_names_the_module_that_failed():
    from torch import nn

    from costcalc.parsers.torch import MetaExecutionError, trace

    # DataDependent reads x.sum() in its own forward, outside any submodule
    with pytest.raises(MetaExecutionError, match="the forward of 'DataDependent' failed"):
        trace(DataDependent(), [(2, 6)])
    # inside a submodule, the error names it, though the hooks have unwound by then
    nested = nn.Sequential(nn.Linear(6, 6), nn.Sequential(nn.ReLU(), DataDependent()))
    with pytest.raises(MetaExecutionError, match=r"forward of '1\.1' failed at aten\._local"):
        trace(nested, [(2, 6)])


def test_data_dependent_model_too_large_for_the_cpu_is_an_error(monkeypatch):
    from costcalc.parsers import torch_model

    monkeypatch.setattr(torch_model, "CPU_FALLBACK_PARAMS", 10)
    with pytest.raises(CostcalcError, match="too large to run on the CPU"):
        costcalc.analyze(DataDependent(), inputs=[(2, 6)])


def test_module_spec_from_the_command_line(tmp_path):
    (tmp_path / "mynet.py").write_text(
        textwrap.dedent("""
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3)
            def forward(self, x):
                return self.conv(x)
        def build():
            return Net()
        """)
    )
    for spec in ("mynet:Net", "mynet:build"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), "analyze", spec, "--input", "1x3x10x10",
             "--format", "json"],
            capture_output=True, text=True, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        # 3x3 conv 3 -> 4 on 10x10 -> 8x8: 4*64*3*9 = 6,912 MACs; 4*27 + 4 = 112 params
        assert '"macs": 6912' in result.stdout
        assert '"params": 112' in result.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("zoo:nonet", "no such zoo model"),
        ("no_such_module_xyz:build", "cannot import"),
        ("tests.torch.models:missing", "has no attribute"),
        ("tests.torch.models:torch", "not callable"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(CostcalcError, match=message):
        costcalc.analyze(spec, inputs=[(1, 3, 8, 8)])


def test_pytorch_model_needs_an_input_shape():
    with pytest.raises(CostcalcError, match="--input"):
        costcalc.analyze(Functional())


def test_seventy_billion_parameters_in_under_2_gb():
    script = textwrap.dedent("""
        import resource, costcalc
        report = costcalc.analyze("tests.torch.models:linear_stack_70b", inputs=[(1, 16384)])
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(report.totals.params, report.totals.macs, round(peak_mib))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, result.stderr
    params, macs, peak_mib = map(int, result.stdout.split())
    # 261 * 16384 * 16384 = 70,061,654,016 weights, one MAC each for a batch of 1
    assert params == 70_061_654_016
    assert macs == 70_061_654_016
    assert peak_mib < 2048, f"peak RSS {peak_mib} MiB"


def test_construction_that_reads_weights_is_built_on_the_cpu_with_a_warning():
    report = costcalc.analyze("tests.torch.models:ReadsWeights", inputs=[(1, 3, 5, 5)])
    # 1x1 conv 3 -> 4 on 5x5: 4*25*3 = 300 MACs; 4*3 + 4 = 16 params
    assert (report.totals.macs, report.totals.params) == (300, 16)
    assert any("cannot be built on the meta device" in w for w in report.warnings)


def test_example_tensors_as_inputs():
    report = costcalc.analyze(Functional(), inputs=[torch.zeros(1, 8, 6, 6)])
    # the same 5,184 + 40 MACs as with a shape
    assert report.totals.macs == 5_224
    assert report.model.inputs == {"input_0": [1, 8, 6, 6]}


def test_patterns_on_a_small_pytorch_module():
    from collections import Counter

    from tests.torch.models import LightweightBlocks

    report = costcalc.analyze(LightweightBlocks(), inputs=[(1, 8, 6, 6)], baseline="dense")
    kinds = {p.kind: p for p in report.patterns}
    assert Counter(p.kind for p in report.patterns) == {
        "depthwise-separable": 1, "squeeze-excitation": 1, "channel-shuffle": 1,
        "group-conv": 1, "global-depthwise-conv": 1,
    }  # fmt: skip
    ds = kinds["depthwise-separable"]
    # dw 3x3 on 8 channels at 6x6: 36*8*9 = 2,592 MACs; pw 8->16: 36*8*16 = 4,608 -> 7,200;
    # the standard 3x3 8->16 conv: 36*8*16*9 = 41,472
    assert (ds.macs, ds.dense_macs) == (7_200, 41_472)
    se = kinds["squeeze-excitation"]
    # 8*2 + 2 + 2*8 + 8 = 42 params, reduction 8/2 = 4
    assert (se.params, se.attrs["reduction"]) == (42, 4)
    assert kinds["channel-shuffle"].attrs["groups"] == 2
    # 1x1 group conv 16->16, 4 groups: 36*16*4 = 2,304 MACs; dense 36*16*16 = 9,216
    g = kinds["group-conv"]
    assert (g.attrs["groups"], g.macs, g.dense_macs) == (4, 2_304, 9_216)
    # GDC on 16x6x6: C*H*W = 576 weights and MACs
    assert (kinds["global-depthwise-conv"].params, kinds["global-depthwise-conv"].macs) == (
        576,
        576,
    )
