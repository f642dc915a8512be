"""Tests of costcalc.parsers.onnx_shapes: shapes of every tensor, run-time shape arithmetic."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper, shape_inference

from costcalc.errors import CostcalcError
from costcalc.parsers import onnx_chunks, onnx_shapes, shape_eval
from costcalc.parsers.onnx_shapes import ResolvedShapes, ShapeError, resolve_shapes

I64 = np.int64


def _const(name: str, value: Any, dtype: Any = I64) -> onnx.NodeProto:
    return helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype), name)
    )


def _model(
    nodes: Sequence[onnx.NodeProto],
    inputs: dict[str, Sequence[int | str]],
    outputs: Sequence[str],
    initializers: Sequence[onnx.TensorProto] = (),
    opset: int = 17,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        list(nodes),
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        list(initializers),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _shape_ops(prefix: str, src: str, dims: Sequence[int]) -> list[onnx.NodeProto]:
    """TorchScript style: ``{prefix}{d}`` = Unsqueeze(Gather(Shape(src), d)), a 1-element int64."""
    nodes = [helper.make_node("Shape", [src], [f"{prefix}s"]), _const(f"{prefix}ax", [0])]
    for d in dims:
        nodes += [
            _const(f"{prefix}i{d}", d),
            helper.make_node("Gather", [f"{prefix}s", f"{prefix}i{d}"], [f"{prefix}g{d}"]),
            helper.make_node("Unsqueeze", [f"{prefix}g{d}", f"{prefix}ax"], [f"{prefix}{d}"]),
        ]
    return nodes


def _onnx_incomplete(model: onnx.ModelProto) -> set[str]:
    """Tensors whose shape onnx's own inference (data_prop=True) leaves partly unknown."""
    inferred = shape_inference.infer_shapes(model, data_prop=True)
    graph = inferred.graph
    out = set()
    for vi in [*graph.value_info, *graph.output]:
        tt = vi.type.tensor_type
        if not tt.HasField("shape") or any(not d.HasField("dim_value") for d in tt.shape.dim):
            out.add(vi.name)
    return out


def _assert_all_known(res: ResolvedShapes) -> None:
    unknown = {n: s for n, s in res.shapes.items() if s is None or not all(_int(d) for d in s)}
    assert not unknown


