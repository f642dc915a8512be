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
