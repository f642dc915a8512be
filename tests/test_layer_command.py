"""costcalc layer: the what-if calculator, its formulas, and agreement with the model path."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

import click
import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import helper, numpy_helper

import costcalc
from costcalc import whatif
from costcalc.cli import CostcalcGroup
from costcalc.commands.layer import layer
from costcalc.errors import InputSpecError
from costcalc.whatif import Alternative, FormulaMismatchError, WhatIf
from tests.onnx_models import model, weight

MOBILENET_TABLE3 = ["conv", "--cin", "512", "--cout", "512", "-k", "3", "--hw", "14"]


def cli() -> click.Group:
    group = CostcalcGroup("costcalc")
    group.add_command(layer)
    return group


def invoke(*args: str):
    return CliRunner().invoke(cli(), ["layer", *map(str, args)], env={"COLUMNS": "200"})


def rows(*args: str) -> dict[str, dict]:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "costcalc.whatif/1"
    return {row["name"]: row for row in document["alternatives"]}


def by_name(result: WhatIf) -> dict[str, Alternative]:
    return {a.name: a for a in result.alternatives}


# --------------------------------------------------------------------------- conv


def test_mobilenet_table3_from_the_command() -> None:
    alts = rows(*MOBILENET_TABLE3, "--depthwise")
    dense, ds = alts["dense 3x3 conv"], alts["depthwise-separable"]
    # standard conv: 14·14 outputs × 512 filters × 512·3·3 taps = 196 × 512 × 4,608
    assert dense["macs"] == 462_422_016
    # weights: 512 × 512 × 3 × 3
    assert dense["params"] == 2_359_296
    # depthwise 14·14·512·9 = 903,168 + pointwise 14·14·512·512 = 51,380,224
    assert ds["macs"] == 52_283_392
    # depthwise 512·9 = 4,608 + pointwise 512·512 = 262,144
    assert ds["params"] == 266_752
    assert ds["given"] and not dense["given"]
    assert next(iter(alts)) == "depthwise-separable"  # the given layer comes first
    # 462,422,016 / 52,283,392 = 8.845 = 1 / (1/512 + 1/9)
    assert dense["vs_first"]["macs"] == pytest.approx(8.84453, abs=1e-5)


def test_table_shows_rows_formulas_and_the_closed_form() -> None:
    result = invoke(*MOBILENET_TABLE3, "--depthwise")
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("→ depthwise-separable", "462,422,016", "2,359,296", "52,283,392",
                 "266,752", "8.84×"):  # fmt: skip
        assert text in out
    assert "Cout × Cin × K × K = 512 × 512 × 3 × 3 = 2,359,296" in out
    assert "H_out × W_out × Cout × Cin × K × K = 14 × 14 × 512 × 512 × 3 × 3 = 462,422,016" in out
    assert "Cin × K × K + Cout × Cin = 512 × 3 × 3 + 512 × 512 = 266,752" in out
    assert "1/Cout + 1/K² = 1/512 + 1/9 = 0.1131: 8.845× fewer MACs" in out


def test_group_conv_formula_and_ratio() -> None:
    alts = rows(*MOBILENET_TABLE3, "--groups", "4")
    group = alts["group conv G=4"]
    # 512 × 512/4 × 3 × 3 = 589,824 weights; × 14·14 outputs = 115,605,504 MACs
    assert group["params"] == 589_824 and group["macs"] == 115_605_504
    assert group["formulas"]["params"] == "Cout × Cin/G × K × K = 512 × 512/4 × 3 × 3 = 589,824"
    assert list(alts) == ["group conv G=4", "dense 3x3 conv", "depthwise-separable",
                          "pointwise 1x1 only"]  # fmt: skip
    # dense over group: 4× the MACs and weights
    assert alts["dense 3x3 conv"]["vs_first"]["macs"] == 4.0
    # same input read, same output written: activation bytes equal,
    # 2 × 512·14·14 × 4 B = 802,816
    assert group["activation_bytes"] == alts["dense 3x3 conv"]["activation_bytes"] == 802_816


@pytest.mark.parametrize(
    ("cin", "cout", "kernel", "hw", "stride"),
    [(512, 512, 3, 14, 1), (32, 64, 3, 112, 2), (96, 24, 5, 28, 1), (16, 160, 7, 9, 3),
     (8, 8, 4, 10, 1)],
)  # fmt: skip
def test_depthwise_separable_saving_is_the_closed_form(cin, cout, kernel, hw, stride) -> None:
    alts = by_name(whatif.conv_whatif(cin, cout, kernel, hw, stride=stride))
    dense, ds = alts[f"dense {kernel}x{kernel} conv"], alts["depthwise-separable"]
    # dense H'W'·Cout·Cin·K² over ds H'W'·Cin·K² + H'W'·Cin·Cout = 1/(1/Cout + 1/K²), exactly
    assert Fraction(dense.macs, ds.macs) == 1 / (Fraction(1, cout) + Fraction(1, kernel**2))


def test_depthwise_multiplier_scales_the_ratio() -> None:
    result = whatif.conv_whatif(32, 64, 3, 8, depthwise=True, multiplier=2)
    ds = by_name(result)["depthwise-separable"]
    # depthwise 32·2·9 = 576, pointwise 64·64 = 4,096 weights
    assert ds.params == 4_672
    # 8·8·(64·9 + 64·64) = 64 · 4,672 = 299,008
    assert ds.macs == 299_008
    # ds/dense = M(1/Cout + 1/K²) = 2 (1/64 + 1/9) = 73/288
    assert Fraction(ds.macs, by_name(result)["dense 3x3 conv"].macs) == Fraction(73, 288)
    assert any("M × (1/Cout + 1/K²) = 2 × (1/64 + 1/9)" in n for n in result.notes)


def test_bias_batch_stride_and_dtype() -> None:
    dense = whatif.conv_whatif(64, 128, 3, 56, stride=2, batch=2, bias=True, dtype="fp16")
    row = by_name(dense)["dense 3x3 conv"]
    # H_out = (56 + 2 - 3)//2 + 1 = 28; params 128·64·9 + 128 = 73,856
    assert row.params == 73_856
    # MACs 2·28·28·128·64·9 = 115,605,504; FLOPs 2·MACs + 2·128·28·28 bias adds = 231,411,712
    assert (row.macs, row.flops) == (115_605_504, 231_411_712)
    # bytes at 2 B: (2·64·56·56 + 73,856 + 2·128·28·28) × 2 = (401,408 + 73,856 + 200,704) × 2
    assert row.bytes_moved == 1_351_936
    assert row.formulas["flops"].startswith("2 × MACs + N × Cout × H_out × W_out = ")


def test_sub_byte_dtype_packs_each_tensor() -> None:
    row = by_name(whatif.conv_whatif(3, 5, 3, 3, dtype="int4"))["dense 3x3 conv"]
    # ⌈27/2⌉ + ⌈135/2⌉ + ⌈45/2⌉ = 14 + 68 + 23 = 105 bytes (3·3·3 in, 5·3·3·3 w, 5·3·3 out)
    assert row.bytes_moved == 105
    assert "⌈" in row.formulas["bytes"]


# --------------------------------------------------------------------------- SE, GDC, shuffle


def test_squeeze_excitation() -> None:
    alts = rows("se", "--channels", 256, "--reduction", 16, "--hw", 56)
    with_se, without = alts["with SE"], alts["without SE"]
    # FC 256→16: 4,096 + 16; FC 16→256: 4,096 + 256 → 2·256²/16 + 16 + 256 = 8,464
    assert with_se["params"] == 8_464
    # 2·C²/R = 2 · 65,536 / 16 = 8,192
    assert with_se["macs"] == 8_192
    # 2·8,192 + pool (802,816 adds + 256 divides) + biases (16 + 256) + ReLU 16
    # + sigmoid 3·256 + multiply 802,816 = 1,623,328
    assert with_se["flops"] == 1_623_328
    assert with_se["formulas"]["params"] == (
        "2 × C × C/R + C/R + C = 2 × 256 × 256/16 + 256/16 + 256 = 8,464"
    )
    assert without["params"] == without["macs"] == without["bytes_moved"] == 0


def test_gdc_against_global_average_pooling() -> None:
    alts = rows("gdc", "--channels", 512, "--hw", 7)
    gdc, gap = alts["GDC"], alts["global average pooling"]
    # one weight per channel and position: 512 × 7 × 7 = 25,088, each used once per image
    assert gdc["params"] == gdc["macs"] == 25_088
    assert (gap["params"], gap["macs"]) == (0, 0)
    # 25,088 adds + 512 divides
    assert gap["flops"] == 25_600


def test_shuffle_moves_the_whole_tensor() -> None:
    alts = rows("shuffle", "--channels", 240, "--groups", 3, "--hw", 28)
    shuffle = alts["channel shuffle G=3"]
    tensor_bytes = 240 * 28 * 28 * 4  # 752,640
    assert (shuffle["params"], shuffle["macs"], shuffle["flops"]) == (0, 0, 0)
    assert shuffle["bytes_moved"] == 2 * tensor_bytes == 1_505_280
    group, dense = alts["1x1 group conv G=3"], alts["1x1 dense conv"]
    # 240·240/3 = 19,200 weights vs 240·240 = 57,600; both read and write the tensor once
    assert (group["params"], dense["params"]) == (19_200, 57_600)
    assert group["activation_bytes"] == dense["activation_bytes"] == 2 * tensor_bytes


# --------------------------------------------------------------------------- the model path


def _conv(x: str, w: str, y: str, kernel: int, groups: int = 1, stride: int = 1,
          bias: str | None = None) -> onnx.NodeProto:  # fmt: skip
    pad = kernel // 2 if kernel > 1 else 0
    return helper.make_node(
        "Conv", [x, w, *([bias] if bias else [])], [y], group=groups,
        kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4,
    )  # fmt: skip


def _ints(name: str, values: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


CONV = {"cin": 64, "cout": 128, "kernel": 3, "hw": 16, "stride": 2, "batch": 2}


def _onnx_models(bias: bool) -> dict[str, onnx.ModelProto]:
    """The what-if rows of CONV with --groups 4, each as an ONNX model."""
    n, cin, cout, k, hw, s = (CONV[key] for key in ("batch", "cin", "cout", "kernel", "hw",
                                                     "stride"))  # fmt: skip
    ho = (hw + 2 * (k // 2) - k) // s + 1  # (16 + 2 - 3)//2 + 1 = 8
    x = {"x": (n, cin, hw, hw)}

    def conv(inp, out, w_shape, kernel, groups=1, stride=1, tag=""):
        node = _conv(inp, f"W{tag}", out, kernel, groups, stride, f"B{tag}" if bias else None)
        inits = [weight(f"W{tag}", w_shape)] + ([weight(f"B{tag}", w_shape[:1])] if bias else [])
        return node, inits

    dense, dense_w = conv("x", "y", (cout, cin, k, k), k, 1, s)
    group, group_w = conv("x", "y", (cout, cin // 4, k, k), k, 4, s)
    dw, dw_w = conv("x", "t", (cin, 1, k, k), k, cin, s, tag="d")
    pw, pw_w = conv("t", "y", (cout, cin, 1, 1), 1, tag="p")
    return {
        "dense 3x3 conv": model([dense], x, ["y"], dense_w),
        "group conv G=4": model([group], x, ["y"], group_w),
        "depthwise-separable": model([dw, pw], x, ["y"], dw_w + pw_w),
        "pointwise 1x1 only": model([pw], {"t": (n, cin, ho, ho)}, ["y"], pw_w),
    }


def _assert_same(alt: Alternative, proto: onnx.ModelProto, dtype: str) -> None:
    t = costcalc.analyze(proto, dtype=dtype).totals
    assert (t.params, t.macs, t.flops, t.read_bytes + t.write_bytes) == (
        alt.params, alt.macs, alt.flops, alt.bytes_moved,
    ), alt.name  # fmt: skip


@pytest.mark.parametrize("bias", [False, True])
def test_conv_rows_agree_with_analyze(bias: bool) -> None:
    result = whatif.conv_whatif(**CONV, groups=4, bias=bias, dtype="fp16")
    alts = by_name(result)
    models = _onnx_models(bias)
    assert set(models) == set(alts)
    for name, proto in models.items():
        _assert_same(alts[name], proto, "fp16")


def test_se_gdc_and_shuffle_agree_with_analyze() -> None:
    n, c, r, hw = 2, 32, 4, 6
    x = {"x": (n, c, hw, hw)}
    se_model = model(
        [
            helper.make_node("GlobalAveragePool", ["x"], ["p"]),
            _conv("p", "W1", "s", 1, bias="B1"),
            helper.make_node("Relu", ["s"], ["a"]),
            _conv("a", "W2", "e", 1, bias="B2"),
            helper.make_node("Sigmoid", ["e"], ["g"]),
            helper.make_node("Mul", ["x", "g"], ["y"]),
        ],
        x, ["y"],
        [weight("W1", (c // r, c, 1, 1)), weight("B1", (c // r,)),
         weight("W2", (c, c // r, 1, 1)), weight("B2", (c,))],
    )  # fmt: skip
    _assert_same(by_name(whatif.se_whatif(c, r, hw, batch=n))["with SE"], se_model, "fp32")

    gdc = by_name(whatif.gdc_whatif(c, hw, batch=n, dtype="bf16"))
    gdc_node = helper.make_node("Conv", ["x", "W"], ["y"], group=c, kernel_shape=[hw, hw])
    _assert_same(gdc["GDC"], model([gdc_node], x, ["y"], [weight("W", (c, 1, hw, hw))]), "bf16")
    gap = model([helper.make_node("GlobalAveragePool", ["x"], ["y"])], x, ["y"])
    _assert_same(gdc["global average pooling"], gap, "bf16")

    g = 4
    shuffle = model(
        [
            helper.make_node("Reshape", ["x", "s1"], ["a"]),
            helper.make_node("Transpose", ["a"], ["b"], perm=[0, 2, 1, 3, 4]),
            helper.make_node("Reshape", ["b", "s2"], ["y"]),
        ],
        x, ["y"], [_ints("s1", [n, g, c // g, hw, hw]), _ints("s2", [n, c, hw, hw])],
    )  # fmt: skip
    alts = by_name(whatif.shuffle_whatif(c, g, hw, batch=n))
    _assert_same(alts[f"channel shuffle G={g}"], shuffle, "fp32")
    grouped = model([_conv("x", "W", "y", 1, g)], x, ["y"], [weight("W", (c, c // g, 1, 1))])
    _assert_same(alts[f"1x1 group conv G={g}"], grouped, "fp32")


# --------------------------------------------------------------------------- formulas


def test_every_formula_evaluates_to_its_number() -> None:
    for result in (
        whatif.conv_whatif(24, 48, 5, 13, groups=3, stride=2, batch=3, bias=True),
        whatif.conv_whatif(24, 48, 5, 13, depthwise=True, multiplier=3, dtype="int4"),
        whatif.se_whatif(250, 16, 7, batch=2),  # 250/16 does not divide: ⌊C/R⌋ = 15
        whatif.gdc_whatif(128, 4, batch=2),
        whatif.shuffle_whatif(48, 6, 9, dtype="int8"),
    ):
        for alt in result.alternatives:
            for metric, text in alt.formulas.items():
                substituted = text.split(" = ")[1] if " = " in text else text
                assert whatif.evaluate(substituted) == alt.value(metric), (alt.name, text)


def test_a_formula_that_disagrees_with_the_registry_raises() -> None:
    formula = whatif.sym("Cout", 8) * whatif.sym("Cin", 4)  # 32
    assert whatif.checked("w", formula, 32) == "Cout × Cin = 8 × 4 = 32"
    with pytest.raises(FormulaMismatchError, match="the op registry gives 33"):
        whatif.checked("w", formula, 33)


def test_json_and_csv_formats() -> None:
    result = invoke("gdc", "--channels", 512, "--hw", 7, "--format", "csv")
    assert result.exit_code == 0, result.output
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in records] == ["GDC", "global average pooling"]
    assert records[0]["macs"] == "25088"
    assert records[0]["params_formula"] == "C × H × W = 512 × 7 × 7 = 25,088"


# --------------------------------------------------------------------------- errors and help


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*MOBILENET_TABLE3, "--groups", "3"], "--groups 3 does not divide --cin 512"),
        (["conv", "--cin", "0", "--cout", "8", "-k", "3", "--hw", "4"], "--cin must be a positive"),
        (["conv", "--cin", "8", "--cout", "8", "-k", "3", "--hw", "-4"], "--hw must be a positive"),
        ([*MOBILENET_TABLE3, "--groups", "2", "--depthwise"], "exclude each other"),
        ([*MOBILENET_TABLE3, "--multiplier", "2"], "--multiplier applies to --depthwise"),
        ([*MOBILENET_TABLE3, "--dtype", "fp7"], "--dtype 'fp7'"),
        (["se", "-c", "8", "-r", "16", "--hw", "7"], "--reduction 16 leaves no channels"),
        (["shuffle", "-c", "10", "-g", "3", "--hw", "7"], "--groups 3 does not divide"),
        (["gdc", "-c", "8", "--hw", "0"], "--hw must be a positive"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_library_raises_input_spec_error() -> None:
    with pytest.raises(InputSpecError, match="--batch must be a positive integer"):
        whatif.conv_whatif(8, 8, 3, 4, batch=0)


def test_help_has_examples() -> None:
    for sub in ([], ["conv"], ["se"], ["gdc"], ["shuffle"]):
        result = invoke(*sub, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.output and "costcalc layer" in result.output