def _int(d: object) -> bool:
    return isinstance(d, int)


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(shape_inference, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(shape_inference, name, spy)
    return calls


# --- a plain graph: one inference pass --------------------------------------------------


def test_plain_conv_relu_resolves_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # 64x3x7x7 = 9408 weights > 4096: the payload is stripped before inference.
    weight = numpy_helper.from_array(np.ones((64, 3, 7, 7), np.float32), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[3, 3, 3, 3], strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    model = _model(nodes, {"x": [1, 3, 32, 32]}, ["y"], [weight])
    calls = _count_calls(monkeypatch, "infer_shapes")
    res = resolve_shapes(model)
    assert len(calls) == 1
    # out = floor((32 + 3 + 3 - 7) / 2) + 1 = 16
    assert res.shapes["c"] == res.shapes["y"] == (1, 64, 16, 16)
    assert res.shapes["w"] == (64, 3, 7, 7)
    assert res.dtypes["y"] == TensorProto.FLOAT
    assert "w" not in res.values  # large float weights are never values


# --- hand-built TorchScript-style graphs -------------------------------------------------


def test_reshape_target_from_shape_gather_div_concat() -> None:
    # x: 2x8x6x6 = 576 elements; target = [n, 2, c / 2, -1] = [2, 2, 4, -1] -> -1 = 576/16 = 36
    nodes = [
        *_shape_ops("d", "x", [0, 1]),
        _const("two", [2]),
        helper.make_node("Div", ["d1", "two"], ["half"]),
        _const("minus1", [-1]),
        helper.make_node("Concat", ["d0", "two", "half", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["r"]),
        helper.make_node("Relu", ["r"], ["y"]),
    ]
    model = _model(nodes, {"x": [2, 8, 6, 6]}, ["y"])
    assert {"r", "y"} <= _onnx_incomplete(model)  # onnx's data propagation stops at Div
    res = resolve_shapes(model)
    _assert_all_known(res)
    assert res.shapes["r"] == res.shapes["y"] == (2, 2, 4, 36)
    assert res.values["target"].tolist() == [2, 2, 4, -1]
    assert res.values["target"].dtype == np.int64


def test_channel_split_with_computed_slice_bounds() -> None:
    # ShuffleNetV2 split as torch exports x.chunk(2, dim=1): split = (c + 1) / 2 = 17 / 2 = 8
    # (truncated), ends split * 1 = 8 and split * 2 = 16: two 1x8x8x8 branches, concat 1x16x8x8.
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        _const("i1", [1]),
        helper.make_node("Gather", ["s", "i1"], ["c"]),
        _const("one", [1]),
        _const("two", [2]),
        _const("zero", [0]),
        helper.make_node("Add", ["c", "one"], ["c1"]),
        helper.make_node("Div", ["c1", "two"], ["split"]),
        helper.make_node("Mul", ["split", "one"], ["end0"]),
        helper.make_node("Mul", ["split", "two"], ["end1"]),
        helper.make_node("Slice", ["x", "zero", "end0", "i1"], ["a"]),
        helper.make_node("Slice", ["x", "end0", "end1", "i1"], ["b"]),
        helper.make_node("Relu", ["b"], ["b2"]),
        helper.make_node("Concat", ["a", "b2"], ["y"], axis=1),
    ]
    model = _model(nodes, {"x": [1, 16, 8, 8]}, ["y"])
    assert {"a", "b", "b2", "y"} <= _onnx_incomplete(model)
    res = resolve_shapes(model)
    _assert_all_known(res)
    assert res.shapes["a"] == res.shapes["b2"] == (1, 8, 8, 8)
    assert res.shapes["y"] == (1, 16, 8, 8)
    assert res.values["end1"].tolist() == [16]


def test_pad_amounts_from_computed_chain() -> None:
    # Pad H and W up to a multiple of 8: ph = (8 - 5 % 8) % 8 = 3, pw = (8 - 7 % 8) % 8 = 1,
    # pads [0, 0, 0, 0, 0, 0, 3, 1]: 1x3x5x7 -> 1x3x8x8.
    nodes = [*_shape_ops("d", "x", [2, 3]), _const("eight", [8])]
    for d in (2, 3):
        nodes += [
            helper.make_node("Mod", [f"d{d}", "eight"], [f"m{d}"]),
            helper.make_node("Sub", ["eight", f"m{d}"], [f"r{d}"]),
            helper.make_node("Mod", [f"r{d}", "eight"], [f"p{d}"]),
        ]
    nodes += [
        _const("zeros", [0, 0, 0, 0, 0, 0]),
        helper.make_node("Concat", ["zeros", "p2", "p3"], ["pads"], axis=0),
        helper.make_node("Pad", ["x", "pads"], ["y"]),
    ]
    model = _model(nodes, {"x": [1, 3, 5, 7]}, ["y"])
    assert "y" in _onnx_incomplete(model)
    res = resolve_shapes(model)
    _assert_all_known(res)
    assert res.values["pads"].tolist() == [0, 0, 0, 0, 0, 0, 3, 1]
    assert res.shapes["y"] == (1, 3, 8, 8)


def _shuffle_nodes(src: str, groups: int, out: str) -> list[onnx.NodeProto]:
    """Channel shuffle as TorchScript exports it: view(n, g, c / g, h, w), transpose, view."""
    p = f"{out}_"
    parts = [p + d for d in ("0", "g", "cpg", "2", "3")]  # n, g, c / g, h, w
    t1 = helper.make_node("Concat", parts, [p + "t1"], axis=0)
    return [
        *_shape_ops(p, src, [0, 1, 2, 3]),
        _const(f"{p}g", [groups]),
        _const(f"{p}m1", [-1]),
        helper.make_node("Div", [f"{p}1", f"{p}g"], [f"{p}cpg"]),
        t1,
        helper.make_node("Reshape", [src, f"{p}t1"], [f"{p}r1"]),
        helper.make_node("Transpose", [f"{p}r1"], [f"{p}tr"], perm=[0, 2, 1, 3, 4]),
        helper.make_node("Concat", [f"{p}0", f"{p}m1", f"{p}2", f"{p}3"], [f"{p}t2"], axis=0),
        helper.make_node("Reshape", [f"{p}tr", f"{p}t2"], [out]),
    ]


def test_channel_shuffle_with_computed_shape() -> None:
    # 2x12x4x4, 3 groups: view 2x3x(12/3=4)x4x4, transpose -> 2x4x3x4x4, view(n, -1, h, w):
    # -1 = 2*12*4*4 / (2*4*4) = 12 -> 2x12x4x4.
    model = _model(_shuffle_nodes("x", 3, "y"), {"x": [2, 12, 4, 4]}, ["y"])
    assert {"y_r1", "y_tr", "y"} <= _onnx_incomplete(model)
    res = resolve_shapes(model)
    _assert_all_known(res)
    assert res.shapes["y_r1"] == (2, 3, 4, 4, 4)
    assert res.shapes["y_tr"] == (2, 4, 3, 4, 4)
    assert res.shapes["y"] == (2, 12, 4, 4)


def test_deep_chain_resolves_in_one_inference_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 shuffles in a row, each reading the shape of the previous one: the walk re-infers
    # node by node, so no extra global pass per block is needed.
    nodes, src = [], "x"
    for i in range(30):
        nodes += _shuffle_nodes(src, 2, f"b{i}")
        src = f"b{i}"
    model = _model(nodes, {"x": [1, 8, 2, 2]}, [src])
    calls = _count_calls(monkeypatch, "infer_shapes")
    res = resolve_shapes(model)
    assert len(calls) == 1
    _assert_all_known(res)
    assert res.shapes["b29"] == (1, 8, 2, 2)
    assert res.shapes["b29_r1"] == (1, 2, 4, 2, 2)  # 8 channels in 2 groups of 8/2 = 4


# Each chain computes k from c = x.shape[1] = 8 and reshapes x (2x8x6x6 = 576) to [k, -1].
_MISSED = {
    # 8 / 2 = 4 -> (4, 576/4 = 144)
    "Div": ([helper.make_node("Div", ["c", "two"], ["k"])], (4, 144)),
    # 8 % 3 = 2 -> (2, 288)
    "Mod": ([_const("three", [3]), helper.make_node("Mod", ["c", "three"], ["k"])], (2, 288)),
    # torch's "-1 means keep": Where(c == -1, 1, c) = 8 -> (8, 72)
    "Where": (
        [
            _const("m1", [-1]),
            _const("one", [1]),
            helper.make_node("Equal", ["c", "m1"], ["eq"]),
            helper.make_node("Where", ["eq", "one", "c"], ["k"]),
        ],
        (8, 72),
    ),
    # prod(shape[1:3]) = 8 * 6 = 48 -> (48, 12)
    "ReduceProd": (
        [
            _const("i12", [1, 2]),
            helper.make_node("Gather", ["s", "i12"], ["hw"]),
            helper.make_node("ReduceProd", ["hw"], ["k"], keepdims=1),
        ],
        (48, 12),
    ),
    # floor(sqrt(8.0)) = 2 -> (2, 288)
    "Sqrt/Floor": (
        [
            helper.make_node("Cast", ["c"], ["cf"], to=TensorProto.FLOAT),
            helper.make_node("Sqrt", ["cf"], ["sq"]),
            helper.make_node("Floor", ["sq"], ["fl"]),
            helper.make_node("Cast", ["fl"], ["k"], to=TensorProto.INT64),
        ],
        (2, 288),
    ),
    # shape(range(0, 8, 1)) = [8] -> (8, 72)
    "Range": (
        [
            _const("zero", 0),
            _const("one", 1),
            _const("i0", 0),
            helper.make_node("Gather", ["c", "i0"], ["c0"]),
            helper.make_node("Range", ["zero", "c0", "one"], ["rg"]),
            helper.make_node("Shape", ["rg"], ["k"]),
        ],
        (8, 72),
    ),
    # not in the numpy fast path, so onnx's reference evaluator (multi-output Split at opset 17):
    # split(shape[1:3] = [8, 6]) -> [8], [6]; k = 8 -> (8, 72)
    "Split": (
        [
            _const("i12", [1, 2]),
            helper.make_node("Gather", ["s", "i12"], ["hw"]),
            _const("ones", [1, 1]),
            helper.make_node("Split", ["hw", "ones"], ["k", "w"], axis=0),
        ],
        (8, 72),
    ),
    # size(x) = 576 -> (576, 1)
    "Size": (
        [
            helper.make_node("Size", ["x"], ["n"]),
            _const("ax", [0]),
            helper.make_node("Unsqueeze", ["n", "ax"], ["k"]),
        ],
        (576, 1),
    ),
}


@pytest.mark.parametrize("op", sorted(_MISSED))
def test_shape_arithmetic_onnx_data_prop_misses(op: str) -> None:
    chain, expected = _MISSED[op]
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        _const("i1", [1]),
        helper.make_node("Gather", ["s", "i1"], ["c"]),
        _const("two", [2]),
        _const("minus1", [-1]),
        *chain,
        helper.make_node("Concat", ["k", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    model = _model(nodes, {"x": [2, 8, 6, 6]}, ["y"])
    assert "y" in _onnx_incomplete(model)
    res = resolve_shapes(model)
    _assert_all_known(res)
    assert res.shapes["y"] == expected


def test_learnt_values_feed_a_bounded_rerun_of_inference(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shuffle needs the walk (Div); NonZero's length stays unknown whatever is learnt, so
    # inference reruns once on the copy with Constants and learnt value_info, then stops.
    nodes = [*_shuffle_nodes("x", 3, "s"), helper.make_node("NonZero", ["s"], ["nz"])]
    model = _model(nodes, {"x": [2, 12, 4, 4]}, ["nz"])
    before = model.SerializeToString()
    calls = _count_calls(monkeypatch, "infer_shapes")
    res = resolve_shapes(model)
    assert len(calls) == 2
    assert model.SerializeToString() == before  # the rewrite happened on a private copy
    assert res.shapes["s"] == (2, 12, 4, 4)
    assert res.shapes["nz"] == (4, None)  # rank 4 x data-dependent count


# --- symbols -----------------------------------------------------------------------------


def test_symbolic_batch_stays_a_symbol() -> None:
    # Nothing binds N: it survives the shuffle; view(n, -1, h, w) cancels N against N.
    nodes = [helper.make_node("Relu", ["x"], ["a"]), *_shuffle_nodes("a", 3, "y")]
    model = _model(nodes, {"x": ["N", 12, 4, 4]}, ["y"])
    res = resolve_shapes(model)
    assert res.shapes["a"] == ("N", 12, 4, 4)
    assert res.shapes["y_r1"] == ("N", 3, 4, 4, 4)
    assert res.shapes["y_tr"] == ("N", 4, 3, 4, 4)
    assert res.shapes["y"] == ("N", 12, 4, 4)
    assert "y_0" not in res.values  # the batch is not a known value
    assert res.values["y_cpg"].tolist() == [4]  # but the channels per group are


def test_unbound_dims_are_none_not_generated_symbols() -> None:
    # NonZero's output length depends on the data: onnx invents a symbol, reported as None.
    nodes = [helper.make_node("NonZero", ["x"], ["y"])]
    res = resolve_shapes(_model(nodes, {"x": [2, 3]}, ["y"]))
    assert res.shapes["y"] == (2, None)


# --- the caller's model, inference variants, errors ---------------------------------------


def _shuffle_with_weights() -> onnx.ModelProto:
    weight = numpy_helper.from_array(np.ones((12, 12, 7, 7), np.float32), "w")  # 7056 > 4096
    target = numpy_helper.from_array(np.array([0, -1], I64), "flat")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[3, 3, 3, 3]),
        *_shuffle_nodes("c", 3, "s"),
        helper.make_node("Reshape", ["s", "flat"], ["y"]),
    ]
    model = _model(nodes, {"x": [2, 12, 4, 4]}, ["y"], [weight, target])
    # stale declarations, e.g. from an export at batch 1 before the input was overridden
    stale_c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 12, 4, 4])
    model.graph.value_info.append(stale_c)
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 192]))
    return model


