"""Shared helpers of the adversarial suite: the CLI runner, the one-line error check,
file hashes, and a few tiny models built in code."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
from click.testing import CliRunner, Result
from onnx import TensorProto, helper, numpy_helper

from costcalc.cli import main
from tests.onnx_models import model

ROOT = Path(__file__).resolve().parents[2]


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="costcalc")


def one_error_line(result: Result) -> str:
    """The single stderr line of a run that failed with exit code 2, without a traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("costcalc: error: "), lines[0]
    return lines[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_hashes(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its hash: to show nothing was written or changed."""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def save(proto: onnx.ModelProto, path: Path) -> Path:
    onnx.save(proto, str(path))
    return path


def relu_model(shape=(2, 3)) -> onnx.ModelProto:
    """x -> Relu -> y: 6 FLOPs at 2x3."""
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], {"x": shape}, ["y"])


def matmul_model() -> onnx.ModelProto:
    """x (2, 4) @ W (4, 4): 2*4*4 = 32 MACs, 16 params."""
    weight = numpy_helper.from_array(np.zeros((4, 4), np.float32), "W")
    node = helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")
    return model([node], {"x": (2, 4)}, ["y"], [weight])


def scalar(name: str, value, dtype=np.float32) -> TensorProto:
    return numpy_helper.from_array(np.array(value, dtype), name)
