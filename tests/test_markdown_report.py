"""The Markdown report: valid GitHub-flavoured tables whose numbers are the report's exact
integers, read back from the text."""

from __future__ import annotations

import re

import onnx
import pytest
from click.testing import CliRunner
from onnx import helper

from costcalc.api import analyze
from costcalc.cli import main
from costcalc.renderers import format_for, markdown, render
from tests.onnx_models import conv_bn_relu_model, conv_model, custom_op_model, model, weight

CELL_SPLIT = re.compile(r"(?<!\\)\|")


def tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Every GFM table under its nearest heading: a list of {column: cell} rows. Checks
    the table's shape on the way: a delimiter row, the same cell count in every row."""
    found: dict[str, list[dict[str, str]]] = {}
    heading, lines = "", text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([c.strip() for c in CELL_SPLIT.split(lines[i])[1:-1]])
                i += 1
            header, delimiter, *rows = block
            assert all(re.fullmatch(r":?-{3,}:?", d) for d in delimiter), delimiter
            assert len(delimiter) == len(header)
            for row in rows:
                assert len(row) == len(header), (header, row)
            assert heading not in found, f"two tables under {heading!r}"
            found[heading] = [dict(zip(header, row, strict=True)) for row in rows]
            continue
        i += 1
    return found


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


def unquote(cell: str) -> str:
    return cell.strip("`").replace("\\|", "|")


def test_conv_layer_exact_numbers():
    # 14x14x512 input, 3x3 conv 512->512: 462,422,016 MACs, 2,359,296 weights
    report = analyze(conv_model((1, 512, 14, 14), (512, 512, 3, 3), pads=[1, 1, 1, 1]))
    found = tables(markdown.render(report))
    summary = {row["Quantity"]: row for row in found["Summary"]}
    assert number(summary["MACs"]["Exact"]) == 462_422_016
    assert summary["MACs"]["Value"] == "462.42M"
    assert number(summary["Params"]["Exact"]) == 2_359_296
    assert number(summary["FLOPs"]["Exact"]) == report.totals.flops
    (layer,) = found["Per-layer costs"]
    assert unquote(layer["Layer"]) == "layer"
    assert layer["Output"] == "1x512x14x14"
    assert number(layer["MACs"]) == 462_422_016
    assert number(layer["Params"]) == 2_359_296
    assert number(layer["Bytes"]) == report.layers[0].read_bytes + report.layers[0].write_bytes


def test_round_trip_rows_add_up_to_totals():
    report = analyze(conv_bn_relu_model(), baseline="dense")
    found = tables(markdown.render(report))
    rows = found["Per-layer costs"]
    assert [unquote(r["Layer"]) for r in rows] == ["conv", "bn", "relu"]
    summary = {row["Quantity"]: number(row["Exact"]) for row in found["Summary"] if row["Exact"]}
    t = report.totals
    for column, total in (("Params", t.params), ("MACs", t.macs), ("FLOPs", t.flops)):
        assert sum(number(r[column]) for r in rows) == total
        assert summary[column] == total
    assert sum(number(r["Bytes"]) for r in rows) == t.read_bytes + t.write_bytes
    assert summary["Peak activation memory (bytes)"] == t.peak_activation_bytes
    twin = {row[""]: row for row in found["Against the dense twin"]}
    assert number(twin["MACs"]["Dense twin"]) == t.dense_macs
    assert "No lightweight patterns found." in markdown.render(report)


def test_grouped_tables():
    report = analyze(conv_bn_relu_model())
    found = tables(markdown.render(report, by="optype"))
    rows = {unquote(r["Op type"]): r for r in found["Costs by op type"]}
    assert set(rows) == {"Conv", "BatchNormalization", "Relu"}
    assert number(rows["Conv"]["MACs"]) == report.totals.macs
    found = tables(markdown.render(report, by="op"))
    assert sum(number(r["FLOPs"]) for r in found["Costs by kind of op"]) == report.totals.flops
    found = tables(markdown.render(report, by="module"))
    assert [r["Module"] for r in found["Costs by module"]] == ["`(root)`"]


def test_lower_bound_and_unsupported():
    text = markdown.render(analyze(custom_op_model()))
    assert "> **Lower bound:**" in text
    found = tables(text)
    ops = {unquote(r["Op"]) for r in found["Not costed"]}
    assert "com.example.Mystery" in ops
    custom = next(r for r in found["Per-layer costs"] if unquote(r["Layer"]) == "custom")
    assert custom["MACs"] == "?"  # never a made-up 0
    assert next(r for r in found["Summary"] if r["Quantity"] == "MACs")["Value"].startswith("≥")


def test_awkward_names_stay_in_their_cells():
    """A pipe in a name is escaped; a dunder name is code, not bold text."""
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="__mul__|odd"),
        helper.make_node("MatMul", ["a", "W"], ["y"], name="`tick`"),
    ]
    text = markdown.render(analyze(model(nodes, {"x": (2, 4)}, ["y"], [weight("W", (4, 4))])))
    rows = tables(text)["Per-layer costs"]
    assert rows[0]["Layer"] == "`__mul__\\|odd`"
    assert rows[1]["Layer"] == "`` `tick` ``"
    assert number(rows[1]["MACs"]) == 2 * 4 * 4


def test_hidden_layers_and_show_all(tmp_path):
    report = analyze(conv_bn_relu_model())
    report.layers[1].kind = "folded"
    assert len(tables(markdown.render(report))["Per-layer costs"]) == 2
    assert "1 free or constant-folded node(s) hidden" in markdown.render(report)
    assert len(tables(markdown.render(report, show_all=True))["Per-layer costs"]) == 3


def test_cli_format_and_extension(tmp_path):
    path = tmp_path / "conv.onnx"
    onnx.save(conv_model((1, 512, 14, 14), (512, 512, 3, 3), pads=[1, 1, 1, 1]), str(path))
    result = CliRunner().invoke(main, ["analyze", str(path), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "| MACs | 462.42M | 462,422,016 |" in result.stdout
    for suffix in (".md", ".markdown"):
        assert format_for(f"report{suffix}", None) == "markdown"
        out = tmp_path / f"report{suffix}"
        result = CliRunner().invoke(main, ["analyze", str(path), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text().startswith("# costcalc report: `")
    assert render(analyze(path), "markdown") == out.read_text()


def test_mobilenet_v1_patterns_and_estimates():
    pytest.importorskip("torch")
    report = analyze("zoo:mobilenet_v1", baseline="dense", hardware="h200")
    text = markdown.render(report)
    found = tables(text)
    twin = {row[""]: row for row in found["Against the dense twin"]}
    # MobileNet Table 4: 29.3M params / 4866M MACs with standard convs, exactly:
    assert number(twin["Params"]["Dense twin"]) == 29_294_088
    assert number(twin["MACs"]["Dense twin"]) == 4_867_293_184
    (kind,) = found["Lightweight patterns against their baselines"]
    assert (kind["Pattern"], number(kind["Count"])) == ("depthwise-separable", 13)
    assert len(found["Pattern instances"]) == 13
    rows = found["Per-layer costs"]
    assert sum(number(r["MACs"]) for r in rows) == report.totals.macs == 568_740_352
    assert {r["Bound"] for r in rows} <= {"compute", "memory", "overhead"}
    assert "Estimated latency" in {r["Quantity"] for r in found["Summary"]}