def test_callers_model_is_not_modified() -> None:
    model = _shuffle_with_weights()
    before = model.SerializeToString()
    res = resolve_shapes(model)
    assert model.SerializeToString() == before
    _assert_all_known(res)
    # stale declared shapes do not win: 2x12x4x4 flattened to [0, -1] = 2 x 192
    assert res.shapes["c"] == (2, 12, 4, 4)
    assert res.shapes["y"] == (2, 192)
    assert res.values["flat"].tolist() == [0, -1]  # small integer initializer kept
    assert "w" not in res.values and res.shapes["w"] == (12, 12, 7, 7)


def test_lowered_inline_limit_uses_path_based_inference(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _shuffle_with_weights()
    expected = resolve_shapes(model)
    in_memory = _count_calls(monkeypatch, "infer_shapes")
    by_path = _count_calls(monkeypatch, "infer_shapes_path")
    before = model.SerializeToString()
    res = resolve_shapes(model, inline_limit=1)
    assert by_path and not in_memory
    assert res.shapes == expected.shapes
    assert res.dtypes == expected.dtypes
    assert model.SerializeToString() == before


def test_inference_error_becomes_shape_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise shape_inference.InferenceError("[ShapeInferenceError] boom")

    monkeypatch.setattr(shape_inference, "infer_shapes", fail)
    with pytest.raises(ShapeError, match=r"shape inference failed.*boom"):
        resolve_shapes(_model([helper.make_node("Relu", ["x"], ["y"])], {"x": [1]}, ["y"]))
    assert issubclass(ShapeError, CostcalcError)


def test_graph_input_values_are_never_known() -> None:
    # "shape" is a run-time graph input: its value is data. Shape(x) of the fully known
    # input x is known.
    nodes = [
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
        helper.make_node("Shape", ["x"], ["sx"]),
    ]
    model = _model(nodes, {"x": [2, 3, 4]}, ["y"])
    model.graph.input.append(helper.make_tensor_value_info("shape", TensorProto.INT64, [2]))
    res = resolve_shapes(model)
    assert "shape" not in res.values
    assert res.values["sx"].tolist() == [2, 3, 4]


def test_initializers_listed_as_graph_inputs_are_constants() -> None:
    # exporters with keep_initializers_as_inputs list every initializer as an input too;
    # those are weights and shape constants, so Reshape's target [4, 6] is known
    shape_default = numpy_helper.from_array(np.array([4, 6], I64), "shape")
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"])]
    model = _model(nodes, {"x": [2, 3, 4]}, ["y"], [shape_default])
    model.graph.input.append(helper.make_tensor_value_info("shape", TensorProto.INT64, [2]))
    res = resolve_shapes(model)
    assert res.values["shape"].tolist() == [4, 6]
    # 2*3*4 = 24 elements reshaped to 4x6
    assert res.shapes["y"] == (4, 6)


def test_subgraphs_are_not_walked_but_their_inferred_shapes_are_kept() -> None:
    def branch(name: str) -> onnx.GraphProto:
        out = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, None)
        relu = helper.make_node("Relu", ["a"], [f"{name}_out"])
        return helper.make_graph([relu], name, [], [out])

    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("If", ["cond"], ["b"], then_branch=branch("t"), else_branch=branch("e")),
        helper.make_node("Shape", ["b"], ["sb"]),
        helper.make_node("Relu", ["a"], ["y"]),
    ]
    model = _model(nodes, {"x": [2, 3]}, ["y", "b"])
    model.graph.input.append(helper.make_tensor_value_info("cond", TensorProto.BOOL, []))
    res = resolve_shapes(model)
    assert res.shapes["y"] == (2, 3)
    assert "b" in res.shapes
    # the branches are not walked, but the shapes onnx inferred inside them are kept
    # (for costing each branch): Relu of the 2x3 tensor a
    assert res.shapes["t_out"] == res.shapes["e_out"] == (2, 3)


