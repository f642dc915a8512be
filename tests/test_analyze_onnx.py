"""End-to-end analysis of ONNX models: totals, symbolic dims, external data, invariants."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import helper

import costcalc
from costcalc.errors import InputSpecError, InvalidModelError, ShapeError
from costcalc.examples.mobilenet_onnx import build_mobilenet_v1
from costcalc.report import Report
from tests.onnx_models import (
    conv_bn_relu_model,
    custom_op_model,
    model,
    shared_weight_model,
    weight,
)


@pytest.fixture(scope="module")
def mobilenet() -> onnx.ModelProto:
    return build_mobilenet_v1(seed=None)


@pytest.fixture(scope="module")
def mobilenet_report(mobilenet) -> Report:
    return costcalc.analyze(mobilenet, dims={"N": 1})


def test_conv_bn_relu_counts():
    report = costcalc.analyze(conv_bn_relu_model())
    conv, bn, relu = report.layers
    # conv: 8*10*10*3*9 = 21,600 MACs; weights 8*3*9 = 216
    assert (conv.macs, conv.params) == (21_600, 216)
    # BN: scale and shift are params (8 + 8 = 16); running mean/var are buffers
    assert bn.params == 16
    # BN: 2 FLOPs per element (folded scale and shift) on 8*10*10 = 800 elements = 1,600
    assert bn.flops == 1_600
    # Relu: 1 FLOP per element = 800
    assert relu.flops == 800
    # totals: 2*21,600 + 1,600 + 800 = 45,600 FLOPs; params 216 + 16 = 232
    assert report.totals.flops == 45_600
    assert report.totals.params == 232
    # bytes, fp32: conv reads x 3*10*10*4 = 1,200 and W 216*4 = 864, writes 800*4 = 3,200
    assert (conv.read_bytes, conv.write_bytes) == (2_064, 3_200)
    # BN reads c 3,200 + four 8-element vectors 4*32 = 128 -> 3,328
    assert bn.read_bytes == 3_328
    assert report.totals.param_bytes == 232 * 4


def test_dtype_override_changes_bytes_not_counts():
    report = costcalc.analyze(conv_bn_relu_model(), dtype="fp16")
    conv = report.layers[0]
    # fp16 halves every floating tensor: x 600 + W 432 = 1,032 read, 1,600 written
    assert (conv.read_bytes, conv.write_bytes) == (1_032, 1_600)
    assert conv.macs == 21_600
    assert report.totals.param_bytes == 232 * 2


def test_mobilenet_v1_matches_paper(mobilenet_report):
    t = mobilenet_report.totals
    # Conv MACs layer by layer (Table 1 shapes): 567,716,352; FC 1024*1000 = 1,024,000;
    # sum 568,740,352 -> the paper's "569M" (Table 4)
    assert t.macs == 568_740_352
    # conv weights 864 + depthwise 9*4,960 = 44,640 + pointwise 3,139,584; FC 1,025,000;
    # BN scale+shift 2*10,944 = 21,888 -> 4,231,976, the paper's "4.2M"
    assert t.params == 4_231_976
    assert not t.lower_bound
    assert mobilenet_report.unsupported == []


def test_rows_sum_to_totals(mobilenet_report):
    for report in (mobilenet_report, costcalc.analyze(conv_bn_relu_model())):
        t = report.totals
        for field in ("params", "macs", "flops", "read_bytes", "write_bytes"):
            assert sum(getattr(r, field) or 0 for r in report.layers) == getattr(t, field), field


def test_shape_computation_is_folded(mobilenet_report):
    kinds = {r.name: r.kind for r in mobilenet_report.layers}
    # x.view(x.size(0), -1): Shape is free, Gather/Concat on constants fold, Reshape is a view
    assert kinds["/Shape"] == "free"
    assert kinds["/Gather"] == "folded"
    assert kinds["/Concat"] == "folded"
    assert kinds["/Reshape"] == "free"
    fc = next(r for r in mobilenet_report.layers if r.op == "Gemm")
    assert fc.inputs[0] == [1, 1024]


def test_symbolic_batch_needs_a_binding(mobilenet, mobilenet_report):
    with pytest.raises(ShapeError, match="'N'"):
        costcalc.analyze(mobilenet)
    batch4 = costcalc.analyze(mobilenet, dims={"N": 4})
    # MACs scale with the batch: 4 * 568,740,352 = 2,274,961,408; params do not
    assert batch4.totals.macs == 2_274_961_408
    assert batch4.totals.params == mobilenet_report.totals.params


def test_input_override_sets_resolution(mobilenet):
    report = costcalc.analyze(mobilenet, inputs={"input": (1, 3, 112, 112)})
    conv0 = report.layers[0]
    # first conv at 112x112 input, stride 2 -> 56x56: 56*56*32*27 = 2,709,504
    assert conv0.macs == 2_709_504


def test_override_that_contradicts_the_weights_is_rejected(mobilenet):
    # 4 input channels cannot feed the first conv's (32, 3, 3, 3) weight
    with pytest.raises(InvalidModelError, match="does not fit input channels 4"):
        costcalc.analyze(mobilenet, inputs={"input": (1, 4, 224, 224)})


@pytest.mark.parametrize(
    ("inputs", "dims", "message"),
    [
        ({"image": (1, 3, 224, 224)}, None, "no input 'image'"),
        ({"input": (1, 224, 224)}, None, "rank 3"),
        ({"input": (1, 0, 224, 224)}, None, "positive"),
        (None, {"B": 2}, "no dimension named 'B'"),
        (None, {"N": -1}, "positive"),
        (["1xAx224x224"], None, "not a shape"),
    ],
)
def test_bad_overrides_are_rejected(mobilenet, inputs, dims, message):
    with pytest.raises(InputSpecError, match=message):
        costcalc.analyze(mobilenet, inputs=inputs, dims=dims)


def test_shared_initializer_counts_once_in_params_every_use_in_macs():
    report = costcalc.analyze(shared_weight_model())
    first, second = report.layers
    # W is 16*16 = 256 elements, counted once, at its first use
    assert (first.params, second.params, report.totals.params) == (256, 0, 256)
    # each use is 2*16*16 = 512 MACs
    assert (first.macs, second.macs) == (512, 512)


def test_initializer_listed_as_graph_input_is_a_weight():
    proto = model(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], {"x": (3, 5)}, ["y"],
        [weight("W", (5, 7))],
    )  # fmt: skip
    proto.graph.input.append(helper.make_tensor_value_info("W", onnx.TensorProto.FLOAT, [5, 7]))
    report = costcalc.analyze(proto)
    assert list(report.model.inputs) == ["x"]
    # 5*7 = 35 params; 3*5*7 = 105 MACs
    assert (report.totals.params, report.totals.macs) == (35, 105)


def test_unsupported_op_is_listed_and_totals_are_a_lower_bound():
    report = costcalc.analyze(custom_op_model())
    assert report.totals.lower_bound
    ops = {u.op: u for u in report.unsupported}
    assert ops["com.example.Mystery"].nodes == ["custom"]
    custom = report.layers[1]
    assert custom.macs is None and custom.flops is None  # unknown, never 0
    # the node after it has no shape: unresolved, also not counted as 0
    assert report.layers[2].kind == "unresolved"
    assert report.layers[2].flops is None
    # only the first Relu is known: 10 FLOPs
    assert report.totals.flops == 10
    assert any("lower bound" in w for w in report.warnings)


def test_json_round_trip(mobilenet_report):
    text = mobilenet_report.to_json()
    again = Report.from_json(text)
    assert again == mobilenet_report
    assert again.to_json() == text
    data = mobilenet_report.to_dict()
    assert data["schema"] == "costcalc.report/1"
    # analyses not run are null, never 0
    assert data["totals"]["dense_macs"] is None
    assert data["totals"]["est_time_us"] is None
    assert data["patterns"] is None
    assert isinstance(data["totals"]["peak_activation_bytes"], int)  # liveness always runs
    assert data["layers"][0]["dense_params"] is None


def test_dataframe_keeps_exact_integers(mobilenet_report):
    frame = mobilenet_report.to_dataframe()
    assert str(frame["macs"].dtype) == "Int64"
    assert int(frame["macs"].sum()) == 568_740_352


def save_with_external_data(proto: onnx.ModelProto, path, location: str = "weights.data"):
    """Save with every tensor over 64 bytes in ``location`` (as exporters do for weights)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(proto)  # save_model converts the proto it is given in place
    onnx.save_model(
        copy, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
        location=location, size_threshold=64,
    )  # fmt: skip


