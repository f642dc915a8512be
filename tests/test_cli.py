"""The command line: formats, exit codes, one-line errors, safe output files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import onnx
import pandas as pd
import pytest
from click.testing import CliRunner
from onnx import helper

from costcalc.cli import main
from tests.onnx_models import conv_model, model

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def conv_file(tmp_path) -> Path:
    path = tmp_path / "conv.onnx"
    # 14x14x512 input, 3x3 conv 512->512: 462,422,016 MACs, 2,359,296 weights
    onnx.save(conv_model((1, 512, 14, 14), (512, 512, 3, 3), pads=[1, 1, 1, 1]), str(path))
    return path


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_table_output(conv_file):
    result = run("analyze", conv_file)
    assert result.exit_code == 0, result.output
    assert "462.42M" in result.stdout  # MACs in human units
    assert "462,422,016" in result.stdout  # and exact in the summary
    assert "2.36M" in result.stdout  # params


def test_json_output(conv_file):
    result = run("analyze", conv_file, "--format", "json")
    data = json.loads(result.stdout)
    assert data["schema"] == "costcalc.report/1"
    assert data["totals"]["macs"] == 462_422_016
    assert data["layers"][0]["outputs"] == [[1, 512, 14, 14]]


def test_csv_output_is_exact(conv_file):
    frame = pd.read_csv(io.StringIO(run("analyze", conv_file, "--format", "csv").stdout))
    assert int(frame["macs"].sum()) == 462_422_016
    assert int(frame["params"].sum()) == 2_359_296


def test_group_by_op(tmp_path):
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="r1"),
        helper.make_node("Relu", ["a"], ["b"], name="r2"),
        helper.make_node("Sigmoid", ["b"], ["y"], name="s"),
    ]
    path = tmp_path / "m.onnx"
    onnx.save(model(nodes, {"x": (4, 25)}, ["y"]), str(path))
    result = run("analyze", path, "--by", "optype", "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout))
    relu = frame[frame["op"] == "Relu"].iloc[0]
    # two Relus of 100 elements, 1 FLOP each = 200
    assert (relu["layers"], relu["flops"]) == (2, 200)
    kinds = pd.read_csv(io.StringIO(run("analyze", path, "--by", "op", "--format", "csv").stdout))
    activation = kinds[kinds["category"] == "activation"].iloc[0]
    # --by op groups by kind of work: 200 + the Sigmoid's 3 FLOPs x 100 = 500
    assert (activation["layers"], activation["flops"]) == (3, 500)


def test_output_file_is_not_overwritten_without_force(tmp_path, conv_file):
    out = tmp_path / "report.json"
    out.write_text("precious")
    line = one_error_line(run("analyze", conv_file, "-o", out))
    assert "already exists" in line
    assert out.read_text() == "precious"
    assert run("analyze", conv_file, "-o", out, "--force").exit_code == 0
    assert json.loads(out.read_text())["totals"]["macs"] == 462_422_016
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_format_from_extension(tmp_path, conv_file):
    out = tmp_path / "layers.csv"
    assert run("analyze", conv_file, "-o", out).exit_code == 0
    assert int(pd.read_csv(out)["macs"].sum()) == 462_422_016


def test_never_writes_over_the_model(conv_file):
    before = conv_file.read_bytes()
    line = one_error_line(run("analyze", conv_file, "-o", conv_file, "--force", "--format", "json"))
    assert "input model" in line
    assert conv_file.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze", "missing.onnx"], "no such file"),
        (["analyze", "{tmp}"], "directory"),
        (["analyze", "{empty}"], "empty file"),
        (["analyze", "{garbage}"], "not a valid ONNX model"),
        (["analyze", "{conv}", "--input", "y=1x2"], "no input 'y'"),
        (["analyze", "{conv}", "--input", "1x512x14"], "rank 3"),
        (["analyze", "{conv}", "--input", "1x-3x14x14"], "positive"),
        (["analyze", "{conv}", "--dim", "N"], "SYMBOL=SIZE"),
        (["analyze", "{conv}", "--dtype", "fp7"], "unknown element type"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, conv_file, args, expected):
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "garbage.onnx").write_text("<html>not a model</html>" * 10)
    names = {"tmp": tmp_path, "empty": tmp_path / "empty.onnx",
             "garbage": tmp_path / "garbage.onnx", "conv": conv_file}  # fmt: skip
    line = one_error_line(run(*(a.format(**{k: str(v) for k, v in names.items()}) for a in args)))
    assert expected in line


def test_debug_shows_the_traceback():
    result = run("--debug", "analyze", "missing.onnx")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_root_launcher_and_help():
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0
    assert "analyze" in result.stdout
    help_text = run("analyze", "--help").stdout
    assert "Examples:" in help_text


def test_group_by_module_uses_the_exporters_module_path(tmp_path):
    from costcalc.examples.mobilenet_onnx import build_mobilenet_v1

    path = tmp_path / "m.onnx"
    onnx.save(build_mobilenet_v1(width=0.5, resolution=96, seed=None), str(path))
    result = run("analyze", path, "--dim", "N=1", "--by", "module", "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout)).set_index("module")
    conv, bn = frame.loc["features.1.dw.conv"], frame.loc["features.1.dw.bn"]
    # first depthwise conv; width 0.5 -> 16 channels, 96 -> 48x48: 48*48*16*9 = 331,776 MACs,
    # 16*9 = 144 weights; its BatchNorm has 2*16 = 32 params
    assert (conv["layers"], conv["macs"], conv["params"]) == (1, 331_776, 144)
    assert (bn["layers"], bn["params"]) == (1, 32)


def test_version():
    assert run("--version").stdout.startswith("costcalc, version ")


def test_by_module_with_depth_on_a_zoo_model():
    pytest.importorskip("torch")
    result = run("analyze", "zoo:mobilenet_v2", "--by", "module", "--depth", "1", "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout)).set_index("module")
    # classifier.1 is Linear(1280, 1000): 1,280,000 MACs, 1,281,000 params
    assert (frame.loc["classifier", "macs"], frame.loc["classifier", "params"]) == (
        1_280_000,
        1_281_000,
    )
    # the rest of the 300,774,272 MACs are in features: 300,774,272 - 1,280,000 = 299,494,272
    assert frame.loc["features", "macs"] == 299_494_272
    tree = run("analyze", "zoo:mobilenet_v2", "--by", "module", "--depth", "2").stdout
    assert "features" in tree and "└── 18" in tree  # the 19 blocks of features, as a tree


def test_baseline_dense_on_the_command_line(conv_file):
    result = run("analyze", conv_file, "--baseline", "dense")
    assert result.exit_code == 0, result.output
    assert "Against the dense twin" in result.stdout
    frame = pd.read_csv(
        io.StringIO(run("analyze", conv_file, "--baseline", "dense", "--format", "csv").stdout)
    )
    # a dense conv is its own baseline: 462,422,016 MACs either way
    assert int(frame["dense_macs"].sum()) == 462_422_016
    assert list(frame["category"]) == ["conv-dense"]


def test_memory_training_and_hardware_on_the_command_line(conv_file):
    result = run("analyze", conv_file, "--training", "--optimizer", "sgd", "--format", "json")
    data = json.loads(result.stdout)
    # peak: the 512x14x14 fp32 input (401,408 B) and the output of the same size, both
    # alive while the conv runs: 802,816 B
    assert data["totals"]["peak_activation_bytes"] == 802_816
    # training with sgd: params 2,359,296 * 4 = 9,437,184 B, gradients the same, no state
    training = data["totals"]["training_bytes"]
    assert (training["params"], training["gradients"], training["optimizer_state"]) == (
        9_437_184, 9_437_184, 0,
    )  # fmt: skip
    table = run("analyze", conv_file, "--hardware", "x86").stdout
    assert "estimate" in table and "µs on" in table