def test_old_opset_unsqueeze_axes_attribute() -> None:
    # opset 11: Unsqueeze/Squeeze take axes as attributes. target [2, 8 / 2 = 4, -1 = 36]
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        _const("i0", 0),
        _const("i1", 1),
        _const("two", 2),
        helper.make_node("Gather", ["s", "i0"], ["n"]),
        helper.make_node("Gather", ["s", "i1"], ["c"]),
        helper.make_node("Div", ["c", "two"], ["h"]),
        helper.make_node("Unsqueeze", ["n"], ["un"], axes=[0]),
        helper.make_node("Unsqueeze", ["h"], ["uh"], axes=[0]),
        _const("m1", [-1]),
        helper.make_node("Concat", ["un", "uh", "m1"], ["t"], axis=0),
        helper.make_node("Reshape", ["x", "t"], ["y"]),
    ]
    res = resolve_shapes(_model(nodes, {"x": [2, 8, 6, 6]}, ["y"], opset=11))
    assert res.shapes["y"] == (2, 4, 72)  # 576 / (2 * 4) = 72


# --- the numpy fast path agrees with onnx's reference evaluator --------------------------


_FAST_CASES = [
    ("Div", [np.array([-7, 7, 9], I64), np.array([2, -2, 4], I64)], {}, 17),
    ("Mod", [np.array([-7, 7], I64), np.array([3, -3], I64)], {}, 17),
    ("Mod", [np.array([-7, 7], I64), np.array([3, -3], I64)], {"fmod": 1}, 17),
    ("Gather", [np.array([5, 6, 7], I64), np.array(-1, I64)], {"axis": 0}, 17),
    ("Slice", [np.arange(6, dtype=I64), np.array([-4], I64), np.array([2**62], I64)], {}, 17),
    (
        "Slice",
        [
            np.arange(6, dtype=I64),
            np.array([1], I64),
            np.array([5], I64),
            np.array([0], I64),
            np.array([2], I64),
        ],
        {},
        17,
    ),
    ("Unsqueeze", [np.array(3, I64)], {"axes": [0]}, 11),
    ("Unsqueeze", [np.array([3], I64), np.array([-1], I64)], {}, 13),
    ("Squeeze", [np.array([[3]], I64)], {"axes": [1]}, 11),
    ("Squeeze", [np.array([[3]], I64)], {}, 13),
    ("Concat", [np.array([1], I64), np.array([2, 3], I64)], {"axis": 0}, 17),
    ("Cast", [np.array([2.7, -2.7], np.float32)], {"to": TensorProto.INT64}, 17),
    ("Reshape", [np.arange(6, dtype=I64), np.array([0, -1], I64)], {}, 17),
    ("ReduceProd", [np.array([2, 3, 4], I64)], {"keepdims": 0}, 17),
    ("ReduceSum", [np.array([[2, 3], [4, 5]], I64), np.array([1], I64)], {}, 17),
    ("Range", [np.array(1, I64), np.array(10, I64), np.array(3, I64)], {}, 17),
    ("Where", [np.array([True, False]), np.array([1, 1], I64), np.array([5, 6], I64)], {}, 17),
    ("Expand", [np.array([[1], [2]], I64), np.array([1, 3], I64)], {}, 17),
    (
        "ConstantOfShape",
        [np.array([2], I64)],
        {"value": numpy_helper.from_array(np.array([7], I64))},
        17,
    ),
    ("Floor", [np.array([2.5, -2.5], np.float32)], {}, 17),
    ("Sqrt", [np.array([8.0], np.float32)], {}, 17),
    ("Neg", [np.array([3], I64)], {}, 17),
    ("Max", [np.array([3, 1], I64), np.array([2, 2], I64)], {}, 17),
]


