"""--input / --dim that do not fit the model: one line naming the option, exit 2.

tests/test_analyze_onnx.py (API) and tests/test_cli.py already cover an unknown input
name, a wrong rank, a zero or negative dim, a non-numeric dim, an unknown --dim symbol
and --dim without '='; these are the cases they leave out.
"""

from __future__ import annotations

import json

import pytest
from onnx import helper

from tests.adversarial.helpers import one_error_line, run, save, sha256
from tests.onnx_models import model


@pytest.fixture
def two_inputs(tmp_path):
    """a (N, 3) + b (N, 3) -> y."""
    add = helper.make_node("Add", ["a", "b"], ["y"], name="add")
    return save(model([add], {"a": ("N", 3), "b": ("N", 3)}, ["y"]), tmp_path / "two.onnx")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dim", "N=0"], "--dim 'N=0': dimension 0 must be a positive integer"),
        (["--dim", "N=-2"], "--dim 'N=-2': dimension -2 must be a positive integer"),
        (["--dim", "N=abc"], "--dim 'N=abc': expected SYMBOL=SIZE, e.g. N=8"),
        (["--dim", "N=1.5"], "--dim 'N=1.5': expected SYMBOL=SIZE, e.g. N=8"),
        (["--dim", "=3"], "--dim '=3': expected SYMBOL=SIZE, e.g. N=8"),
        (["--dim", "N=2", "--dim", "N=3"], "--dim N: given twice (2 and 3)"),
        (
            ["--dim", "M=2"],
            "--dim M: the model's inputs have no dimension named 'M' (symbolic dims: N)",
        ),
        (["--input", "a="], "--input 'a=': expected NAME=1x3x224x224 or 1x3x224x224"),
        (["--input", "a=1x3.5"], "--input 'a=1x3.5': '1x3.5' is not a shape like 1x3x224x224"),
        (["--input", "a=1x3=4"], "--input 'a=1x3=4': expected NAME=1x3x224x224 or 1x3x224x224"),
        (["--input", "a=2x0"], "--input 'a=2x0': dimension 0 must be a positive integer"),
        (
            ["--input", "a=99999999999999999999x3"],
            "--input 'a=99999999999999999999x3': dimension 99999999999999999999 is larger "
            "than 9223372036854775807 (int64)",
        ),
        (["--input", "2x3"], "the model has 2 inputs (a, b): name one, as --input NAME=SHAPE"),
        (["--input", "c=2x3"], "--input c: the model has no input 'c' (inputs: a, b)"),
        (
            ["--input", "a=2x3x4"],
            "--input a: rank 3 given, but the model's input has rank 2 (Nx3)",
        ),
        (["--input", "a=2x3", "--input", "a=4x3"], "--input a: given twice (2x3 and 4x3)"),
        (
            ["--input", "a=2x3", "--input", "b=5x3"],
            "the shape of tensor 'y' (output of Add node 'add') could not be inferred from its "
            "input shapes 2x3, 5x3: do they fit the node? Check the --input/--dim overrides",
        ),
    ],
)
def test_overrides_that_do_not_fit(two_inputs, args, message):
    before = sha256(two_inputs)
    assert one_error_line(run("analyze", two_inputs, *args)) == f"costcalc: error: {message}"
    assert sha256(two_inputs) == before


def test_the_same_binding_twice_is_fine(two_inputs):
    result = run("analyze", two_inputs, "--dim", "N=4", "--dim", "N=4", "--format", "json")
    # Add of two 4x3 tensors: 12 FLOPs
    assert json.loads(result.stdout)["totals"]["flops"] == 12


def test_a_model_without_symbols_rejects_dim(tmp_path):
    path = save(model([helper.make_node("Relu", ["x"], ["y"], name="r")], {"x": (2, 3)}, ["y"]),
                tmp_path / "fixed.onnx")  # fmt: skip
    assert one_error_line(run("analyze", path, "--dim", "N=2")) == (
        "costcalc: error: --dim N: the model's inputs have no dimension named 'N' "
        "(symbolic dims: none)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--dim", "N=1"],
            "--dim N=1: a PyTorch model has no symbolic dimensions; give its input shapes with "
            "--input",
        ),
        (
            ["--input", "x=1x3x8x8"],
            "PyTorch inputs are positional: give --input 1x3x224x224 per input",
        ),
        (
            ["--input", "1x3x8x8", "--input", "1x3x8x8"],
            "MobileNetV2.forward(x): too many positional arguments (costcalc passes one tensor "
            "per --input, positionally; wrap the model in a module to set other arguments)",
        ),
        (["--input", "1x3x0x8"], "--input '1x3x0x8': dimension 0 must be a positive integer"),
    ],
)
def test_pytorch_overrides_that_do_not_fit(args, message):
    pytest.importorskip("torch")
    assert one_error_line(run("analyze", "zoo:mobilenet_v2", *args)) == (
        f"costcalc: error: {message}"
    )
