"""PyTorch models that trace awkwardly: odd outputs and inputs, custom ops, inference
mode, construction that fails.

Already covered in tests/torch/test_frontend.py: data-dependent control flow (CPU
fallback with a warning, and the error when too large), a module called twice and one
never called (Tied), construction that reads weights (built on the CPU with a warning),
the model left exactly as it was.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import costcalc  # noqa: E402
from costcalc.errors import InputSpecError  # noqa: E402
from tests.adversarial.helpers import one_error_line, run  # noqa: E402
from tests.adversarial.torch_models import (  # noqa: E402
    CustomOps,
    KeywordDefault,
    KeywordRequired,
    TupleAndDict,
)
from tests.torch.models import LightweightBlocks  # noqa: E402


def test_tuple_and_dict_outputs():
    report = costcalc.analyze(TupleAndDict(), inputs=[(2, 4)])
    # Linear(4, 3) on a batch of 2: 2*4*3 = 24 MACs; its bias 6 FLOPs; relu 6; the * 2: 6
    assert report.totals.macs == 24
    assert report.totals.flops == 2 * 24 + 6 + 6 + 6
    assert report.totals.params == 15  # 4*3 + 3


def test_a_keyword_argument_with_a_default_is_left_at_its_default():
    report = costcalc.analyze(KeywordDefault(), inputs=[(2, 4)])
    # the same Linear (24 MACs, 54 FLOPs with its bias) and the * scale: 6
    assert (report.totals.macs, report.totals.flops) == (24, 60)


def test_a_required_keyword_argument_is_a_clear_error():
    with pytest.raises(InputSpecError) as info:
        costcalc.analyze(KeywordRequired(), inputs=[(2, 4)])
    assert str(info.value) == (
        "KeywordRequired.forward(x, *, scale): missing a required argument: 'scale' (costcalc "
        "passes one tensor per --input, positionally; wrap the model in a module to set other "
        "arguments)"
    )
    line = one_error_line(
        run("analyze", "tests.adversarial.torch_models:KeywordRequired", "--input", "2x4")
    )
    assert "missing a required argument: 'scale'" in line


def test_custom_ops_are_listed_under_their_own_namespace_never_zero():
    report = costcalc.analyze(CustomOps(), inputs=[(2, 4)])
    custom = [r for r in report.layers if r.kind == "unsupported"]
    # costcalc_adversarial::relu is someone else's op, not aten's relu: never costed as one
    assert [r.op for r in custom] == ["costcalc_adversarial.wobble", "costcalc_adversarial.relu"]
    assert all(r.flops is None and r.macs is None for r in custom)
    assert report.totals.lower_bound
    # what is known: the Linear (2*24 + 6 = 54 FLOPs) and the final + 1 (6)
    assert report.totals.flops == 60
    assert [(u.op, u.reason) for u in report.unsupported] == [
        ("costcalc_adversarial.relu", "no cost formula"),
        ("costcalc_adversarial.wobble", "no cost formula"),
    ]
    # the relu has no meta kernel: the trace fell back to the CPU, and says so
    assert any(
        "failed at costcalc_adversarial.relu" in w and "ran on the CPU" in w
        for w in report.warnings
    )


def test_analysis_inside_inference_mode_is_the_same():
    # under inference_mode, linear and conv2d reach the dispatcher undecomposed; the trace
    # leaves inference mode, so nothing changes
    expected = costcalc.analyze(LightweightBlocks(), inputs=[(1, 8, 6, 6)]).to_dict()
    model = LightweightBlocks()
    with torch.inference_mode():
        report = costcalc.analyze(model, inputs=[(1, 8, 6, 6)])
    assert report.to_dict() == expected
    assert report.unsupported == []
    with torch.inference_mode():
        zoo = costcalc.analyze("zoo:mobilenet_v2")
    # the numbers of tests/torch/test_frontend.py::test_mobilenet_v2_exact
    assert (zoo.totals.params, zoo.totals.macs) == (3_504_872, 300_774_272)


def test_construction_that_fails_everywhere():
    # (one that fails only on the meta device is rebuilt on the CPU: test_frontend.py)
    line = one_error_line(run("analyze", "tests.adversarial.torch_models:FailsEverywhere",
                              "--input", "1x3"))  # fmt: skip
    assert line == (
        "costcalc: error: tests.adversarial.torch_models:FailsEverywhere: construction failed: "
        "checkpoint 'weights.pt' not found"
    )