@pytest.mark.parametrize(("op", "args", "attrs", "opset"), _FAST_CASES)
def test_fast_path_matches_reference_evaluator(
    op: str, args: list[np.ndarray], attrs: dict[str, Any], opset: int
) -> None:
    names = [f"in{i}" for i in range(len(args))]
    node = helper.make_node(op, names, ["out"], **attrs)
    expected = shape_eval.reference_eval(node, args, opset)[0]
    got = np.asarray(shape_eval.FAST[op](onnx_shapes._attrs(node), args))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


# --- a real TorchScript export -----------------------------------------------------------


def _export_tiny(tmp_path: Any) -> onnx.ModelProto:
    torch = pytest.importorskip("torch")
    nn, functional = torch.nn, torch.nn.functional

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.branch = nn.Conv2d(4, 4, 1)
            self.fc = nn.Linear(8 * 3 * 3, 10)

        def forward(self, x: Any) -> Any:
            x = self.stem(x)
            a, b = x.chunk(2, dim=1)  # ShuffleNetV2 channel split
            x = torch.cat([a, self.branch(b)], 1)
            n, c, h, w = x.shape
            x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)  # shuffle
            pad = (8 - h % 8) % 8 + 1
            x = functional.pad(x, (0, pad, 0, pad))
            x = functional.avg_pool2d(x, 3)
            return self.fc(x.view(x.size(0), -1))

    path = tmp_path / "tiny.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Tiny().eval(),
            (torch.randn(2, 3, 6, 6),),
            str(path),
            dynamo=False,  # the legacy TorchScript exporter, still in torch 2.13
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
        )
    return onnx.load(str(path), load_external_data=False)