def test_analyses_with_external_data_file_removed(tmp_path, mobilenet, mobilenet_report):
    path = tmp_path / "m.onnx"
    save_with_external_data(mobilenet, path)
    (tmp_path / "weights.data").unlink()
    report = costcalc.analyze(path, dims={"N": 1})
    assert report.totals.params == mobilenet_report.totals.params
    assert report.totals.macs == mobilenet_report.totals.macs
    assert any("weights.data" in w and "not found" in w for w in report.warnings)


def test_external_data_outside_the_model_folder_is_never_opened(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    secret = tmp_path / "secret.data"
    secret.write_bytes(b"\0" * 4096)
    proto = model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], {"x": (2, 4)}, ["y"],
                  [weight("W", (4, 4))])  # fmt: skip
    path = folder / "m.onnx"
    save_with_external_data(proto, path, location="w.data")
    edited = onnx.load(str(path), load_external_data=False)
    for entry in edited.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = "../secret.data"
    onnx.save_model(edited, str(path))
    # an audit hook records every file Python opens during the analysis
    script = textwrap.dedent(f"""
        import sys, costcalc
        opened = []
        sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == "open" else None)
        report = costcalc.analyze({str(path)!r})
        assert not any("secret" in p for p in opened), opened
        assert report.totals.params == 16, report.totals.params
        assert any("outside the model's folder" in w for w in report.warnings), report.warnings
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_analysing_leaves_the_file_byte_identical(tmp_path, mobilenet):
    path = tmp_path / "m.onnx"
    onnx.save(mobilenet, str(path))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mtime = path.stat().st_mtime_ns
    costcalc.analyze(path, inputs=["input=2x3x96x96"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert path.stat().st_mtime_ns == mtime


def test_model_proto_argument_is_not_modified(mobilenet):
    before = mobilenet.SerializeToString()
    costcalc.analyze(mobilenet, dims={"N": 2})
    assert mobilenet.SerializeToString() == before


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("/features/features.3/conv/conv.0/Conv", "features.3.conv.0"),
        ("/layer1/layer1.0/conv1/Conv", "layer1.0.conv1"),
        ("/features/features.1/conv/conv.0/conv.0.0/Conv", "features.1.conv.0.0"),
        ("/features.1.dw/conv/Conv", "features.1.dw.conv"),
        ("/Reshape", None),
        ("Conv_12", None),
    ],
)
def test_module_path_from_exported_node_names(name, module):
    from costcalc.parsers.onnx import module_of

    assert module_of(name) == module


def test_slice_and_gather_read_only_what_they_select():
    starts, ends, axes = (
        onnx.numpy_helper.from_array(np.array([v], "int64"), n)
        for v, n in ((0, "starts"), (3, "ends"), (1, "axes"))
    )
    nodes = [
        helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["s"], name="slice"),
        helper.make_node("Gather", ["x", "idx"], ["g"], name="gather", axis=0),
    ]
    idx = onnx.numpy_helper.from_array(np.array([1], "int64"), "idx")
    report = costcalc.analyze(model(nodes, {"x": (4, 10)}, ["s", "g"], [starts, ends, axes, idx]))
    sliced, gathered = report.layers
    # x[:, 0:3] of a 4x10 fp32 tensor copies 4*3 = 12 elements: 48 bytes read, 48 written
    assert (sliced.read_bytes, sliced.write_bytes) == (48, 48)
    # x[[1]] copies one row of 10 elements (40 bytes) and reads one int64 index (8 bytes)
    assert (gathered.read_bytes, gathered.write_bytes) == (48, 40)
