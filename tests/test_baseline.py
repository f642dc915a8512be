"""The dense baseline, the block patterns and the dense twin (issue: lightweight ops)."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest
from onnx import helper

import costcalc
from costcalc.examples.mobilenet_onnx import build_mobilenet_v1
from tests.onnx_models import model, weight


def ds_model(cin: int, cout: int, k: int, hw: int, between: bool = True):
    """Depthwise KxK (+ BN + Relu) then pointwise 1x1, on an hw x hw input."""
    nodes = [helper.make_node("Conv", ["x", "Wd"], ["d"], name="dw", group=cin, pads=[k // 2] * 4)]
    inits = [weight("Wd", (cin, 1, k, k)), weight("Wp", (cout, cin, 1, 1))]
    last = "d"
    if between:
        nodes += [
            helper.make_node("BatchNormalization", ["d", "s", "b", "m", "v"], ["n"], name="bn"),
            helper.make_node("Relu", ["n"], ["r"], name="relu"),
        ]
        inits += [weight(name, (cin,)) for name in "sbmv"]
        last = "r"
    nodes.append(helper.make_node("Conv", [last, "Wp"], ["y"], name="pw"))
    return model(nodes, {"x": (1, cin, hw, hw)}, ["y"], inits)


@pytest.mark.parametrize(
    ("cin", "cout", "k"), [(32, 64, 3), (128, 256, 3), (64, 24, 5), (16, 100, 7)]
)
def test_depthwise_separable_saving_is_the_closed_form(cin, cout, k):
    report = costcalc.analyze(ds_model(cin, cout, k, 9), baseline="dense")
    (pattern,) = report.patterns
    assert pattern.kind == "depthwise-separable"
    assert (pattern.attrs["cin"], pattern.attrs["cout"], pattern.attrs["kernel"]) == (
        cin,
        cout,
        [k, k],
    )
    # standard conv: 81*Cin*Cout*K^2 MACs; dw + pw: 81*Cin*K^2 + 81*Cin*Cout.
    # dense / actual = Cout*K^2 / (K^2 + Cout) = 1 / (1/Cout + 1/K^2): cross-multiplied
    assert pattern.dense_macs == 81 * cin * cout * k * k
    assert pattern.dense_macs * (k * k + cout) == pattern.macs * cout * k * k
    # the standard conv has Cin*Cout*K^2 weights, no BN between
    assert pattern.dense_params == cin * cout * k * k


def test_mobilenet_table3_layer_baselines():
    report = costcalc.analyze(ds_model(512, 512, 3, 14, between=False), baseline="dense")
    dw, pw = report.layers
    # the depthwise conv with groups=1 is a 3x3 512->512 conv: 462,422,016 MACs, 2,359,296 weights
    assert (dw.dense_macs, dw.dense_params) == (462_422_016, 2_359_296)
    # a pointwise conv is its own dense baseline
    assert (pw.dense_macs, pw.dense_params) == (pw.macs, pw.params)
    (pattern,) = report.patterns
    # Table 3: 462,422,016 / 52,283,392 = 8.84x fewer MACs than the standard conv
    assert (pattern.dense_macs, pattern.macs) == (462_422_016, 52_283_392)
    assert (pattern.dense_params, pattern.params) == (2_359_296, 266_752)


@pytest.mark.parametrize("source", ["onnx", "torch"])
def test_mobilenet_v1_against_table4(source):
    if source == "torch":
        pytest.importorskip("torch")
        report = costcalc.analyze("zoo:mobilenet_v1", baseline="dense")
    else:
        report = costcalc.analyze(build_mobilenet_v1(seed=None), dims={"N": 1}, baseline="dense")
    t = report.totals
    assert abs(t.macs / 569e6 - 1) < 0.01 and abs(t.params / 4.2e6 - 1) < 0.01
    # twin params: 4,231,976 - (depthwise 44,640 + their BN 9,920 + pointwise 3,139,584)
    #   + 9 * 3,139,584 = 29,294,088 (paper: 29.3M)
    assert t.dense_params == 29_294_088
    # twin MACs: conv1 10,838,016 + 9 * pointwise 539,492,352 + FC 1,024,000
    #   = 4,867,293,184 (paper: 4866M)
    assert t.dense_macs == 4_867_293_184
    assert abs(t.dense_macs / 4866e6 - 1) < 0.01 and abs(t.dense_params / 29.3e6 - 1) < 0.01
    assert Counter(p.kind for p in report.patterns) == {"depthwise-separable": 13}


ZOO_PATTERNS = {
    # 13 depthwise-separable layers (Table 1)
    "mobilenet_v1": {"depthwise-separable": 13},
    # 17 inverted residual blocks, each a depthwise 3x3 then a linear 1x1
    "mobilenet_v2": {"depthwise-separable": 17},
    # 15 bnecks; SE in 3 (40ch) + 2 (112ch) + 3 (160ch) = 8 of them (Table 1)
    "mobilenet_v3_large": {"depthwise-separable": 15, "squeeze-excitation": 8},
    # 16 units (4 + 8 + 4); 2 group convs each except the ungrouped first 1x1 of stage 2: 31;
    # a shuffle after every first 1x1: 16, 15 of them after a group conv
    "shufflenet_v1_g3": {"depthwise-separable": 16, "group-conv": 31, "channel-shuffle": 16,
                         "pointwise-group-conv+shuffle": 15},
    # 16 units with a shuffle; 16 + 3 downsampling left branches with depthwise -> 1x1
    "shufflenet_v2_x1.0": {"depthwise-separable": 19, "channel-shuffle": 16},
    # one GDC head; 1 depthwise stem conv + 15 bottlenecks = 16 depthwise -> 1x1
    "mobilefacenet": {"depthwise-separable": 16, "global-depthwise-conv": 1},
    # SE in every one of the 3 + 4 + 6 + 3 = 16 bottlenecks
    "se_resnet50": {"squeeze-excitation": 16},
    # 16 bottlenecks, each with one grouped 3x3 (32 groups)
    "resnext50_32x4d": {"group-conv": 16},
    "resnet50": {},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ZOO_PATTERNS))
def test_zoo_pattern_counts(name):
    pytest.importorskip("torch")
    report = costcalc.analyze(f"zoo:{name}", baseline="dense")
    assert Counter(p.kind for p in report.patterns) == ZOO_PATTERNS[name]


def test_pattern_attributes_on_the_zoo():
    pytest.importorskip("torch")
    ses = [p for p in costcalc.analyze("zoo:se_resnet50", baseline="dense").patterns]
    first = ses[0]
    # layer1.0: 256 channels squeezed to 16 (r = 16): 256*16 + 16 + 16*256 + 256 = 8,464 params
    assert (first.attrs["channels"], first.attrs["squeeze"], first.attrs["reduction"]) == (
        256,
        16,
        16,
    )
    assert first.params == 8_464
    assert first.block == "layer1.0"
    # the bottleneck: 1x1 64->64 4,096 + 3x3 36,864 + 1x1 64->256 16,384 + downsample 16,384
    # + BN 128 + 128 + 512 + 512 + SE 8,464 = 83,472 params; 8,464 / 83,472 = 0.101399
    assert first.share_of_block_params == 0.101399
    # MACs at 56x56: 12,845,056 + 115,605,504 + 51,380,224 + 51,380,224 + SE 8,192
    # = 231,219,200; 8,192 / 231,219,200 = 0.0000354 -> 0.000035
    assert first.share_of_block_macs == 0.000035
    face = costcalc.analyze("zoo:mobilefacenet", baseline="dense").patterns
    gdc = next(p for p in face if p.kind == "global-depthwise-conv")
    # GDC on 512x7x7: C*H*W = 25,088 weights and 25,088 MACs; global average pooling has none
    assert (gdc.params, gdc.macs, gdc.dense_params, gdc.dense_macs) == (25_088, 25_088, 0, 0)
    resnext = costcalc.analyze("zoo:resnext50_32x4d", baseline="dense").patterns
    assert {p.attrs["groups"] for p in resnext} == {32}
    v2 = costcalc.analyze("zoo:shufflenet_v2_x1.0", baseline="dense").patterns
    shuffles = [p for p in v2 if p.kind == "channel-shuffle"]
    assert {p.attrs["groups"] for p in shuffles} == {2}
    assert all(p.macs == 0 and p.bytes > 0 for p in shuffles)  # no MACs, the whole tensor moved


def test_depthwise_saves_far_more_macs_than_bytes():
    pytest.importorskip("torch")
    report = costcalc.analyze("zoo:mobilenet_v1", baseline="dense")
    ds = [p for p in report.patterns if p.kind == "depthwise-separable"]
    mac_saving = sum(p.dense_macs for p in ds) / sum(p.macs for p in ds)
    byte_saving = sum(p.dense_bytes for p in ds) / sum(p.bytes for p in ds)
    assert mac_saving > 8 and byte_saving < 2


def test_group_conv_moves_the_same_activation_bytes_as_dense():
    nodes = [helper.make_node("Conv", ["x", "W"], ["y"], name="gconv", group=4)]
    report = costcalc.analyze(
        model(nodes, {"x": (1, 16, 10, 10)}, ["y"], [weight("W", (32, 4, 1, 1))]), baseline="dense"
    )
    (row,) = report.layers
    # 1x1 group conv 16 -> 32, 4 groups: 32*4 = 128 weights (512 bytes); dense: 32*16 = 512
    # (2,048 bytes). Activations: 16*100*4 = 6,400 read, 32*100*4 = 12,800 written, the same
    assert (row.read_bytes, row.write_bytes) == (6_400 + 512, 12_800)
    assert row.dense_bytes == 6_400 + 2_048 + 12_800
    # 32*100*4 = 12,800 MACs; dense 32*100*16 = 51,200
    assert (row.macs, row.dense_macs) == (12_800, 51_200)


def shuffle_and_se_model():
    """x (1,8,4,4) -> channel shuffle (g=2) -> SE (8 -> 2 -> 8, r = 4)."""
    shape5 = helper.make_tensor("s5", 7, [5], [1, 2, 4, 4, 4])
    shape4 = helper.make_tensor("s4", 7, [4], [1, 8, 4, 4])
    nodes = [
        helper.make_node("Reshape", ["x", "s5"], ["a"], name="r1"),
        helper.make_node("Transpose", ["a"], ["b"], name="t", perm=[0, 2, 1, 3, 4]),
        helper.make_node("Reshape", ["b", "s4"], ["c"], name="r2"),
        helper.make_node("GlobalAveragePool", ["c"], ["p"], name="pool"),
        helper.make_node("Conv", ["p", "W1", "B1"], ["f1"], name="fc1"),
        helper.make_node("Relu", ["f1"], ["f1r"], name="act"),
        helper.make_node("Conv", ["f1r", "W2", "B2"], ["f2"], name="fc2"),
        helper.make_node("Sigmoid", ["f2"], ["g"], name="gate"),
        helper.make_node("Mul", ["c", "g"], ["y"], name="scale"),
    ]
    inits = [weight("W1", (2, 8, 1, 1)), weight("B1", (2,))]
    inits += [weight("W2", (8, 2, 1, 1)), weight("B2", (8,))]
    return model(nodes, {"x": (1, 8, 4, 4)}, ["y"], [*inits, shape5, shape4])


def test_shuffle_and_se_on_a_hand_built_graph():
    report = costcalc.analyze(shuffle_and_se_model(), baseline="dense")
    kinds = {p.kind: p for p in report.patterns}
    shuffle, se = kinds["channel-shuffle"], kinds["squeeze-excitation"]
    assert shuffle.attrs["groups"] == 2 and shuffle.macs == 0
    # the Transpose moves the whole tensor: 128 floats read and written = 1,024 bytes
    assert shuffle.bytes == 1_024
    assert (se.attrs["channels"], se.attrs["squeeze"], se.attrs["reduction"]) == (8, 2, 4)
    # 8*2 + 2 + 2*8 + 8 = 42 params; 16 + 16 = 32 MACs
    assert (se.params, se.macs) == (42, 32)
    assert se.share_of_model_params == 1.0  # the only params of the model
    rows = {r.name: r.pattern for r in report.layers}
    assert rows["t"] == "channel-shuffle#1" and rows["fc1"] == "squeeze-excitation#1"


def test_onnx_and_torch_give_the_same_patterns_and_twin(tmp_path):
    torch = pytest.importorskip("torch")
    from costcalc import zoo

    for name in ("mobilenet_v3_large", "shufflenet_v1_g3"):
        module = zoo.get(name).build().eval()
        path = tmp_path / f"{name}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=False)
        via_torch = costcalc.analyze(f"zoo:{name}", baseline="dense")
        via_onnx = costcalc.analyze(path, baseline="dense")
        assert Counter(p.kind for p in via_torch.patterns) == Counter(
            p.kind for p in via_onnx.patterns
        )
        assert via_torch.totals.dense_macs == via_onnx.totals.dense_macs


def test_json_fields():
    plain = costcalc.analyze(ds_model(8, 16, 3, 5)).to_dict()
    assert plain["patterns"] is None and plain["totals"]["dense_macs"] is None
    data = costcalc.analyze(ds_model(8, 16, 3, 5), baseline="dense").to_dict()
    assert data["patterns"][0]["kind"] == "depthwise-separable"
    assert data["layers"][0]["pattern"] == "depthwise-separable#1"
    # dw 3x3 on 8 channels at 5x5 with groups=1: 25*8*8*9 = 14,400 MACs
    assert data["layers"][0]["dense_macs"] == 14_400
    assert data["layers"][0]["category"] == "conv-depthwise"
    assert data["totals"]["dense_macs"] == 25 * 8 * 16 * 9  # the standard 3x3 8->16: 28,800


def test_gdc_against_global_average_pooling_on_a_hand_built_graph():
    nodes = [helper.make_node("Conv", ["x", "W"], ["y"], name="gdc", group=64)]
    proto = model(nodes, {"x": (1, 64, 7, 7)}, ["y"], [weight("W", (64, 1, 7, 7))])
    (pattern,) = costcalc.analyze(proto, baseline="dense").patterns
    assert pattern.kind == "global-depthwise-conv" and pattern.baseline == "global average pooling"
    # GDC: C*H*W = 64*7*7 = 3,136 weights and MACs; GAP: none
    assert (pattern.params, pattern.macs, pattern.dense_params, pattern.dense_macs) == (
        3_136, 3_136, 0, 0,
    )  # fmt: skip
    # GAP reads the 64*49*4 = 12,544 input bytes and writes 64*4 = 256
    assert pattern.dense_bytes == 12_800


def test_a_1x1_depthwise_conv_is_no_depthwise_separable_block():
    # depthwise 1x1 (a per-channel scale) then pointwise: there is no KxK conv it replaces
    report = costcalc.analyze(ds_model(8, 16, 1, 5, between=False), baseline="dense")
    assert [p.kind for p in report.patterns] == []


def test_a_strided_pointwise_conv_ends_no_depthwise_separable_block():
    # depthwise 3x3 at 8x8, then a 1x1 conv with stride 2 (a resampling, not the pair
    # that factorises one 3x3 conv): no pattern, and the model's twin is only the
    # depthwise conv's groups=1 version: 64*8*8*9 = 36,864 dense MACs for it
    nodes = [
        helper.make_node("Conv", ["x", "Wd"], ["d"], name="dw", group=8, pads=[1] * 4),
        helper.make_node("Conv", ["d", "Wp"], ["y"], name="pw", strides=[2, 2]),
    ]
    inits = [weight("Wd", (8, 1, 3, 3)), weight("Wp", (16, 8, 1, 1))]
    report = costcalc.analyze(model(nodes, {"x": (1, 8, 8, 8)}, ["y"], inits), baseline="dense")
    assert report.patterns == []
    # actual: dw 64*8*9 = 4,608 + pw 16*16*8 = 2,048; twin: 36,864 + 2,048 = 38,912
    assert (report.totals.macs, report.totals.dense_macs) == (6_656, 38_912)
