"""The mechanisms behind costcalc's speed on large graphs keep its results exact and leave
the interpreter as they found it."""

from __future__ import annotations

import copy
import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

import costcalc
from costcalc.errors import CostcalcError
from costcalc.gc_pause import paused_gc
from costcalc.ir import TensorSpec
from costcalc.report import Report
from costcalc.units import tensor_bytes
from tests.adversarial.helpers import matmul_model, relu_model
from tests.onnx_models import conv_bn_relu_model

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("enabled", [True, False])
def test_analyze_leaves_the_garbage_collector_as_it_was(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        costcalc.analyze(relu_model())
        assert gc.isenabled() is enabled
        with pytest.raises(CostcalcError):  # and after an error
            costcalc.analyze(relu_model(), inputs={"nope": (1,)})
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_the_collector_is_paused_only_inside():
    was = gc.isenabled()
    gc.enable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        gc.enable() if was else gc.disable()


def test_json_layers_are_one_line_each_and_round_trip():
    # x (2, 4) @ W (4, 4): 2*4*4 = 32 MACs
    report = costcalc.analyze(matmul_model())
    text = report.to_json()
    layer_lines = [line for line in text.splitlines() if line.startswith('    {"name"')]
    assert len(layer_lines) == len(report.layers) == 1
    assert json.loads(layer_lines[0])["macs"] == 32
    assert Report.from_json(text) == report


def test_json_integers_past_64_bits_stay_exact():
    # orjson refuses integers past 64 bits: such a row is written by json instead
    report = costcalc.analyze(matmul_model())
    report.layers[0].macs = 2**70 + 1  # 1,180,591,620,717,411,303,425
    data = json.loads(report.to_json())
    assert data["layers"][0]["macs"] == 1_180_591_620_717_411_303_425
    assert Report.from_json(report.to_json()) == report


def test_tensor_bytes_are_exact_past_float_precision():
    # 2**60 + 1 int4 elements: (2**62 + 4) bits = 2**59 bytes + 1 (the half byte rounds up);
    # a float computation would lose the + 1
    assert tensor_bytes(2**60 + 1, "int4") == 576_460_752_303_423_489
    # 3 fp32 elements: 12 bytes; 3 int4: 12 bits -> 2 bytes
    assert tensor_bytes(3, "float32") == 12 and tensor_bytes(3, "int4") == 2


def test_tensor_numel_is_computed_once_and_not_part_of_equality():
    spec = TensorSpec("w", (64, 3, 7, 7), "float32", "w")
    assert spec.numel == 9_408  # 64*3*7*7
    assert TensorSpec("x", None, "float32").numel is None
    assert TensorSpec("s", (), "float32").numel == 1  # a scalar
    assert spec == TensorSpec("w", (64, 3, 7, 7), "float32", "w")
    assert "numel" not in repr(spec)


def test_analyses_leave_the_ir_as_it_was():
    # TensorSpec and Node are not frozen (for speed): no analysis may change them
    from costcalc.analyses.baseline import apply_dense_baseline
    from costcalc.analyses.memory import apply_memory
    from costcalc.analyses.roofline import apply_roofline
    from costcalc.calculator import calculate
    from costcalc.hardware import load_hardware
    from costcalc.parsers.onnx import parse_onnx

    graph = parse_onnx(conv_bn_relu_model())
    before = copy.deepcopy(graph)
    report = calculate(graph, dtype="float16")
    apply_memory(report, graph, training=True)
    apply_dense_baseline(report, graph)
    apply_roofline(report, graph, load_hardware("h200"))
    assert graph == before
    assert [n.inputs for n in graph.nodes] == [n.inputs for n in before.nodes]


def test_the_command_freezes_what_an_analysis_leaves_and_the_library_does_not():
    # in a process of its own: gc.freeze is process-wide
    script = (
        "import gc, sys; from costcalc import gc_pause; import costcalc; "
        "from tests.adversarial.helpers import relu_model; "
        "command = sys.argv[1] == 'command'; "
        "command and gc_pause.freeze_after_analysis(); "
        "costcalc.analyze(relu_model()); "
        "print(gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    for mode, frozen in (("command", "True"), ("library", "False")):
        out = subprocess.run(
            [sys.executable, "-c", script, mode], capture_output=True, text=True, check=True,
            cwd=ROOT,
        )  # fmt: skip
        assert out.stdout.split() == ["True", frozen], (mode, out.stderr)


def test_the_console_script_is_the_freezing_entry_point():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "costcalc"]
    assert script.value == "costcalc.cli:run"
