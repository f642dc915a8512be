"""costcalc crosscheck: costcalc beside fvcore and FlopCounterMode, every difference explained."""

from __future__ import annotations

import warnings

import click
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytest.importorskip("fvcore")

with warnings.catch_warnings():  # fvcore's import uses torch.jit.script (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    from fvcore.nn import FlopCountAnalysis
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import costcalc  # noqa: E402
from costcalc import zoo  # noqa: E402
from costcalc.analyses.crosscheck import CrossCheck, CrossCheckError, crosscheck  # noqa: E402
from costcalc.cli import CostcalcGroup  # noqa: E402
from costcalc.commands.crosscheck import crosscheck as crosscheck_command  # noqa: E402
from costcalc.errors import InputSpecError  # noqa: E402

MOBILENET = "zoo:mobilenet_v3_large"
TINY_INPUT = (1, 3, 8, 8)


class Tiny(nn.Module):
    """conv 3->8 3x3 pad 1 (bias) -> BN -> ReLU -> flatten -> linear 512->10 (bias)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.relu(self.bn(self.conv(x))), 1))


def tiny_net() -> nn.Module:
    """The factory the CLI test names as ``tests.test_crosscheck:tiny_net``."""
    return Tiny()


def run_directly(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, int, dict[str, int]]:
    """fvcore's and FlopCounterMode's totals (and fvcore's per-op counts), asked directly."""
    model.eval()
    x = torch.zeros(shape)
    with torch.no_grad():
        analysis = FlopCountAnalysis(model, (x,))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        fvcore_total, by_op = analysis.total(), dict(analysis.by_operator())
        counter = FlopCounterMode(display=False)
        with counter:
            model(x)
    return fvcore_total, counter.get_total_flops(), by_op


def assert_consistent(check: CrossCheck) -> None:
    """Rows add up to the totals; every nonzero difference is explained, none unexplained."""
    for column in ("costcalc_macs", "costcalc_flops", "fvcore", "flop_counter"):
        assert sum(getattr(r, column) for r in check.rows) == getattr(check.totals, column)
    for row in [*check.rows, check.totals]:
        assert row.explanations, row.module
        assert row.unexplained == [], (row.module, row.explanations)
        if row.agrees:
            assert any(t.startswith("agree (convention only)") for t in row.explanations)
    assert check.unexplained == []


# --------------------------------------------------------------------------- the tiny module


@pytest.fixture(scope="module")
def tiny() -> CrossCheck:
    torch.manual_seed(0)
    return crosscheck(Tiny(), [TINY_INPUT])


def test_tiny_totals_by_hand(tiny: CrossCheck) -> None:
    # conv 3->8 3x3 on 8x8, pad 1: 8 out channels * 64 positions * 27 (3*3*3) = 13,824 MACs
    # linear 512->10: 5,120 MACs                          -> costcalc MACs 18,944
    # fvcore: 1 per MAC (18,944) + its batch_norm handle, 2 per element in eval (normalise,
    #         affine) on 8*8*8 = 512 elements: 1,024       -> 19,968
    # FlopCounterMode: 2 per MAC, conv and addmm only, no bias -> 37,888
    # costcalc FLOPs: 2 * 18,944 + conv bias 512 + linear bias 10 + BN 2 * 512
    #                 + ReLU 512 = 39,946
    totals = tiny.totals
    assert (totals.costcalc_macs, totals.fvcore, totals.flop_counter) == (18_944, 19_968, 37_888)
    assert totals.costcalc_flops == 39_946


def test_tiny_rows_by_hand(tiny: CrossCheck) -> None:
    rows = {r.module: r for r in tiny.rows}
    assert list(rows) == ["conv", "bn", "relu", "fc"]
    numbers = {
        m: (r.costcalc_macs, r.costcalc_flops, r.fvcore, r.flop_counter) for m, r in rows.items()
    }
    assert numbers == {
        # 13,824 MACs; FLOPs 2 * 13,824 + 512 bias adds; fvcore 1 per MAC; FlopCounterMode 2
        "conv": (13_824, 28_160, 13_824, 27_648),
        # no MAC; costcalc and fvcore both count 2 per element (512 elements)
        "bn": (0, 1_024, 1_024, 0),
        # no MAC; 1 per element in costcalc; fvcore ignores relu, FlopCounterMode too
        "relu": (0, 512, 0, 0),
        # 5,120 MACs; FLOPs 2 * 5,120 + 10 bias adds
        "fc": (5_120, 10_250, 5_120, 10_240),
    }
    conv, bn, relu, fc = rows.values()
    assert conv.agrees and fc.agrees and relu.agrees and not bn.agrees
    assert any("bias adds of Conv ×1: +512" in t for t in conv.explanations)
    assert any("bias adds of Gemm ×1: +10" in t for t in fc.explanations)
    assert any("fvcore counts batch_norm" in t and "+1,024" in t for t in bn.explanations)
    assert any("fvcore ignores" in t and "Relu ×1" in t for t in relu.explanations)


def test_tiny_matches_the_libraries_and_analyze(tiny: CrossCheck) -> None:
    assert_consistent(tiny)
    fvcore_total, counter_total, _ = run_directly(Tiny(), TINY_INPUT)
    assert (tiny.totals.fvcore, tiny.totals.flop_counter) == (fvcore_total, counter_total)
    report = costcalc.analyze(Tiny(), inputs=[TINY_INPUT])
    assert tiny.totals.costcalc_macs == report.totals.macs
    assert tiny.totals.costcalc_flops == report.totals.flops


def test_a_given_module_keeps_its_training_flags() -> None:
    model = Tiny().train()
    model.bn.eval()
    crosscheck(model, ["1x3x8x8"])
    assert model.training and model.conv.training and not model.bn.training


def test_functional_ops_at_the_root_get_a_row() -> None:
    class Scaled(Tiny):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) * 2  # 10 multiplies in the root's own forward

    check = crosscheck(Scaled(), [TINY_INPUT])
    root = check.rows[-1]
    assert root.module == "(root)"
    assert (root.costcalc_macs, root.costcalc_flops, root.fvcore, root.flop_counter) == (
        0, 10, 0, 0,
    )  # fmt: skip
    assert any("aten::mul ×1" in t for t in root.explanations)  # fvcore: unsupported
    assert_consistent(check)


