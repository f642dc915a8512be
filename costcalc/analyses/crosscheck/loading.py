"""The model to cross-check: an nn.Module as given, or built on the CPU from a spec, and
its input shapes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from costcalc.analyses.crosscheck.errors import CrossCheckError
from costcalc.errors import CostcalcError, InputSpecError, first_line


def load(model: Any, inputs: Sequence[Any] | None) -> tuple[Any, str, list[tuple[int, ...]]]:
    """The nn.Module (built on the CPU from a spec), its name and the input shapes."""
    from costcalc import specs

    source = None
    if isinstance(model, str | Path):
        text = str(model)
        if not (isinstance(model, str) and specs.is_torch_spec(text)):
            what = "an ONNX file" if text.lower().endswith(".onnx") else "a file"
            raise CrossCheckError(
                f"{text}: crosscheck needs a PyTorch model (zoo:NAME or "
                f"package.module:callable), not {what}"
            )
        source = specs.resolve(text)
        module, name = _build(source), source.name
    else:
        module, name = model, type(model).__name__
        if not _is_torch_module(module):
            raise CrossCheckError(
                f"cannot cross-check a {type(model).__name__}: crosscheck needs a PyTorch "
                "model (an nn.Module, zoo:NAME or package.module:callable)"
            )
    return module, name, _shapes(inputs, source.default_inputs if source else None)


def _build(source: Any) -> Any:
    """The model on the CPU: fvcore traces it with real tensors."""
    from costcalc import specs

    try:
        return specs.build(source, "cpu")
    except CostcalcError:
        raise
    except Exception as exc:
        raise CrossCheckError(f"{source.name}: construction failed: {first_line(exc)}") from exc


def _is_torch_module(model: Any) -> bool:
    from torch import nn

    return isinstance(model, nn.Module)


def _shapes(inputs: Sequence[Any] | None, default: Any) -> list[tuple[int, ...]]:
    from costcalc.inputs import normalise_inputs

    if not inputs:
        if default:
            return [tuple(s) for s in default]
        raise InputSpecError("a PyTorch model needs its input shape: give --input 1x3x224x224")
    named = normalise_inputs(list(inputs))
    if any(name is not None for name, _ in named):
        raise InputSpecError("PyTorch inputs are positional: give --input 1x3x224x224 per input")
    return [tuple(shape) for _, shape in named]
