"""aten ops -> the canonical ops of the registry (ONNX names and attributes).

Each adapter takes the aten call's arguments and returns the canonical op, its tensor
inputs in the ONNX slot order (None for an omitted optional input) and its attributes,
so one formula serves both frontends. An aten op missing here is reported as
unsupported under its own name (``aten.<name>``), never counted as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Canonical:
    op: str
    inputs: Sequence[Any]  # tensors (or None) in the canonical op's slot order
    attrs: dict[str, Any] = field(default_factory=dict)
    outputs: int | None = None  # keep only the first N outputs (e.g. drop pooling indices)


Adapter = Callable[[tuple, dict], Canonical]
ADAPTERS: dict[str, Adapter] = {}


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _adapt(*names: str) -> Callable[[Adapter], Adapter]:
    def register(fn: Adapter) -> Adapter:
        for name in names:
            ADAPTERS[name] = fn
        return fn

    return register


def _simple(op: str, tensor_slots: int = 1, **attrs: Any) -> Adapter:
    """The first ``tensor_slots`` positional arguments are the inputs (tensors or scalars)."""

    def adapt(args: tuple, kwargs: dict) -> Canonical:
        return Canonical(op, list(args[:tensor_slots]), dict(attrs))

    return adapt


def _register_simple(table: dict[str, tuple[str, int]]) -> None:
    for name, (op, slots) in table.items():
        ADAPTERS[name] = _simple(op, slots)


_UNARY = {
    "relu": "Relu", "hardtanh": "Clip", "sigmoid": "Sigmoid", "hardsigmoid": "HardSigmoid",
    "hardswish": "HardSwish", "silu": "Swish", "gelu": "Gelu", "tanh": "Tanh", "elu": "Elu",
    "leaky_relu": "LeakyRelu", "softplus": "Softplus", "mish": "Mish", "erf": "Erf",
    "exp": "Exp", "sqrt": "Sqrt", "rsqrt": "Sqrt", "neg": "Neg", "abs": "Abs", "log": "Log",
    "reciprocal": "Reciprocal", "floor": "Floor", "ceil": "Ceil", "round": "Round",
    "sign": "Sign", "logical_not": "Not", "sin": "Sin", "cos": "Cos",
}  # fmt: skip
_BINARY = {
    "add": "Add", "sub": "Sub", "rsub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
    "maximum": "Max", "minimum": "Min", "eq": "Equal", "lt": "Less", "gt": "Greater",
    "le": "LessOrEqual", "ge": "GreaterOrEqual", "logical_and": "And", "logical_or": "Or",
    "remainder": "Mod", "fmod": "Mod",
}  # fmt: skip
_register_simple({name: (op, 1) for name, op in _UNARY.items()})
_register_simple({f"{name}_": (op, 1) for name, op in _UNARY.items()})
_register_simple({name: (op, 2) for name, op in _BINARY.items()})
_register_simple({f"{name}_": (op, 2) for name, op in _BINARY.items()})
_register_simple({"where": ("Where", 3), "_prelu_kernel": ("PRelu", 2), "prelu": ("PRelu", 2)})
_register_simple({"mm": ("MatMul", 2), "bmm": ("MatMul", 2), "matmul": ("MatMul", 2)})

_VIEWS = (
    "view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "unsqueeze",
    "squeeze", "slice", "select", "split", "split_with_sizes", "unbind", "alias", "detach",
    "as_strided", "narrow", "diagonal", "chunk", "unflatten", "flatten", "view_as",
    "expand_as", "_reshape_alias", "unfold", "lift_fresh",
)  # fmt: skip
_register_simple({name: ("View", 1) for name in _VIEWS})
_register_simple({name: ("Copy", 1) for name in ("clone", "_to_copy", "contiguous", "to")})
_register_simple({"copy_": ("Copy", 2)})
_CREATION = (
    "empty", "zeros", "ones", "full", "randn", "rand", "arange", "empty_like", "zeros_like",
    "ones_like", "full_like", "randn_like", "rand_like", "scalar_tensor", "new_zeros",
    "new_ones", "new_empty", "new_full", "empty_strided", "fill", "fill_", "zero_",
)  # fmt: skip
_register_simple({name: ("Constant", 0) for name in _CREATION})


@_adapt("convolution", "_convolution")
def _convolution(args: tuple, kwargs: dict) -> Canonical:
    x, weight, bias, stride, padding, dilation, transposed, output_padding, groups = args[:9]
    attrs = {
        "strides": list(stride), "pads": list(padding) * 2, "dilations": list(dilation),
        "group": int(groups),
    }  # fmt: skip
    if transposed:
        attrs["output_padding"] = list(output_padding)
    return Canonical("ConvTranspose" if transposed else "Conv", [x, weight, bias], attrs)


@_adapt("addmm")
def _addmm(args: tuple, kwargs: dict) -> Canonical:
    bias, a, b = args[:3]
    attrs = {"beta": float(kwargs.get("beta", 1)), "alpha": float(kwargs.get("alpha", 1))}
    return Canonical("Gemm", [a, b, bias], attrs)


@_adapt(
    "native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
    "batch_norm", "cudnn_batch_norm", "miopen_batch_norm",
)  # fmt: skip
def _batch_norm(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("BatchNormalization", list(args[:5]), outputs=1)


@_adapt("native_layer_norm")
def _layer_norm(args: tuple, kwargs: dict) -> Canonical:
    x, shape, weight, bias = args[:4]
    return Canonical("LayerNormalization", [x, weight, bias], {"axis": -len(shape)}, outputs=1)


@_adapt("native_group_norm")
def _group_norm(args: tuple, kwargs: dict) -> Canonical:
    x, weight, bias = args[:3]
    return Canonical(
        "GroupNormalization", [x, weight, bias], {"num_groups": int(args[6])}, outputs=1
    )


def _reduce(op: str) -> Adapter:
    def adapt(args: tuple, kwargs: dict) -> Canonical:
        keepdim = _arg(args, kwargs, 2, "keepdim", False)
        return Canonical(op, [args[0]], {"keepdims": int(bool(keepdim))})

    return adapt


for _name, _op in {
    "mean": "ReduceMean", "sum": "ReduceSum", "amax": "ReduceMax", "amin": "ReduceMin",
    "prod": "ReduceProd", "max": "ReduceMax", "min": "ReduceMin", "argmax": "ArgMax",
    "argmin": "ArgMin",
}.items():  # fmt: skip
    ADAPTERS[_name] = _reduce(_op)


@_adapt("_softmax", "_safe_softmax", "softmax")
def _softmax(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Softmax", [args[0]], {"axis": int(_arg(args, kwargs, 1, "dim", -1))})


@_adapt("_log_softmax", "log_softmax")
def _log_softmax(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("LogSoftmax", [args[0]], {"axis": int(_arg(args, kwargs, 1, "dim", -1))})


def _window(op: str) -> Adapter:
    def adapt(args: tuple, kwargs: dict) -> Canonical:
        kernel = list(_arg(args, kwargs, 1, "kernel_size"))
        stride = list(_arg(args, kwargs, 2, "stride", None) or kernel)
        padding = list(_arg(args, kwargs, 3, "padding", [0] * len(kernel)))
        attrs = {"kernel_shape": kernel, "strides": stride, "pads": padding * 2}
        return Canonical(op, [args[0]], attrs, outputs=1)

    return adapt


for _name in ("max_pool1d", "max_pool2d", "max_pool3d"):
    ADAPTERS[_name] = ADAPTERS[f"{_name}_with_indices"] = _window("MaxPool")
for _name in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
    ADAPTERS[_name] = _window("AveragePool")


def _adaptive(global_op: str, window_op: str) -> Adapter:
    def adapt(args: tuple, kwargs: dict) -> Canonical:
        x, size = args[0], list(args[1])
        spatial = list(x.shape[2:])
        if all(s == 1 for s in size):
            return Canonical(global_op, [x], outputs=1)
        # an adaptive pool whose output divides the input is a plain pool
        kernel = [i // o for i, o in zip(spatial, size, strict=False)]
        return Canonical(window_op, [x], {"kernel_shape": kernel, "strides": kernel}, outputs=1)

    return adapt


for _n in ("1d", "2d", "3d"):
    ADAPTERS[f"_adaptive_avg_pool{_n}"] = ADAPTERS[f"adaptive_avg_pool{_n}"] = _adaptive(
        "GlobalAveragePool", "AveragePool"
    )
    ADAPTERS[f"adaptive_max_pool{_n}"] = _adaptive("GlobalMaxPool", "MaxPool")


@_adapt("cat", "concat", "stack")
def _cat(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Concat", list(args[0]), {"axis": int(_arg(args, kwargs, 1, "dim", 0))})


@_adapt("constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "replication_pad2d", "pad")
def _pad(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Pad", [args[0]])


def _resize(mode: str) -> Adapter:
    return lambda args, kwargs: Canonical("Resize", [args[0]], {"mode": mode})


for _n in ("1d", "2d", "3d"):
    ADAPTERS[f"upsample_nearest{_n}"] = ADAPTERS[f"_upsample_nearest_exact{_n}"] = _resize(
        "nearest"
    )
ADAPTERS["upsample_linear1d"] = ADAPTERS["upsample_bilinear2d"] = _resize("linear")
ADAPTERS["upsample_trilinear3d"] = ADAPTERS["_upsample_bilinear2d_aa"] = _resize("linear")
ADAPTERS["upsample_bicubic2d"] = _resize("cubic")


@_adapt("embedding")
def _embedding(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Gather", [args[0], args[1]], {"axis": 0})


@_adapt("index_select")
def _index_select(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Gather", [args[0], args[2]], {"axis": int(args[1])})


@_adapt("gather")
def _gather(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("GatherElements", [args[0], args[2]], {"axis": int(args[1])})


@_adapt("channel_shuffle", "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle")
def _shuffle(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("ChannelShuffle", [args[0]], {"groups": int(args[1])})


@_adapt("native_dropout", "dropout")
def _dropout(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Dropout", [args[0]], outputs=1)


@_adapt("clamp", "clamp_", "clip", "clamp_min", "clamp_max", "clamp_min_", "clamp_max_")
def _clamp(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Clip", [args[0]])


@_adapt("einsum")
def _einsum(args: tuple, kwargs: dict) -> Canonical:
    return Canonical("Einsum", list(args[1]), {"equation": args[0]})