# --------------------------------------------------------------------------- mobilenet_v3_large


@pytest.fixture(scope="module")
def mobilenet() -> CrossCheck:
    return crosscheck(MOBILENET)


@pytest.fixture(scope="module")
def mobilenet_direct() -> tuple[int, int, dict[str, int]]:
    return run_directly(zoo.get("mobilenet_v3_large").build(), (1, 3, 224, 224))


def test_mobilenet_totals_equal_the_libraries(mobilenet: CrossCheck, mobilenet_direct) -> None:
    fvcore_total, counter_total, _ = mobilenet_direct
    assert mobilenet.totals.fvcore == fvcore_total  # 226,033,824
    assert mobilenet.totals.flop_counter == counter_total  # 433,179,520
    report = costcalc.analyze(MOBILENET)
    assert mobilenet.totals.costcalc_macs == report.totals.macs
    assert mobilenet.totals.costcalc_flops == report.totals.flops


def test_mobilenet_differences_are_all_explained(mobilenet: CrossCheck) -> None:
    assert [r.module for r in mobilenet.rows] == ["features", "avgpool", "classifier"]
    assert_consistent(mobilenet)
    totals = mobilenet.totals
    # FlopCounterMode = 2 x MACs exactly: same conv/linear MACs, neither counts a bias
    assert totals.flop_counter == 2 * totals.costcalc_macs
    text = "\n".join(totals.explanations)
    for expected in ("batch_norm", "adaptive_avg_pool2d", "bias adds", "aten::hardswish_ ×21"):
        assert expected in text
    special = {(s.tool, s.op) for s in mobilenet.special}
    assert ("fvcore", "aten::hardsigmoid") in special
    assert ("FlopCounterMode", "BatchNormalization") in special


def test_mobilenet_fvcore_excess_is_its_non_mac_handles(
    mobilenet: CrossCheck, mobilenet_direct
) -> None:
    by_op = mobilenet_direct[2]
    excess = mobilenet.totals.fvcore - mobilenet.totals.costcalc_macs
    assert excess == by_op["batch_norm"] + by_op["adaptive_avg_pool2d"]


def test_mobilenet_deeper_rows() -> None:
    check = crosscheck(MOBILENET, depth=2)
    modules = [r.module for r in check.rows]
    assert modules[:2] == ["features.0", "features.1"] and "classifier.0" in modules
    assert_consistent(check)


# --------------------------------------------------------------------------- errors and the CLI


def test_bad_requests(tmp_path) -> None:
    with pytest.raises(CrossCheckError, match="needs a PyTorch model"):
        crosscheck(str(tmp_path / "model.onnx"))
    with pytest.raises(InputSpecError, match="input shape"):
        crosscheck(Tiny())
    with pytest.raises(InputSpecError, match="depth"):
        crosscheck(Tiny(), [TINY_INPUT], depth=0)


def cli() -> click.Group:
    group = CostcalcGroup("costcalc")
    group.add_command(crosscheck_command)
    return group


def test_command_prints_the_table() -> None:
    args = ["crosscheck", "tests.test_crosscheck:tiny_net", "--input", "1x3x8x8"]
    result = CliRunner().invoke(cli(), args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for text in ("costcalc MACs", "FlopCounterMode", "13,824", "27,648", "19,968", "37,888"):
        assert text in result.output
    assert "Every difference is explained." in result.output
    assert "agree (convention only)" in result.output


def test_command_rejects_onnx_in_one_line(tmp_path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"")
    result = CliRunner().invoke(cli(), ["crosscheck", str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "needs a PyTorch model" in lines[0]


def test_command_help_has_examples() -> None:
    result = CliRunner().invoke(cli(), ["crosscheck", "--help"])
    assert result.exit_code == 0
    assert "costcalc crosscheck zoo:mobilenet_v3_large" in result.output
    assert "--depth" in result.output
