"""The Python API: ``analyze(model, inputs=..., dims=..., dtype=...) -> Report``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from costcalc.analyses.memory import apply_memory
from costcalc.calculator import calculate
from costcalc.errors import InputSpecError, ModelLoadError
from costcalc.gc_pause import paused_gc
from costcalc.inputs import InputsArg
from costcalc.ir import Graph
from costcalc.report import Report
from costcalc.units import DTYPE_ALIASES, DTYPE_BITS


def resolve_dtype(dtype: str | None) -> str | None:
    """'fp16' or 'float16' -> 'float16'; None keeps each tensor's own type."""
    if dtype is None:
        return None
    name = DTYPE_ALIASES.get(dtype.lower(), dtype.lower())
    if name not in DTYPE_BITS or name in ("string", "bool"):
        choices = ", ".join(DTYPE_ALIASES)
        raise InputSpecError(f"--dtype {dtype!r}: unknown element type (choose from {choices})")
    return name


def load_graph(
    model: Any, inputs: InputsArg = None, dims: Mapping[str, int] | None = None
) -> Graph:
    """Parse ``model`` into the IR: an ONNX path or ModelProto, a PyTorch ``nn.Module``,
    or a spec string (``zoo:NAME``, ``package.module:callable``)."""
    from costcalc import specs

    if isinstance(model, str | Path):
        if isinstance(model, str) and specs.is_torch_spec(model):
            from costcalc.parsers.torch_model import parse_torch

            _no_dims_for_torch(dims)
            return parse_torch(None, inputs, specs.resolve(model))
        from costcalc.parsers.onnx import parse_onnx

        return parse_onnx(model, inputs, dims)
    module_type = type(model).__module__
    if module_type.startswith("onnx"):
        from costcalc.parsers.onnx import parse_onnx

        return parse_onnx(model, inputs, dims)
    if _is_torch_module(model):
        from costcalc.parsers.torch_model import parse_torch

        _no_dims_for_torch(dims)
        return parse_torch(model, inputs)
    raise ModelLoadError(
        f"cannot analyse a {type(model).__name__}: give an ONNX path or ModelProto, an "
        "nn.Module, zoo:NAME or package.module:callable"
    )


def _no_dims_for_torch(dims: Mapping[str, int] | None) -> None:
    """--dim binds an ONNX model's symbolic dims; a PyTorch model's shapes are all given."""
    if dims:
        first = next(iter(dims)) if isinstance(dims, Mapping) else str(next(iter(dims)))
        raise InputSpecError(
            f"--dim {first}: a PyTorch model has no symbolic dimensions; give its input "
            "shapes with --input"
        )


def _is_torch_module(model: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")  # an nn.Module means torch is imported already
    return torch is not None and isinstance(model, torch.nn.Module)


def analyze(
    model: Any,
    inputs: InputsArg = None,
    dims: Mapping[str, int] | None = None,
    dtype: str | None = None,
    baseline: str | None = None,
    hardware: Any = None,
    training: bool = False,
    optimizer: str = "adam",
) -> Report:
    """Analyse ``model`` and return its Report.

    ``model``: an ONNX path or ModelProto, an ``nn.Module``, ``"zoo:NAME"`` or
    ``"package.module:callable"``. ``inputs``: ``{"name": (1, 3, 224, 224)}``,
    ``[(1, 3, 224, 224)]``, example tensors, or CLI-style strings (``"x=1x3x224x224"``);
    ``dims``: ``{"N": 8}`` binds symbolic dimensions; ``dtype``: count bytes of floating
    tensors at this type (``"fp16"``, ``"int8"``...); ``baseline="dense"``: add the dense
    baseline of every layer, the block patterns and the model's dense twin; ``hardware``:
    a profile name (``"h200"``), TOML path or ``Hardware`` for roofline time estimates;
    ``training=True``: add the training memory estimate for ``optimizer`` (sgd, adam...).
    Peak activation memory (liveness over the execution order) is always computed.
    """
    if baseline not in (None, "dense"):
        raise InputSpecError(f"--baseline {baseline!r}: the only baseline is 'dense'")
    element_type = resolve_dtype(dtype)
    with paused_gc():
        graph = load_graph(model, inputs, dims)
        report = calculate(graph, dtype=element_type)
        apply_memory(report, graph, training=training, optimizer=optimizer)
        if baseline == "dense":
            from costcalc.analyses.baseline import apply_dense_baseline

            apply_dense_baseline(report, graph)
        if hardware is not None:
            from costcalc.analyses.roofline import apply_roofline
            from costcalc.hardware import Hardware, load_hardware

            profile = hardware if isinstance(hardware, Hardware) else load_hardware(hardware)
            apply_roofline(report, graph, profile)
    return report