@pytest.mark.parametrize("piece", [None, 3], ids=["whole", "in-pieces-of-3"])
def test_real_torchscript_export_resolves_and_matches_onnxruntime(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, piece: int | None
) -> None:
    ort = pytest.importorskip("onnxruntime")
    if piece is not None:  # every Shape/Gather/Concat chain cut somewhere
        monkeypatch.setattr(onnx_chunks, "CHUNK_NODES", piece)
    model = _export_tiny(tmp_path)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 3  # override: batch 3
    assert _onnx_incomplete(model)  # the exported graph defeats onnx's data propagation
    res = resolve_shapes(model)
    _assert_all_known(res)
    # 6x6 -> pad (8 - 6 % 8) % 8 + 1 = 3 on the right and bottom -> 9x9 -> avg_pool 3 -> 3x3
    assert res.shapes["y"] == (3, 10)
    node_outputs = [o for n in model.graph.node for o in n.output if o]
    pad = next(n.output[0] for n in model.graph.node if n.op_type == "Pad")
    assert res.shapes[pad] == (3, 8, 9, 9)

    # run every intermediate tensor through onnxruntime and compare shapes and values
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    probe.graph.output.extend(
        helper.make_tensor_value_info(o, res.dtypes[o], None) for o in node_outputs
    )
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((3, 3, 6, 6)).astype(np.float32)
    actual = dict(zip(node_outputs, session.run(None, {"x": x}), strict=True))
    for name, array in actual.items():
        assert res.shapes[name] == array.shape, name
        if name in res.values:
            np.testing.assert_array_equal(res.values[name], array, err_msg=name)
            assert res.values[name].dtype == array.dtype, name


