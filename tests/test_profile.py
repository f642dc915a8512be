"""costcalc profile: onnxruntime's per-node times on costcalc's rows, beside the estimate.

Timings on a shared machine are noise: nothing here asserts a duration beyond its being
positive; what is checked is the structure (every costed layer measured, medians over the
right runs, ratios, the run count shown) and the mapping of kernels onto layers.
"""

from __future__ import annotations

import json

import click
import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import helper, numpy_helper

pytest.importorskip("onnxruntime")

from costcalc.cli import CostcalcGroup
from costcalc.commands.profile import profile as profile_command
from costcalc.errors import CostcalcError
from costcalc.profiling import profile
from costcalc.profiling.render import render_csv, render_text
from costcalc.profiling.runtime import Settings, parse_trace
from tests.onnx_models import conv_bn_relu_model, model, weight

FAST = {"runs": 3, "warmup": 1}


def cli() -> click.Group:
    group = CostcalcGroup("costcalc")
    group.add_command(profile_command)
    return group


def save(proto: onnx.ModelProto, tmp_path, name: str = "model.onnx") -> str:
    path = tmp_path / name
    onnx.save(proto, str(path))
    return str(path)


def tricky_model() -> onnx.ModelProto:
    """Unnamed nodes, a HardSwish (no onnxruntime CPU kernel: run as its function body)
    and shape arithmetic costcalc constant-folds (Shape -> Gather -> Unsqueeze -> Concat
    feeding a Reshape)."""
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("HardSwish", ["r"], ["h"]),
        helper.make_node("Shape", ["h"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus_one"], ["shape"], axis=0),
        helper.make_node("Reshape", ["h", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "F"], ["y"]),
    ]
    consts = [
        numpy_helper.from_array(np.array(0, "int64"), "zero"),
        numpy_helper.from_array(np.array([0], "int64"), "axes"),
        numpy_helper.from_array(np.array([-1], "int64"), "minus_one"),
    ]
    inits = [weight("W", (8, 3, 3, 3)), weight("F", (8 * 6 * 6, 10)), *consts]
    return model(nodes, {"x": (1, 3, 6, 6)}, ["y"], inits)


def test_every_costed_layer_of_an_onnx_file_gets_a_median(tmp_path) -> None:
    path = save(conv_bn_relu_model(), tmp_path)
    result = profile(path, hardware="x86", **FAST)
    rows = result.costed_layers
    assert [r.name for r in rows] == ["conv", "bn", "relu"]
    assert all(r.measured_us is not None and r.measured_us > 0 for r in rows)
    assert all(r.est_time_us is not None and r.est_time_us > 0 for r in rows)
    assert result.coverage == (3, 3) and result.unmatched == []
    totals = result.report.totals
    assert totals.measured_us > 0 and totals.est_time_us > 0
    assert len(result.timings.wall_runs_us) == FAST["runs"]
    assert result.settings == Settings(runs=3, warmup=1, threads=1, optimized=False)


def test_mapping_survives_unnamed_nodes_function_ops_and_folding(tmp_path) -> None:
    result = profile(save(tricky_model(), tmp_path), hardware="x86", **FAST)
    layers = {row.name: row for row in result.report.layers}
    # costcalc's names for unnamed nodes are the ones kernels map onto
    for name in ("Conv_0", "Relu_1", "HardSwish_2", "MatMul_8"):
        assert layers[name].measured_us is not None and layers[name].measured_us > 0, name
    assert result.coverage[0] == result.coverage[1]
    assert result.unmatched == []
    # HardSwish ran as HardSigmoid + Mul: both kernels are its own
    assert [k.split(":")[-1] for k in result.expanded["HardSwish_2"]] == ["HardSigmoid", "Mul"]
    # folded shape arithmetic runs no kernel, as its estimate says
    for name in ("Gather_4", "Unsqueeze_5", "Concat_6"):
        assert layers[name].kind == "folded" and layers[name].measured_us is None
    text = " ".join(result.notes)
    assert "function body" in text and "constant-folded" in text


def test_optimized_mode_maps_partly_and_says_so(tmp_path) -> None:
    result = profile(save(conv_bn_relu_model(), tmp_path), optimized=True, **FAST)
    assert result.settings.optimized
    assert result.report.totals.measured_us > 0
    assert any("graph optimisations on" in note for note in result.notes)
    measured, costed = result.coverage
    assert 1 <= measured <= costed


def test_zoo_model_through_the_command_json(tmp_path) -> None:
    args = ["profile", "zoo:shufflenet_v2_x0.5", "--runs", "2", "--warmup", "1", "--format",
            "json"]  # fmt: skip
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "costcalc.report/1"
    section = data["profile"]
    assert (section["runs"], section["warmup"], section["threads"]) == (2, 1, 1)
    assert section["statistic"] == "median" and section["optimized"] is False
    assert section["coverage"]["measured"] == section["coverage"]["costed_layers"] > 100
    assert section["unmatched"] == []
    assert section["wall_us"] > 0 and section["kernel_sum_us"] > 0
    assert len(section["wall_runs_us"]) == 2
    assert section["ratio"] == pytest.approx(section["wall_us"] / section["est_time_us"], 1e-2)
    costed = [r for r in data["layers"] if r["kind"] in ("compute", "movement")]
    assert all(r["measured_us"] > 0 and r["est_time_us"] > 0 for r in costed)
    assert data["totals"]["measured_us"] == section["wall_us"]
    categories = {g["category"] for g in section["by_category"]}
    assert {"conv-depthwise", "conv-pointwise", "data movement"} <= categories
    assert any("exported to ONNX" in note for note in section["notes"])


def test_table_shows_ratios_runs_and_threads(tmp_path) -> None:
    path = save(conv_bn_relu_model(), tmp_path)
    result = CliRunner().invoke(
        cli(), ["profile", path, "--runs", "4", "--warmup", "0", "--top", "2"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    expected = (
        "Measured/est.", "Per kind of op", "Total", "Sum of kernel medians", "3/3",
        "medians of 4 runs", "1 thread(s)", "4 (+0 warm-up)", "top 2 of 3",
    )  # fmt: skip
    for text in expected:
        assert text in out, text


def test_csv_and_text_renderers(tmp_path) -> None:
    result = profile(save(conv_bn_relu_model(), tmp_path), **FAST)
    lines = render_csv(result).splitlines()
    header = lines[0].split(",")
    assert header[-3:] == ["est_time_us", "measured_us", "ratio"]
    conv = dict(zip(header, lines[1].split(","), strict=True))
    assert conv["name"] == "conv" and float(conv["ratio"]) > 0
    assert "Measured/est." in render_text(result, top=0)


def test_output_file_is_never_overwritten(tmp_path) -> None:
    path = save(conv_bn_relu_model(), tmp_path)
    out = tmp_path / "prof.json"
    out.write_text("keep")
    args = ["profile", path, "--runs", "1", "--warmup", "0", "-o", str(out)]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert out.read_text() == "keep"
    result = CliRunner().invoke(cli(), [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["profile"]["runs"] == 1


def test_bad_input_is_one_line_exit_2(tmp_path) -> None:
    result = CliRunner().invoke(cli(), ["profile", str(tmp_path / "missing.onnx")])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no such file" in lines[0]
    result = CliRunner().invoke(cli(), ["profile", str(tmp_path / "x.onnx"), "--runs", "0"])
    assert result.exit_code == 2
    with pytest.raises(CostcalcError, match="runs"):
        Settings(runs=0)


def test_trace_parsing_skips_warmup_and_takes_medians() -> None:
    def run(ts: int, dur: int) -> dict:
        return {"cat": "Session", "name": "model_run", "ts": ts, "dur": dur}

    def kernel(name: str, ts: int, dur: int) -> dict:
        return {"cat": "Node", "name": f"{name}_kernel_time", "ts": ts, "dur": dur,
                "args": {"op_name": "Relu"}}  # fmt: skip

    events = [run(0, 100), kernel("a", 1, 1000), kernel("b", 50, 1000)]  # warm-up
    for start, (a, b) in zip((200, 400, 600), ((3, 7), (5, 9), (4, 8)), strict=True):
        events += [run(start, 100), kernel("b", start + 50, b), kernel("a", start + 1, a)]
        events.append({"cat": "Node", "name": "a_fence_before", "ts": start, "dur": 99})
    kernels = parse_trace(events, warmup=1)
    assert [(k.name, k.median_us, k.runs) for k in kernels] == [("a", 4, 3), ("b", 8, 3)]
