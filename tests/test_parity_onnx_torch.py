"""Parity of the two frontends on every zoo model: the PyTorch path (``zoo:NAME``) and
the ONNX path (the same architecture exported by ``torch.onnx.export``, TorchScript
exporter, in this test) give identical MACs, layer by layer, and parameter counts that
differ by exactly what the export folds (see ``tests/parity_export.py``): each
BatchNorm after a conv is folded into it, -2*C params (scale, shift) and +C (the bias
the bias-free conv gains). FLOPs differ by the same fold: the BN's per-element scale and
shift (``BATCHNORM`` FLOPs per element) become the conv's bias add (1 per element).

Every model is exported at its zoo input shape (224x224, MobileFaceNet 112x112): the 18
exports take about 20 s on two CPU cores, so no reduced resolution is needed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

torch = pytest.importorskip("torch")

import costcalc  # noqa: E402
from costcalc import zoo  # noqa: E402
from costcalc.ops.flop_table import BATCHNORM  # noqa: E402
from costcalc.report import Report  # noqa: E402
from tests.parity_export import (  # noqa: E402
    BatchNormFold,
    batchnorm_folds,
    distinct_weights_,
    export,
)

MAC_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum"}
BIAS_ADD = 1  # FLOPs per output element of a conv's bias (costcalc/ops/conv.py)


@dataclass(frozen=True)
class Pair:
    name: str
    torch: Report
    onnx: Report
    folds: list[BatchNormFold]


@pytest.fixture(scope="module", params=zoo.names())
def pair(request, tmp_path_factory) -> Pair:
    name = request.param
    entry = zoo.get(name)
    model = distinct_weights_(entry.build()).eval()
    folds = batchnorm_folds(model, entry.input_shape)
    path = export(model, entry.input_shape, tmp_path_factory.mktemp("parity") / "m.onnx")
    return Pair(name, costcalc.analyze(f"zoo:{name}"), costcalc.analyze(path), folds)


def _mac_layers(report: Report) -> Counter:
    return Counter((r.module, r.macs) for r in report.layers if r.op in MAC_OPS)


def _by_module(report: Report, field: str) -> Counter:
    counts: Counter = Counter()
    for row in report.layers:
        counts[row.module] += getattr(row, field) or 0
    return +counts  # drop modules without any


def test_both_paths_cost_every_node(pair):
    assert pair.torch.unsupported == []
    assert pair.onnx.unsupported == []
    assert not pair.torch.totals.lower_bound and not pair.onnx.totals.lower_bound


def test_identical_macs(pair):
    assert pair.onnx.totals.macs == pair.torch.totals.macs


def test_identical_macs_layer_by_layer(pair):
    onnx_layers, torch_layers = _mac_layers(pair.onnx), _mac_layers(pair.torch)
    # the multiset of per-layer MACs of Conv/Gemm/MatMul nodes...
    assert Counter(m for _, m in onnx_layers.elements()) == Counter(
        m for _, m in torch_layers.elements()
    )
    # ...and each at the same module path (ONNX node names from the TorchScript
    # exporter encode it; the PyTorch trace records the module running)
    assert onnx_layers == torch_layers


def test_params_differ_by_the_batchnorm_fold(pair):
    assert pair.folds, "every zoo model has Conv -> BatchNorm pairs"
    removed = sum(f.params_removed for f in pair.folds)
    assert pair.torch.totals.params - pair.onnx.totals.params == removed


def test_params_per_module_differ_by_the_fold(pair):
    expected = _by_module(pair.torch, "params")
    for fold in pair.folds:
        assert expected.pop(fold.bn) == 2 * fold.channels  # the BN's scale and shift
        if not fold.conv_had_bias:
            expected[fold.conv] += fold.channels  # the bias the conv gains
    assert _by_module(pair.onnx, "params") == expected


def test_flops_differ_by_the_batchnorm_fold(pair):
    # per folded BN of E output elements: BATCHNORM * E FLOPs go, and the conv's new
    # bias add (BIAS_ADD * E) comes when the conv had no bias
    saved = sum(
        BATCHNORM * f.elements - (0 if f.conv_had_bias else BIAS_ADD * f.elements)
        for f in pair.folds
    )
    assert pair.torch.totals.flops - pair.onnx.totals.flops == saved


def test_flops_per_module_differ_by_the_fold(pair):
    # every other op costs the same FLOPs in the same module (ops at the model's top
    # level, like ShuffleNetV2's final mean, have no module on either path)
    expected = _by_module(pair.torch, "flops")
    for fold in pair.folds:
        assert expected.pop(fold.bn) == BATCHNORM * fold.elements
        if not fold.conv_had_bias:
            expected[fold.conv] += BIAS_ADD * fold.elements
    assert _by_module(pair.onnx, "flops") == expected


def test_export_merges_equal_initializers(tmp_path):
    """The exporter's other fold: in eval mode, initializers with equal values become one
    tensor, so freshly initialised models lose parameters in ONNX."""
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.PReLU(8),
        nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8), nn.PReLU(8),
    )  # fmt: skip
    path = export(model, (1, 3, 12, 12), tmp_path / "fresh.onnx")
    # PyTorch: convs 8*3*9 = 216 and 8*8*9 = 576, BNs 2 * 16, PReLUs 2 * 8: 840
    assert costcalc.analyze(model, inputs=[(1, 3, 12, 12)]).totals.params == 840
    # ONNX: the convs, and the two folded biases (all 0: beta - mean * scale = 0) merged
    # into one 8-element tensor, the two slopes (all 0.25) into one: 216 + 576 + 8 + 8
    assert costcalc.analyze(path).totals.params == 808
    # with distinct values nothing merges: 216 + 576 + 2 * 8 (biases) + 2 * 8 (slopes)
    export(distinct_weights_(model), (1, 3, 12, 12), tmp_path / "trained.onnx")
    assert costcalc.analyze(tmp_path / "trained.onnx").totals.params == 824
