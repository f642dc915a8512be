"""The Python API: ``analyze(model, inputs=..., dims=..., dtype=...) -> Report``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from costcalc.calculator import calculate
from costcalc.errors import InputSpecError, ModelLoadError
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
    """Parse ``model`` (an ONNX path or ModelProto) into the IR."""
    import onnx

    from costcalc.parsers.onnx import parse_onnx

    if isinstance(model, onnx.ModelProto | Path):
        return parse_onnx(model, inputs, dims)
    if isinstance(model, str):
        if model.startswith("zoo:") or (":" in model and not Path(model).exists()):
            raise ModelLoadError(
                f"{model}: PyTorch model specs (zoo:NAME, package.module:callable) are not "
                "supported yet; give an .onnx file"
            )
        return parse_onnx(model, inputs, dims)
    raise ModelLoadError(
        f"cannot analyse a {type(model).__name__}: give an ONNX path or ModelProto"
    )


def analyze(
    model: Any,
    inputs: InputsArg = None,
    dims: Mapping[str, int] | None = None,
    dtype: str | None = None,
) -> Report:
    """Analyse ``model`` and return its Report.

    ``inputs``: ``{"name": (1, 3, 224, 224)}``, ``[(1, 3, 224, 224)]`` or CLI-style
    strings (``"x=1x3x224x224"``); ``dims``: ``{"N": 8}`` binds symbolic dimensions;
    ``dtype``: count bytes of floating tensors at this type (``"fp16"``, ``"int8"``...).
    """
    element_type = resolve_dtype(dtype)
    return calculate(load_graph(model, inputs, dims), dtype=element_type)
