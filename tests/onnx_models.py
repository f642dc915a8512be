"""Small ONNX models built in code for the tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weight(name: str, shape: Sequence[int], dtype=np.float32) -> TensorProto:
    return numpy_helper.from_array(np.zeros(tuple(shape), dtype), name)


def model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, Sequence[int | str]],
    outputs: Sequence[str],
    initializers: Sequence[TensorProto] = (),
    opset: int = 17,
    elem_type: int = TensorProto.FLOAT,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info(n, elem_type, list(s)) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, elem_type, None) for n in outputs],
        list(initializers),
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = 8
    return proto


def conv_model(
    x: Sequence[int], w: Sequence[int], bias: bool = False, op: str = "Conv", **attrs
) -> onnx.ModelProto:
    """One Conv (or ConvTranspose) of input shape ``x`` and weight shape ``w``."""
    inits = [weight("W", w)]
    names = ["x", "W"]
    if bias:
        channels = w[0] if op == "Conv" else w[1] * attrs.get("group", 1)
        inits.append(weight("B", (channels,)))
        names.append("B")
    node = helper.make_node(op, names, ["y"], name="layer", **attrs)
    return model([node], {"x": x}, ["y"], inits)


def conv_bn_relu_model() -> onnx.ModelProto:
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["y"], name="relu"),
    ]
    inits = [weight("W", (8, 3, 3, 3))] + [weight(k, (8,)) for k in "sbmv"]
    return model(nodes, {"x": (1, 3, 10, 10)}, ["y"], inits)


def shared_weight_model() -> onnx.ModelProto:
    """Two MatMuls using the same 16x16 weight."""
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="first"),
        helper.make_node("MatMul", ["h", "W"], ["y"], name="second"),
    ]
    return model(nodes, {"x": (2, 16)}, ["y"], [weight("W", (16, 16))])


def custom_op_model() -> onnx.ModelProto:
    """Relu -> an op from a custom domain (no formula, no shape inference) -> Relu."""
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu"),
        helper.make_node("Mystery", ["a"], ["b"], name="custom", domain="com.example"),
        helper.make_node("Relu", ["b"], ["y"], name="after"),
    ]
    proto = model(nodes, {"x": (1, 10)}, ["y"])
    proto.opset_import.append(helper.make_opsetid("com.example", 1))
    return proto
