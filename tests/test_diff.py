"""costcalc diff: layers matched by name then position, per-layer and total deltas, formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import onnx
import pandas as pd
import pytest
from click.testing import CliRunner
from onnx import helper

import costcalc
from costcalc.analyses.diff import DIFF_SCHEMA, diff, diff_reports, match_layers
from costcalc.cli import CostcalcGroup
from costcalc.commands.diff import diff as diff_command
from costcalc.commands.diff import render_markdown
from costcalc.errors import ModelLoadError
from costcalc.report import Report
from tests.onnx_models import model, weight

X = (1, 3, 8, 8)


def chain(layers: list[tuple[str, str, int]], cin: int = 3) -> onnx.ModelProto:
    """A chain on a 1x3x8x8 input: ("conv", name, Cout) is a 3x3 conv (pad 1, no bias),
    ("1x1", name, Cout) a pointwise conv, ("relu", name, _) a ReLU."""
    nodes, inits, current = [], [], "x"
    for index, (kind, name, cout) in enumerate(layers):
        out = f"t{index}"
        if kind == "relu":
            nodes.append(helper.make_node("Relu", [current], [out], name=name))
        else:
            k = 3 if kind == "conv" else 1
            inits.append(weight(f"W{index}", (cout, cin, k, k)))
            pads = [1, 1, 1, 1] if k == 3 else [0, 0, 0, 0]
            nodes.append(
                helper.make_node("Conv", [current, f"W{index}"], [out], name=name, pads=pads)
            )
            cin = cout
        current = out
    nodes.append(helper.make_node("Identity", [current], ["y"], name="out"))
    return model(nodes, {"x": X}, ["y"], inits)


def report(proto: onnx.ModelProto) -> Report:
    return costcalc.analyze(proto)


def row_named(result, name: str):
    (row,) = [r for r in result.rows if name in (r.a_name, r.b_name)]
    return row


def cli():
    group = CostcalcGroup("costcalc")
    group.add_command(diff_command)
    return group


def run(*args: object):
    return CliRunner().invoke(cli(), ["diff", *map(str, args)], env={"COLUMNS": "200"})


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# A: conv 3->8 3x3 -> relu.  B: conv 3->16 3x3 -> relu -> extra 1x1 conv 16->4.
A_LAYERS = [("conv", "conv", 8), ("relu", "relu", 0)]
B_LAYERS = [("conv", "conv", 16), ("relu", "relu", 0), ("1x1", "extra", 4)]


@pytest.fixture(scope="module")
def pair() -> tuple[Report, Report]:
    return report(chain(A_LAYERS)), report(chain(B_LAYERS))


@pytest.fixture
def files(tmp_path, pair) -> dict[str, Path]:
    paths = {
        "a_onnx": tmp_path / "a.onnx",
        "b_onnx": tmp_path / "b.onnx",
        "a_json": tmp_path / "a.json",
    }
    onnx.save(chain(A_LAYERS), str(paths["a_onnx"]))
    onnx.save(chain(B_LAYERS), str(paths["b_onnx"]))
    paths["a_json"].write_text(pair[0].to_json())
    return paths


# --------------------------------------------------------------------------- a report vs itself


def test_report_against_itself_shows_no_change(pair) -> None:
    result = diff_reports(pair[1], pair[1])
    assert result.unchanged
    assert result.counts() == {"same": len(pair[1].layers), "changed": 0, "added": 0, "removed": 0}
    for row in result.rows:
        assert row.matched_by == "name"
        assert all(getattr(row, f"delta_{m}") == 0 for m in ("params", "macs", "flops", "bytes"))
    assert all(t.delta == 0 for t in result.totals if t.delta is not None)
    assert result.visible_rows() == []


def test_saved_report_against_itself_on_the_command_line(files) -> None:
    table = run(files["a_json"], files["a_json"])
    assert table.exit_code == 0, table.output
    assert "No change" in table.stdout
    data = json.loads(run(files["a_json"], files["a_json"], "--format", "json").stdout)
    assert data["schema"] == DIFF_SCHEMA
    assert data["summary"]["unchanged"] is True
    assert {t["delta"] for t in data["totals"].values() if t["delta"] is not None} == {0}
    assert {row["status"] for row in data["layers"]} == {"same"}


# --------------------------------------------------------------------------- hand-derived deltas


def test_hand_built_pair_deltas(pair) -> None:
    result = diff_reports(*pair)
    conv = row_named(result, "conv")
    assert (conv.status, conv.matched_by) == ("changed", "name")
    # conv 3x3 pad 1 on 8x8, Cin 3: params Cout·3·9, MACs Cout·64·27.
    # A (Cout 8): 216 params, 13,824 MACs; B (Cout 16): 432 params, 27,648 MACs.
    assert (conv.a_params, conv.b_params, conv.delta_params) == (216, 432, 216)
    assert (conv.a_macs, conv.b_macs, conv.delta_macs) == (13_824, 27_648, 13_824)
    assert conv.pct_macs == pytest.approx(100.0)
    # FLOPs 2·MACs (no bias): 27,648 -> 55,296.
    assert conv.delta_flops == 27_648
    # bytes fp32: A reads x 192·4 + W 216·4 = 1,632 and writes 512·4 = 2,048 (3,680);
    # B reads 768 + 432·4 = 2,496 and writes 1,024·4 = 4,096 (6,592): +2,912.
    assert (conv.a_bytes, conv.b_bytes, conv.delta_bytes) == (3_680, 6_592, 2_912)
    relu = row_named(result, "relu")
    # ReLU, 1 FLOP per element: 8·64 = 512 -> 16·64 = 1,024.
    assert (relu.status, relu.delta_flops, relu.delta_macs) == ("changed", 512, 0)
    extra = row_named(result, "extra")
    # 1x1 conv 16->4 on 8x8: 64 params, 4·64·16 = 4,096 MACs; only in B.
    assert (extra.status, extra.matched_by, extra.a_name) == ("added", None, None)
    assert (extra.b_params, extra.delta_params, extra.delta_macs) == (64, 64, 4_096)
    assert extra.pct_macs is None  # nothing to be a percentage of
    # Totals: params +216 +64 = +280; MACs +13,824 +4,096 = +17,920.
    assert (result.total("params").a, result.total("params").b) == (216, 496)
    assert result.total("params").delta == 280
    assert result.total("macs").delta == 17_920
    assert result.total("macs").pct == pytest.approx(100.0 * 17_920 / 13_824)
    # Row deltas add up to the totals' deltas.
    for metric in ("params", "macs", "flops"):
        assert sum(getattr(r, f"delta_{metric}") for r in result.rows) == (
            result.total(metric).delta
        )


def test_swapped_pair_shows_the_layer_removed(pair) -> None:
    result = diff_reports(pair[1], pair[0])
    extra = row_named(result, "extra")
    assert (extra.status, extra.delta_macs, extra.pct_macs) == ("removed", -4_096, -100.0)
    assert result.total("params").delta == -280


# --------------------------------------------------------------------------- matching


def test_renamed_layer_is_matched_by_position_and_new_one_added() -> None:
    a = report(chain([("conv", "c1", 8), ("relu", "r1", 0)]))
    b = report(chain([("conv", "renamed", 8), ("relu", "r1", 0), ("relu", "new", 0)]))
    result = diff_reports(a, b)
    renamed = row_named(result, "renamed")
    assert (renamed.a_name, renamed.b_name) == ("c1", "renamed")
    assert (renamed.status, renamed.matched_by) == ("same", "position")
    assert renamed.name == "c1 → renamed"
    assert row_named(result, "r1").matched_by == "name"
    assert row_named(result, "new").status == "added"
    assert [r.b_name for r in result.rows] == ["renamed", "r1", "new", "out"]


def test_position_matching_stays_between_the_name_matched_layers() -> None:
    # c2 renamed c2x, and a new conv c0 put first: c2 pairs with c2x (both between r1
    # and r2), not with c0, the first unmatched conv of B.
    a = report(chain([("conv", "c1", 8), ("relu", "r1", 0), ("conv", "c2", 8), ("relu", "r2", 0)]))
    b = report(
        chain(
            [
                ("conv", "c0", 3),
                ("conv", "c1", 8),
                ("relu", "r1", 0),
                ("conv", "c2x", 8),
                ("relu", "r2", 0),
            ]
        )
    )
    result = diff_reports(a, b)
    assert row_named(result, "c2x").a_name == "c2"
    assert row_named(result, "c0").status == "added"
    # c1 now reads c0's 3 channels (same shapes): unchanged.
    assert row_named(result, "c1").status == "same"


def test_positional_match_needs_the_same_op() -> None:
    a = report(chain([("relu", "first", 0), ("conv", "c", 8)]))
    b = report(chain([("conv", "other", 8), ("conv", "c", 8)]))
    rows = diff_reports(a, b).rows
    # Removed before added where they stood, as a textual diff shows them.
    assert [(r.a_name or r.b_name, r.status) for r in rows] == [
        ("first", "removed"),
        ("other", "added"),
        ("c", "changed"),
        ("out", "same"),
    ]  # c reads 8 channels instead of 3


def test_match_layers_order_and_duplicate_names(pair) -> None:
    layers = pair[0].layers
    assert match_layers(layers, layers) == [(i, i, "name") for i in range(len(layers))]
    doubled = [*layers, *layers]  # the k-th 'conv' of A pairs with the k-th of B
    assert match_layers(doubled, doubled) == [(i, i, "name") for i in range(len(doubled))]


# --------------------------------------------------------------------------- inputs


def test_saved_report_against_a_model(files) -> None:
    result = run(files["a_json"], files["b_onnx"], "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["params"] == {
        "a": 216,
        "b": 496,
        "delta": 280,
        "pct": pytest.approx(280 / 216 * 100),
    }
    assert data["totals"]["macs"]["delta"] == 17_920
    assert diff(files["a_json"], files["b_onnx"]).total("macs").delta == 17_920


def test_report_detected_by_content(tmp_path, pair) -> None:
    saved = tmp_path / "report.txt"
    saved.write_text(pair[1].to_json())
    assert diff(saved, pair[1]).unchanged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"hello": "world"}', "not a costcalc report (no schema"),
        ('{"schema": "other/1"}', "not a costcalc report (schema 'other/1'"),
        ('{"schema": "costcalc.diff/1"}', "is a costcalc diff, not a report"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a costcalc report"),
    ],
)
def test_non_report_json_is_one_error_line(tmp_path, files, text, expected) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    line = one_error_line(run(bad, files["b_onnx"]))
    assert expected in line and line.startswith("costcalc: error:")
    with pytest.raises(ModelLoadError):
        diff(bad, files["b_onnx"])


def test_missing_json_and_options_on_two_reports(tmp_path, files) -> None:
    assert "no such file" in one_error_line(run(tmp_path / "gone.json", files["a_json"]))
    line = one_error_line(run(files["a_json"], files["a_json"], "--input", "1x3x8x8"))
    assert "apply to models" in line


# --------------------------------------------------------------------------- formats


def test_table_shows_changes_and_totals(files) -> None:
    result = run(files["a_onnx"], files["b_onnx"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Totals (B - A)" in out and "+17,920" in out and "+280" in out
    assert "added" in out and "extra" in out and "changed" in out
    assert "Identity" not in out  # the unchanged (and free) output node is hidden
    assert "--all shows them" in out
    assert "Identity" in run(files["a_onnx"], files["b_onnx"], "--all").stdout


def test_csv_is_exact_for_pandas(files) -> None:
    result = run(files["a_onnx"], files["b_onnx"], "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout))
    conv = frame[frame["b_name"] == "conv"].iloc[0]
    assert (conv["a_macs"], conv["b_macs"], conv["delta_macs"]) == (13_824, 27_648, 13_824)
    extra = frame[frame["b_name"] == "extra"].iloc[0]
    assert extra["status"] == "added" and pd.isna(extra["a_macs"])
    assert frame["delta_macs"].sum() == 17_920
    assert len(frame) == 4  # every layer, unchanged ones included


def test_markdown_has_the_totals_table(files) -> None:
    out = run(files["a_onnx"], files["b_onnx"], "--format", "markdown").stdout
    assert out.startswith("# costcalc diff")
    assert "## Totals (B - A)" in out
    assert "| MACs | 13,824 | 31,744 | +17,920 | +129.6% |" in out
    assert "| params | 216 | 496 | +280 | +129.6% |" in out
    assert "## Layers" in out and "| added |" in out


def test_html_is_a_full_document(files, tmp_path) -> None:
    target = tmp_path / "diff.html"  # the format follows the extension
    result = run(files["a_onnx"], files["b_onnx"], "-o", target)
    assert result.exit_code == 0, result.output
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert 'id="totals"' in page and 'id="layers"' in page and "+17,920" in page


def test_output_never_overwrites_without_force(files, tmp_path) -> None:
    target = tmp_path / "diff.json"
    target.write_text("keep me")
    line = one_error_line(run(files["a_onnx"], files["b_onnx"], "-o", target))
    assert "already exists" in line
    assert target.read_text() == "keep me"
    assert run(files["a_onnx"], files["b_onnx"], "-o", target, "--force").exit_code == 0
    assert json.loads(target.read_text())["schema"] == DIFF_SCHEMA


# --------------------------------------------------------------------------- the zoo


@pytest.fixture(scope="module")
def mobilenets() -> tuple[Report, Report]:
    pytest.importorskip("torch")
    return costcalc.analyze("zoo:mobilenet_v1"), costcalc.analyze("zoo:mobilenet_v2")


def test_mobilenet_v2_against_v1(mobilenets, tmp_path) -> None:
    v1, v2 = mobilenets
    result = diff_reports(v1, v2)  # A = v1, B = v2: deltas are v2 - v1
    # params 3,504,872 - 4,231,976 = -727,104; MACs 300,774,272 - 568,740,352 = -267,966,080
    assert (result.total("params").a, result.total("params").b) == (4_231_976, 3_504_872)
    assert result.total("params").delta == 3_504_872 - 4_231_976 == -727_104
    assert result.total("macs").delta == 300_774_272 - 568_740_352 == -267_966_080
    for metric in ("params", "macs", "flops"):
        assert sum(getattr(r, f"delta_{metric}") for r in result.rows) == (
            result.total(metric).delta
        )
    assert row_named(result, "features.0.0/Conv").status == "same"  # both stems 3->32 s2
    assert result.counts()["added"] and result.counts()["removed"]
    # Through the command line, on the saved reports.
    a, b = tmp_path / "v1.json", tmp_path / "v2.json"
    a.write_text(v1.to_json())
    b.write_text(v2.to_json())
    data = json.loads(run(a, b, "--format", "json").stdout)
    assert data["totals"]["params"]["delta"] == -727_104
    assert data["totals"]["macs"]["delta"] == -267_966_080
    assert "-267,966,080" in run(a, b).stdout


def test_a_total_missing_on_one_side_is_na() -> None:
    a = costcalc.analyze(chain(A_LAYERS), baseline="dense")  # dense totals only in A
    b = report(chain(A_LAYERS))
    result = diff_reports(a, b)
    dense = result.total("dense_macs")
    assert (dense.a, dense.b, dense.delta, dense.pct) == (13_824, None, None, None)
    assert any("dense baseline" in note for note in result.notes)
    assert "| dense MACs | 13,824 | n/a | n/a | n/a |" in render_markdown(result)
