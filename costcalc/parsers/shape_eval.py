"""Evaluating small ONNX nodes on known values: the numpy fast path for the ops that shape
arithmetic uses, onnx's reference evaluator for the rest, and an output-size bound that
keeps evaluation to small tensors."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

Dims = tuple[int | str | None, ...]

INT_TYPES = {getattr(onnx.TensorProto, t) for t in ("INT8", "INT16", "INT32", "INT64", "BOOL")} | {
    getattr(onnx.TensorProto, t) for t in ("UINT8", "UINT16", "UINT32", "UINT64")
}
# Outputs may be far larger than inputs: evaluated only when the output size is known small.
GROWING = {"Pad", "Resize", "Upsample", "OneHot", "EyeLike", "Tile", "CenterCropPad", "Col2Im",
            "MaxUnpool", "ConstantOfShape", "Range", "Expand"}  # fmt: skip


def size(dims: Iterable[Any]) -> int:
    return math.prod(int(d) for d in dims)


def _axes(at: dict[str, Any], args: list[Any], i: int) -> tuple[int, ...] | None:
    """``axes`` as an attribute (older opsets) or as input ``i`` (newer opsets)."""
    axes = at.get("axes", args[i] if len(args) > i else None)
    return None if axes is None or len(axes) == 0 else tuple(int(a) for a in axes)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.integer):  # onnx truncates integer division toward zero
        return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype)
    return a / b


def _slice(at: dict[str, Any], args: list[Any]) -> Any:
    x, (starts, ends, axes, steps) = args[0], [*args[1:], None, None, None, None][:4]
    if "starts" in at:  # opset < 10
        starts, ends, axes = at["starts"], at["ends"], at.get("axes")
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    if any(s < 1 for s in steps):
        return NotImplemented  # onnx clamps negative steps unlike Python: reference evaluator
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
        index[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(index)]


def _reduce(fn: Callable[..., Any]) -> Callable[[dict[str, Any], list[Any]], Any]:
    def run(at: dict[str, Any], a: list[Any]) -> Any:
        if (axes := _axes(at, a, 1)) is None and at.get("noop_with_empty_axes", 0):
            return a[0]
        return fn(a[0], axis=axes, keepdims=bool(at.get("keepdims", 1)))

    return run


def _fill(at: dict[str, Any], a: list[Any]) -> np.ndarray:
    fill = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
    return np.full([int(d) for d in a[0]], fill.reshape(()), dtype=fill.dtype)


def _cast(at: dict[str, Any], a: list[Any]) -> Any:
    if a[0].dtype == object and at["to"] in INT_TYPES:
        return a[0]  # a partly known shape vector stays one
    return a[0].astype(helper.tensor_dtype_to_np_dtype(at["to"]))


def _ew(fn: Callable[..., Any]) -> Callable[[dict[str, Any], list[Any]], Any]:
    return lambda at, a: functools.reduce(fn, a)  # elementwise, two or more inputs


def _un(fn: Callable[..., Any]) -> Callable[[dict[str, Any], list[Any]], Any]:
    return lambda at, a: fn(a[0])


# fmt: off
FAST: dict[str, Callable[[dict[str, Any], list[Any]], Any]] = {
    "Gather": lambda at, a: np.take(a[0], a[1], axis=at.get("axis", 0)),
    "Concat": lambda at, a: np.concatenate(a, axis=at["axis"]),
    "Unsqueeze": lambda at, a: np.expand_dims(a[0], _axes(at, a, 1) or ()),
    "Squeeze": lambda at, a: np.squeeze(a[0], axis=_axes(at, a, 1)),
    "Reshape": lambda at, a: a[0].reshape([a[0].shape[i] if d == 0 and not at.get("allowzero")
                                           else int(d) for i, d in enumerate(a[1])]),
    "Cast": _cast, "Slice": _slice, "Identity": _un(lambda x: x),
    "Add": _ew(np.add), "Sub": _ew(np.subtract), "Mul": _ew(np.multiply), "Div": _ew(_div),
    "Mod": lambda at, a: (np.fmod if at.get("fmod") else np.mod)(a[0], a[1]),
    "Max": _ew(np.maximum), "Min": _ew(np.minimum), "Equal": _ew(np.equal),
    "Less": _ew(np.less), "Greater": _ew(np.greater), "LessOrEqual": _ew(np.less_equal),
    "GreaterOrEqual": _ew(np.greater_equal), "And": _ew(np.logical_and),
    "Or": _ew(np.logical_or), "Not": _un(np.logical_not), "Neg": _un(np.negative),
    "Abs": _un(np.abs), "Sqrt": _un(np.sqrt), "Floor": _un(np.floor), "Ceil": _un(np.ceil),
    "Where": lambda at, a: np.where(a[0], a[1], a[2]),
    "ReduceProd": _reduce(np.prod), "ReduceSum": _reduce(np.sum),
    "ReduceMax": _reduce(np.max), "ReduceMin": _reduce(np.min),
    "ConstantOfShape": _fill,
    "Range": lambda at, a: np.arange(a[0], a[1], a[2], dtype=a[0].dtype),
    "Expand": lambda at, a: a[0] * np.ones([int(d) for d in a[1]], a[0].dtype),
}
# fmt: on


def estimate_size(op: str, args: list[Any], out: Dims | None) -> int | None:
    """Upper bound of the output size of an evaluation; None when unbounded."""
    if out is not None and all(isinstance(d, int) for d in out):
        return size(out)
    if op == "ConstantOfShape":
        return size(args[0])
    if op == "Range" and np.issubdtype(args[0].dtype, np.integer):
        return max(-(-(int(args[1]) - int(args[0])) // int(args[2])), 0)
    if op == "Expand":
        return size(np.broadcast_shapes(args[0].shape, tuple(int(d) for d in args[1])))
    if op in GROWING:
        return None
    shapes = [a.shape for a in args if a is not None]
    return size(d if d else 1 for d in _broadcast_bound(shapes))


def _broadcast_bound(shapes: list[tuple[int, ...]]) -> list[int]:
    rank = max((len(s) for s in shapes), default=0)
    return [max((s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0), default=1)
            for i in range(rank)]  # fmt: skip


def reference_eval(node: onnx.NodeProto, args: list[Any], opset: int) -> list[np.ndarray]:
    from onnx.reference import ReferenceEvaluator  # slow import, only when needed

    feeds = {name: a for name, a in zip(node.input, args, strict=True) if name}
    inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), None)
              for n, a in feeds.items()]  # fmt: skip
    outputs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
    graph = helper.make_graph([node], "eval", inputs, outputs)
    return ReferenceEvaluator(graph, opsets={node.domain: opset}).run(None, feeds)