def test_real_torchscript_export_keeps_symbolic_batch(tmp_path: Any) -> None:
    res = resolve_shapes(_export_tiny(tmp_path))
    assert res.shapes["x"] == ("batch", 3, 6, 6)
    assert res.shapes["y"] == ("batch", 10)
    unknown = [n for n, s in res.shapes.items() if s is None or None in s]
    assert not unknown


# --- in place (what parse_onnx does with its own copy) -------------------------------------


def _nodes_bytes(model: onnx.ModelProto) -> list[bytes]:
    return [n.SerializeToString() for n in model.graph.node]


def test_in_place_strips_weights_and_declarations_but_never_rewrites_a_node() -> None:
    model = _shuffle_with_weights()
    expected = resolve_shapes(model)
    nodes_before = _nodes_bytes(model)
    res = resolve_shapes(model, in_place=True)
    assert res.shapes == expected.shapes and res.dtypes == expected.dtypes
    # the shuffle's Div needs the walk: its learnt Constants went into a copy, not here
    assert _nodes_bytes(model) == nodes_before
    weight = next(t for t in model.graph.initializer if t.name == "w")
    assert not weight.HasField("raw_data") and list(weight.dims) == [12, 12, 7, 7]
    assert not model.graph.value_info  # the stale declaration of c is gone
    assert not model.graph.output[0].type.tensor_type.HasField("shape")
    # initializers: name -> (dims, element type), in order
    assert res.initializers == {
        "w": ((12, 12, 7, 7), TensorProto.FLOAT),
        "flat": ((2,), TensorProto.INT64),
    }


