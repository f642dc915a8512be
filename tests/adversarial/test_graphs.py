"""Valid but awkward graphs: custom ops, control flow, opset drift, bad groups, zero-size
tensors, quantized ops, narrow dtypes. Each gets a correct report, or one line naming the
node, exit 2."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import costcalc
from costcalc.errors import InvalidModelError
from tests.adversarial.helpers import one_error_line, run, save, scalar, sha256
from tests.onnx_models import conv_model, custom_op_model, model, weight

N = helper.make_node


def ints(name: str, values) -> TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


# ---- custom domain -------------------------------------------------------------------


def test_custom_domain_op_is_listed_and_the_totals_are_a_lower_bound(tmp_path):
    # the API view is in tests/test_analyze_onnx.py; the CLI exits 0 and says so
    path = save(custom_op_model(), tmp_path / "custom.onnx")
    result = run("analyze", path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["unsupported"] == [
        {"op": "Relu", "count": 1, "nodes": ["after"], "reason": "shape unknown"},
        {"op": "com.example.Mystery", "count": 1, "nodes": ["custom"], "reason": "no cost formula"},
    ]
    assert data["totals"]["lower_bound"] is True
    assert data["totals"]["flops"] == 10  # the first Relu only: 1*10 elements
    assert data["layers"][1]["flops"] is None  # never 0
    table = run("analyze", path)
    assert table.exit_code == 0
    assert "lower bound" in table.stdout


# ---- control flow ----------------------------------------------------------------------


def _branch(name: str, op: str, count: int, source: str = "a") -> onnx.GraphProto:
    """``count`` ``op`` nodes in a chain on the outer tensor ``source``."""
    nodes, previous = [], source
    for i in range(count):
        nodes.append(N(op, [previous], [f"{name}_{i}"], name=f"{name}.{i}"))
        previous = f"{name}_{i}"
    out = helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)
    return helper.make_graph(nodes, name, [], [out])


def _if_model(cond_value: bool | None = None) -> onnx.ModelProto:
    """Relu(x) -> If(cond): then one Relu, else two Sigmoids, on the 2x3 tensor a."""
    nodes = [
        N("Relu", ["x"], ["a"], name="relu"),
        N("If", ["cond"], ["b"], name="branch", then_branch=_branch("then", "Relu", 1),
          else_branch=_branch("else", "Sigmoid", 2)),
    ]  # fmt: skip
    inits = [] if cond_value is None else [numpy_helper.from_array(np.array(cond_value), "cond")]
    proto = model(nodes, {"x": (2, 3)}, ["b"], inits)
    if cond_value is None:
        proto.graph.input.append(helper.make_tensor_value_info("cond", TensorProto.BOOL, []))
    return proto


def test_if_is_costed_as_its_most_expensive_branch():
    report = costcalc.analyze(_if_model())
    _relu, branch = report.layers
    # then: one Relu on 2*3 = 6 elements, 6 FLOPs; else: two Sigmoids, 2 * 3 * 6 = 36
    assert (branch.op, branch.category, branch.flops, branch.macs) == ("If", "control flow", 36, 0)
    # the else branch reads and writes 24 bytes per Sigmoid: 48 each way
    assert (branch.read_bytes, branch.write_bytes) == (48, 48)
    assert report.totals.flops == 6 + 36
    assert not report.totals.lower_bound
    assert report.warnings == [
        "If node 'branch': costed as its most expensive branch (FLOPs: min 6, max 36)"
    ]


def test_if_with_a_constant_condition_costs_the_branch_taken():
    then = costcalc.analyze(_if_model(True))
    assert then.layers[1].flops == 6  # the Relu branch
    other = costcalc.analyze(_if_model(False))
    assert other.layers[1].flops == 36  # the two Sigmoids
    assert then.warnings == other.warnings == []


def test_if_branches_share_outer_weights_counted_once():
    # both branches multiply the outer 2x3 tensor by the same 3x4 weight W
    def matmul_branch(name: str) -> onnx.GraphProto:
        out = helper.make_tensor_value_info(f"{name}_y", TensorProto.FLOAT, None)
        return helper.make_graph([N("MatMul", ["x", "W"], [f"{name}_y"], name=f"{name}.mm")],
                                 name, [], [out])  # fmt: skip

    node = N("If", ["cond"], ["y"], name="if", then_branch=matmul_branch("t"),
             else_branch=matmul_branch("e"))  # fmt: skip
    proto = model([node], {"x": (2, 3)}, ["y"], [weight("W", (3, 4))])
    proto.graph.input.append(helper.make_tensor_value_info("cond", TensorProto.BOOL, []))
    report = costcalc.analyze(proto)
    # W: 3*4 = 12 params, once; each branch 2*3*4 = 24 MACs, and the If costs one branch
    assert (report.totals.params, report.totals.macs) == (12, 24)


MEMORY_UNKNOWN = (
    "memory: 1 activation tensor(s) of unknown shape counted as 0 bytes: the peak activation "
    "memory is a lower bound"
)


def _loop_model(trips: int | None, body_cond: str = "pass") -> onnx.ModelProto:
    """Loop over v (init: Relu(x), 2x3): v = v + a per trip."""
    body_inputs = [
        helper.make_tensor_value_info("i", TensorProto.INT64, []),
        helper.make_tensor_value_info("c", TensorProto.BOOL, []),
        helper.make_tensor_value_info("v", TensorProto.FLOAT, [2, 3]),
    ]
    if body_cond == "pass":
        cond_node = N("Identity", ["c"], ["c_out"], name="keep")
    else:  # stop once i reaches 3: the loop may end before its trip count
        cond_node = N("Less", ["i", "three"], ["c_out"], name="stop")
    body_nodes = [cond_node, N("Add", ["v", "a"], ["v_out"], name="acc")]
    body = helper.make_graph(
        body_nodes, "body", body_inputs,
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [2, 3])],
        [ints("three", 3)],
    )  # fmt: skip
    nodes = [N("Relu", ["x"], ["a"], name="relu"),
             N("Loop", ["M", "cond", "a"], ["v_final"], name="loop", body=body)]  # fmt: skip
    inits = [numpy_helper.from_array(np.array(True), "cond")]
    if trips is not None:
        inits.append(ints("M", trips))
    proto = model(nodes, {"x": (2, 3)}, ["v_final"], inits)
    if trips is None:
        proto.graph.input.append(helper.make_tensor_value_info("M", TensorProto.INT64, []))
    return proto


def test_loop_with_a_constant_trip_count_is_body_times_trips():
    report = costcalc.analyze(_loop_model(5))
    loop = report.layers[1]
    # body: one Add of 2*3 = 6 FLOPs, reading 24 + 24 bytes, writing 24; 5 trips
    assert (loop.op, loop.flops, loop.read_bytes, loop.write_bytes) == ("Loop", 30, 240, 120)
    # a for-loop (the condition passes through unchanged): no warning about the count.
    # onnx does not infer the shape of a loop-carried output, so liveness says so
    assert report.warnings == [MEMORY_UNKNOWN]
    assert not report.totals.lower_bound


def test_loop_that_may_exit_early_is_an_upper_bound_with_a_warning():
    report = costcalc.analyze(_loop_model(5, body_cond="stop"))
    # 5 trips of the Add (6 FLOPs) and the Less (1 FLOP on a scalar): 35
    assert report.layers[1].flops == 35
    assert report.warnings == [
        "Loop node 'loop': costed as 5 trips; its condition may end it sooner (an upper bound)",
        MEMORY_UNKNOWN,
    ]


def test_loop_without_a_constant_trip_count_is_listed_never_zero():
    report = costcalc.analyze(_loop_model(None))
    loop = report.layers[1]
    assert (loop.kind, loop.flops, loop.macs) == ("unsupported", None, None)
    assert [(u.op, u.reason, u.nodes) for u in report.unsupported] == [
        ("Loop", "trip count unknown", ["loop"])
    ]
    assert report.totals.lower_bound
    assert report.totals.flops == 6  # the Relu before it


def test_scan_is_body_times_the_scan_length():
    body = helper.make_graph(
        [N("Add", ["s", "row"], ["s_next"], name="acc"), N("Identity", ["s_next"], ["out"],
                                                             name="emit")],
        "body",
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("row", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("s_next", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("out", TensorProto.FLOAT, [3])],
    )  # fmt: skip
    node = N("Scan", ["init", "x"], ["final", "rows"], name="scan", body=body, num_scan_inputs=1)
    proto = model([node], {"x": (4, 3)}, ["final", "rows"],
                  [numpy_helper.from_array(np.zeros(3, np.float32), "init")])  # fmt: skip
    report = costcalc.analyze(proto)
    # 4 rows scanned; each an Add of 3 elements: 4 * 3 = 12 FLOPs
    assert report.layers[0].flops == 12


def test_nested_control_flow():
    # an If whose then branch holds the 5-trip Loop of _loop_model (30 FLOPs)
    loop = _loop_model(5)
    loop_node = loop.graph.node[1]
    then = helper.make_graph([loop_node], "then", [],
                             [helper.make_tensor_value_info("v_final", TensorProto.FLOAT, None)],
                             list(loop.graph.initializer))  # fmt: skip
    proto = model([N("Relu", ["x"], ["a"], name="relu"),
                   N("If", ["cond_if"], ["y"], name="if", then_branch=then,
                     else_branch=_branch("else", "Relu", 1))],
                  {"x": (2, 3)}, ["y"])  # fmt: skip
    proto.graph.input.append(helper.make_tensor_value_info("cond_if", TensorProto.BOOL, []))
    report = costcalc.analyze(proto)
    # max(30, 6) = 30
    assert report.layers[1].flops == 30


# ---- opset drift -----------------------------------------------------------------------

X = {"x": (2, 4, 6)}  # 48 fp32 elements, 192 bytes

DRIFT_OK = [
    # Split: attribute until opset 13, input from 13, num_outputs from 18
    ("split-11-attr", 11, [N("Split", ["x"], ["a", "b"], name="n", axis=1, split=[1, 3])], []),
    ("split-13-input", 13, [N("Split", ["x", "s"], ["a", "b"], name="n", axis=1)],
     [ints("s", [1, 3])]),
    ("split-18-num", 18, [N("Split", ["x"], ["a", "b"], name="n", axis=1, num_outputs=2)], []),
    # Squeeze/Unsqueeze: attribute until 13, input from 13
    ("squeeze-11-attr", 11, [N("Unsqueeze", ["x"], ["u"], name="u", axes=[0]),
                             N("Squeeze", ["u"], ["a"], name="n", axes=[0])], []),
    ("squeeze-13-input", 13, [N("Unsqueeze", ["x", "ax"], ["u"], name="u"),
                              N("Squeeze", ["u", "ax"], ["a"], name="n")], [ints("ax", [0])]),
    # ReduceSum: attribute until 13, input from 13 (the other reductions from 18)
    ("reducesum-11-attr", 11, [N("ReduceSum", ["x"], ["a"], name="n", axes=[1])], []),
    ("reducesum-13-input", 13, [N("ReduceSum", ["x", "ax"], ["a"], name="n")],
     [ints("ax", [1])]),
    # Clip: min/max attributes until 11, inputs from 11
    ("clip-6-attr", 6, [N("Clip", ["x"], ["a"], name="n", min=0.0, max=6.0)], []),
    ("clip-11-input", 11, [N("Clip", ["x", "lo", "hi"], ["a"], name="n")],
     [scalar("lo", 0.0), scalar("hi", 6.0)]),
    # Pad: pads attribute until 11, input from 11, axes input from 18
    ("pad-2-attr", 2, [N("Pad", ["x"], ["a"], name="n", pads=[0, 0, 1, 0, 0, 1])], []),
    ("pad-18-axes", 18, [N("Pad", ["x", "p", "", "ax"], ["a"], name="n")],
     [ints("p", [1, 1]), ints("ax", [2])]),
]  # fmt: skip


@pytest.mark.parametrize(("opset", "nodes", "inits"), [c[1:] for c in DRIFT_OK],
                         ids=[c[0] for c in DRIFT_OK])  # fmt: skip
def test_each_form_is_valid_at_its_own_opset(opset, nodes, inits):
    outputs = [o for o in nodes[-1].output]
    report = costcalc.analyze(model(nodes, X, outputs, inits, opset=opset))
    assert not report.unsupported
    last = report.layers[-1]
    if last.op == "Split":  # reads the 192 bytes of x, writes them in two parts
        assert (last.read_bytes, last.write_bytes) == (192, 192)
    elif last.op == "ReduceSum":  # one add per element of x: 48
        assert last.outputs == [[2, 1, 6]] and last.flops == 48
    elif last.op == "Clip":  # min and max per element: 2 * 48 = 96
        assert last.flops == 96
    elif last.op == "Pad":  # one column each side of the last axis: 2*4*8 fp32 = 256 bytes
        assert last.outputs == [[2, 4, 8]] and last.write_bytes == 256
    else:  # Squeeze back to x's shape, free
        assert last.outputs == [[2, 4, 6]] and last.kind == "free"


DRIFT_BAD = [
    ("split-13-attr", 13, N("Split", ["x"], ["a", "b"], name="n", axis=1, split=[1, 3]), [],
     "Unrecognized attribute: split for operator Split"),
    ("split-11-input", 11, N("Split", ["x", "s"], ["a", "b"], name="n", axis=1),
     [ints("s", [1, 3])],
     "Node(n) with schema(::Split:11) has input size 2 not in range [min=1, max=1]."),
    ("squeeze-13-attr", 13, N("Squeeze", ["x"], ["a"], name="n", axes=[0]), [],
     "Unrecognized attribute: axes for operator Squeeze"),
    ("unsqueeze-11-input", 11, N("Unsqueeze", ["x", "ax"], ["a"], name="n"), [ints("ax", [0])],
     "Node(n) with schema(::Unsqueeze:11) has input size 2 not in range [min=1, max=1]."),
    ("reducesum-13-attr", 13, N("ReduceSum", ["x"], ["a"], name="n", axes=[1]), [],
     "Unrecognized attribute: axes for operator ReduceSum"),
    ("reducemean-18-attr", 18, N("ReduceMean", ["x"], ["a"], name="n", axes=[1]), [],
     "Unrecognized attribute: axes for operator ReduceMean"),
    ("clip-11-attr", 11, N("Clip", ["x"], ["a"], name="n", min=0.0, max=6.0), [],
     "Unrecognized attribute: max for operator Clip"),
    ("pad-11-attr", 11, N("Pad", ["x"], ["a"], name="n", pads=[0, 0, 1, 0, 0, 1]), [],
     "Node(n) with schema(::Pad:11) has input size 1 not in range [min=2, max=3]."),
    ("gelu-17", 17, N("Gelu", ["x"], ["a"], name="n"), [],
     "No Op registered for Gelu with domain_version of 17"),
]  # fmt: skip


@pytest.mark.parametrize(("opset", "node", "inits", "reason"), [c[1:] for c in DRIFT_BAD],
                         ids=[c[0] for c in DRIFT_BAD])  # fmt: skip
def test_a_form_from_another_opset_is_rejected_naming_node_and_opset(
    tmp_path, opset, node, inits, reason
):
    path = save(model([node], X, list(node.output), inits, opset=opset), tmp_path / "m.onnx")
    before = sha256(path)
    assert one_error_line(run("analyze", path)) == (
        f"costcalc: error: node 'n' ({node.op_type}) is invalid for opset {opset} of ai.onnx: "
        f"{reason}"
    )
    assert sha256(path) == before


def test_resize_forms_across_opsets():
    x = {"x": (1, 2, 3, 3)}
    scales = scalar("sc", [1, 1, 2, 2])
    # opset 10: (X, scales); opset 11+: (X, roi, scales)
    for opset, inputs in ((10, ["x", "sc"]), (13, ["x", "", "sc"])):
        report = costcalc.analyze(model([N("Resize", inputs, ["y"], name="n")], x, ["y"],
                                        [scales], opset=opset))  # fmt: skip
        # nearest: 0 FLOPs; writes 1*2*6*6 fp32 = 288 bytes
        assert report.layers[0].outputs == [[1, 2, 6, 6]] and report.layers[0].write_bytes == 288
    with pytest.raises(InvalidModelError, match="schema\\(::Resize:10\\) has input size 3"):
        costcalc.analyze(model([N("Resize", ["x", "roi", "sc"], ["y"], name="n")], x, ["y"],
                               [scalar("roi", []), scales], opset=10))  # fmt: skip


# ---- conv groups, zero-size tensors ----------------------------------------------------


def test_conv_groups_not_dividing_the_channels(tmp_path):
    # 6 input channels in 4 groups
    path = save(conv_model((1, 6, 8, 8), (4, 2, 3, 3), group=4), tmp_path / "conv.onnx")
    assert one_error_line(run("analyze", path)) == (
        "costcalc: error: Conv node 'layer': group=4 does not divide input channels 6 and "
        "output channels 4"
    )


def test_zero_size_tensors_cost_zero_and_are_not_unknown():
    starts, ends, axes = ints("st", [2]), ints("en", [2]), ints("ax", [1])
    nodes = [
        N("Slice", ["x", "st", "en", "ax"], ["s"], name="slice"),  # x[:, 2:2]: 4x0
        N("Relu", ["s"], ["r"], name="relu"),
        N("MatMul", ["s", "W"], ["y"], name="mm"),  # (4, 0) @ (0, 5): K = 0
        N("ReduceSum", ["s", "one"], ["total"], name="sum", keepdims=0),
    ]
    inits = [starts, ends, axes, weight("W", (0, 5)), ints("one", [1])]
    report = costcalc.analyze(model(nodes, {"x": (4, 10)}, ["r", "y", "total"], inits))
    by_name = {r.name: r for r in report.layers}
    assert by_name["slice"].outputs == [[4, 0]]
    assert (by_name["slice"].read_bytes, by_name["slice"].write_bytes) == (0, 0)
    assert (by_name["relu"].kind, by_name["relu"].flops) == ("compute", 0)
    # no products to accumulate, but the 4x5 result (of zeros) is written: 80 bytes
    assert (by_name["mm"].macs, by_name["mm"].write_bytes) == (0, 80)
    # summing an empty axis: 0 adds, 4 outputs written (16 bytes)
    assert (by_name["sum"].flops, by_name["sum"].write_bytes) == (0, 16)
    assert report.unsupported == [] and not report.totals.lower_bound


def test_a_declared_zero_size_input_is_valid():
    report = costcalc.analyze(model([N("Relu", ["x"], ["y"], name="r")], {"x": (0, 3)}, ["y"]))
    assert (report.layers[0].kind, report.layers[0].flops) == ("compute", 0)
    assert report.model.inputs == {"x": [0, 3]}


# ---- quantized ops ---------------------------------------------------------------------


def _u8(name, value):
    return scalar(name, value, np.uint8)


def test_qlinearconv():
    inits = [
        scalar("xs", 0.1),
        _u8("xz", 0),
        numpy_helper.from_array(np.zeros((4, 2, 3, 3), np.int8), "W"),
        scalar("ws", 0.1),
        scalar("wz", 0, np.int8),
        scalar("ys", 0.2),
        _u8("yz", 0),
        numpy_helper.from_array(np.zeros(4, np.int32), "B"),
    ]
    node = N("QLinearConv", ["x", "xs", "xz", "W", "ws", "wz", "ys", "yz", "B"], ["y"],
             name="qconv", pads=[1, 1, 1, 1])  # fmt: skip
    report = costcalc.analyze(model([node], {"x": (1, 2, 5, 5)}, ["y"], inits,
                                    elem_type=TensorProto.UINT8))  # fmt: skip
    row = report.layers[0]
    # 3x3 conv 2 -> 4 on 5x5, pad 1: 4*25*2*9 = 1,800 integer MACs
    assert (row.macs, row.category) == (1_800, "conv-dense")
    # 2*1,800 + per output (100): bias add 1 + requantize 5 = 3,600 + 600 = 4,200
    assert row.flops == 4_200
    # params: W 4*2*9 = 72 int8 + B 4 int32; bytes 72 + 16 = 88
    assert (row.params, report.totals.param_bytes) == (76, 88)
    # reads x 50 uint8 + W 72 + B 16 + scales 3*4 + zero points 3*1 = 153; writes 100
    assert (row.read_bytes, row.write_bytes) == (153, 100)


def test_convinteger_and_matmulinteger():
    w = numpy_helper.from_array(np.zeros((4, 2, 3, 3), np.int8), "W")
    conv = costcalc.analyze(
        model(
            [N("ConvInteger", ["x", "W"], ["y"], name="c")],
            {"x": (1, 2, 5, 5)},
            ["y"],
            [w],
            elem_type=TensorProto.INT8,
        )
    )
    # no padding: 3x3 output; 4*9*2*9 = 648 MACs, nothing else; 72 int8 params
    assert (conv.totals.macs, conv.totals.flops, conv.totals.params) == (648, 1_296, 72)
    assert conv.totals.param_bytes == 72
    mm = model([N("MatMulInteger", ["x", "W"], ["y"], name="m")], {"x": (3, 4)}, ["y"],
               [numpy_helper.from_array(np.zeros((4, 5), np.int8), "W")],
               elem_type=TensorProto.INT8)  # fmt: skip
    mm.graph.output[0].type.tensor_type.elem_type = TensorProto.INT32
    report = costcalc.analyze(mm)
    # 3*4*5 = 60 MACs; 20 int8 params, 20 bytes; output 15 int32 = 60 bytes
    assert (report.totals.macs, report.totals.params, report.totals.param_bytes) == (60, 20, 20)
    assert report.layers[0].write_bytes == 60


def test_qlinearmatmul():
    inits = [scalar("as", 0.1), _u8("az", 0), numpy_helper.from_array(
        np.zeros((4, 5), np.uint8), "W"), scalar("bs", 0.1), _u8("bz", 0), scalar("ys", 0.1),
        _u8("yz", 0)]  # fmt: skip
    node = N("QLinearMatMul", ["x", "as", "az", "W", "bs", "bz", "ys", "yz"], ["y"], name="qm")
    report = costcalc.analyze(model([node], {"x": (3, 4)}, ["y"], inits,
                                    elem_type=TensorProto.UINT8))  # fmt: skip
    row = report.layers[0]
    # 3*4*5 = 60 MACs; 2*60 + 5 requantize FLOPs per output (15) = 195
    assert (row.macs, row.flops, row.params, row.category) == (60, 195, 20, "linear")


def test_qdq_model_folds_the_weight_dequantization():
    inits = [scalar("s", 0.1), scalar("z", 0, np.int8),
             numpy_helper.from_array(np.zeros((4, 2, 3, 3), np.int8), "Wq"),
             numpy_helper.from_array(np.ones(4, np.float32), "ws"),
             numpy_helper.from_array(np.zeros(4, np.int8), "wz")]  # fmt: skip
    nodes = [N("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q"),
             N("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="dq"),
             N("DequantizeLinear", ["Wq", "ws", "wz"], ["Wd"], name="dq_w", axis=0),
             N("Conv", ["xd", "Wd"], ["y"], name="conv")]  # fmt: skip
    report = costcalc.analyze(model(nodes, {"x": (1, 2, 5, 5)}, ["y"], inits))
    rows = {r.name: r for r in report.layers}
    assert rows["dq_w"].kind == "folded"  # a per-channel dequantization of a constant
    # quantize 50 elements * 5 = 250 FLOPs; dequantize 50 * 2 = 100
    assert (rows["q"].flops, rows["dq"].flops) == (250, 100)
    # the conv's weight counts once, 72 elements, stored as int8: 72 bytes
    assert (rows["conv"].params, report.totals.param_bytes) == (72, 72)
    assert rows["conv"].macs == 648  # 4*9*2*9, as ConvInteger above


# ---- narrow weight dtypes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "bits"),
    [(TensorProto.FLOAT16, 16), (TensorProto.BFLOAT16, 16), (TensorProto.FLOAT, 32)],
)
def test_float_weight_bytes_from_the_dtype(dtype, bits):
    w = helper.make_tensor("W", dtype, [4, 5], np.zeros(20, np.float32).tolist())
    proto = model([N("MatMul", ["x", "W"], ["y"], name="mm")], {"x": (3, 4)}, ["y"], [w],
                  elem_type=dtype)  # fmt: skip
    report = costcalc.analyze(proto)
    # 20 params of `bits` bits each
    assert (report.totals.params, report.totals.param_bytes) == (20, 20 * bits // 8)


@pytest.mark.parametrize(("dtype", "expected"), [(TensorProto.INT8, 20), (TensorProto.INT4, 10),
                                                 (TensorProto.UINT4, 10)])  # fmt: skip
def test_integer_weights_dequantized_keep_their_stored_bytes(dtype, expected):
    # int8: 20 elements, 20 bytes; int4/uint4: two per byte, 10 bytes
    w = helper.make_tensor("Wq", dtype, [4, 5], np.zeros(20, np.int8).tolist())
    nodes = [N("DequantizeLinear", ["Wq", "s"], ["W"], name="dq"),
             N("MatMul", ["x", "W"], ["y"], name="mm")]  # fmt: skip
    proto = model(nodes, {"x": (3, 4)}, ["y"], [w, scalar("s", 0.5)], opset=21)
    proto.ir_version = 10  # int4 needs IR 10
    report = costcalc.analyze(proto)
    assert (report.totals.params, report.totals.param_bytes) == (20, expected)
    assert report.totals.macs == 60  # 3*4*5


def test_an_fp16_weight_cast_to_fp32_is_stored_at_fp16():
    nodes = [N("Cast", ["W16"], ["W"], name="cast", to=TensorProto.FLOAT),
             N("MatMul", ["x", "W"], ["y"], name="mm")]  # fmt: skip
    report = costcalc.analyze(
        model(nodes, {"x": (3, 4)}, ["y"], [weight("W16", (4, 5), np.float16)])
    )
    # 20 params stored at 2 bytes each
    assert (report.totals.params, report.totals.param_bytes) == (20, 40)
    # --dtype re-types floating tensors: at int8, 20 bytes
    assert (
        costcalc.analyze(
            model(nodes, {"x": (3, 4)}, ["y"], [weight("W16", (4, 5), np.float16)]), dtype="int8"
        ).totals.param_bytes
        == 20
    )


# ---- pools in ceil mode ----------------------------------------------------------------


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_ceil_mode_pools_drop_a_last_window_that_starts_past_the_input(op):
    # 1x1x4 input, kernel 1, stride 2, ceil mode: windows would start at 0, 2 and 4; the
    # one at 4 lies past the input, and onnxruntime and PyTorch drop it: 2 outputs, where
    # onnx's shape inference says ceil(3 / 2) + 1 = 3. A second such pool on those 2
    # (windows at 0 and 2 -> 1 output) checks the fix reaches downstream nodes.
    ort = pytest.importorskip("onnxruntime")
    nodes = [
        N(op, ["x"], ["y"], name="p1", kernel_shape=[1], strides=[2], pads=[0, 0], ceil_mode=1),
        N(op, ["y"], ["z"], name="p2", kernel_shape=[1], strides=[2], pads=[0, 0], ceil_mode=1),
        N("Relu", ["z"], ["r"], name="relu"),
    ]
    proto = model(nodes, {"x": (1, 1, 4)}, ["y", "z", "r"])
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(proto.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    runtime = [list(a.shape) for a in session.run(None, {"x": np.zeros((1, 1, 4), np.float32)})]
    report = costcalc.analyze(proto)
    assert [r.outputs[0] for r in report.layers] == runtime == [[1, 1, 2], [1, 1, 1], [1, 1, 1]]
    # the Relu sees 1 element: 1 FLOP
    assert report.layers[2].flops == 1
    # an unaffected ceil-mode pool (5 wide, stride 2: windows at 0, 2, 4) keeps 3 outputs
    kept = costcalc.analyze(model([nodes[0]], {"x": (1, 1, 5)}, ["y"]))
    assert kept.layers[0].outputs == [[1, 1, 3]]