def test_in_place_ceil_mode_pool_fix_is_made_in_a_copy() -> None:
    # 1x1x5x5, kernel 2, stride 2, pads 1, ceil mode: span 5 + 1 + 1 - 1 - 1 = 5, onnx gives
    # ceil(5 / 2) + 1 = 4, keeping a last window that starts at (4 - 1) * 2 = 6, past the
    # input and its leading pad (5 + 1 = 6); onnxruntime and PyTorch drop it: 3
    pool = helper.make_node(
        "MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1],
        ceil_mode=1,
    )  # fmt: skip
    model = _model([pool], {"x": [1, 1, 5, 5]}, ["y"])
    nodes_before = _nodes_bytes(model)
    res = resolve_shapes(model, in_place=True)
    assert res.shapes["y"] == (1, 1, 3, 3)
    assert _nodes_bytes(model) == nodes_before  # still ceil_mode=1 and pads 1


def test_in_place_rerun_of_inference_rewrites_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    # as test_learnt_values_feed_a_bounded_rerun_of_inference: the second pass needs the
    # walk's values as Constants, which must not replace the caller's nodes
    nodes = [*_shuffle_nodes("x", 3, "s"), helper.make_node("NonZero", ["s"], ["nz"])]
    model = _model(nodes, {"x": [2, 12, 4, 4]}, ["nz"])
    nodes_before = _nodes_bytes(model)
    calls = _count_calls(monkeypatch, "infer_shapes")
    res = resolve_shapes(model, in_place=True)
    assert len(calls) == 2
    assert _nodes_bytes(model) == nodes_before
    assert res.shapes["s"] == (2, 12, 4, 4)


# --- inference in pieces (onnx_chunks) ------------------------------------------------------


def _custom_op_model() -> onnx.ModelProto:
    # a custom op whose output shape only its declaration gives, read further down
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("MyOp", ["a"], ["b"], domain="my.ops"),
        helper.make_node("Relu", ["b"], ["y"]),
    ]
    model = _model(nodes, {"x": [2, 3]}, ["y"])
    model.opset_import.append(helper.make_opsetid("my.ops", 1))
    model.graph.value_info.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 5]))
    return model


_PIECE_MODELS = {
    # shape arithmetic cut anywhere: values cross the cut as initializers
    "shuffle": lambda: _shuffle_with_weights(),
    # symbols cross the cut as symbols; the batch is never a known value
    "symbolic": lambda: _model(
        [helper.make_node("Relu", ["x"], ["a"]), *_shuffle_nodes("a", 3, "y")],
        {"x": ["N", 12, 4, 4]},
        ["y"],
    ),
    # a second round of inference, itself in pieces
    "rerun": lambda: _model(
        [*_shuffle_nodes("x", 3, "s"), helper.make_node("NonZero", ["s"], ["nz"])],
        {"x": [2, 12, 4, 4]},
        ["nz"],
    ),
    "custom-op": _custom_op_model,
}


@pytest.mark.parametrize("name", sorted(_PIECE_MODELS))
@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_inference_in_pieces_finds_what_one_piece_finds(
    monkeypatch: pytest.MonkeyPatch, name: str, size: int
) -> None:
    whole = resolve_shapes(_PIECE_MODELS[name]())
    monkeypatch.setattr(onnx_chunks, "CHUNK_NODES", size)
    calls = _count_calls(monkeypatch, "infer_shapes")
    model = _PIECE_MODELS[name]()
    nodes = len(model.graph.node)
    pieces = resolve_shapes(model)
    assert len(calls) >= -(-nodes // size)  # at least one inference per piece
    assert pieces.shapes == whole.shapes
    assert pieces.dtypes == whole.dtypes
    assert sorted(pieces.values) == sorted(whole.values)


def test_a_graph_with_subgraphs_is_never_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    # an If branch may read any tensor of the enclosing scope: one inference, whole
    then = helper.make_graph(
        [helper.make_node("Relu", ["a"], ["t"])], "then", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)],
    )  # fmt: skip
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        _const("c", True, np.bool_),
        helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=then),
    ]
    monkeypatch.setattr(onnx_chunks, "CHUNK_NODES", 1)
    calls = _count_calls(monkeypatch, "infer_shapes")
    res = resolve_shapes(_model(nodes, {"x": [2, 3]}, ["y"]))
    assert len(calls) == 1
    assert res.shapes["t"] == (2, 3)
