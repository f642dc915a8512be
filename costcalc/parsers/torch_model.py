"""From a PyTorch model or spec to a Graph: meta execution first, the CPU when it must.

Meta execution needs no weights and no arithmetic. A model that reads tensor values
(``.item()``, ``nonzero``, data-dependent branches) cannot run on meta: then, if it has at
most ``CPU_FALLBACK_PARAMS`` parameters, it is built and run on the CPU with real
tensors, and the report says so; a larger one is an error naming the op and the module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from costcalc.errors import InputSpecError, ModelLoadError, first_line
from costcalc.ir import Graph
from costcalc.specs import TorchSource, build

CPU_FALLBACK_PARAMS = 200_000_000


def parse_torch(
    model: Any, inputs: Sequence[Any] | None, source: TorchSource | None = None
) -> Graph:
    """Trace ``model`` (an nn.Module), or the model ``source`` builds, into a Graph."""
    from costcalc.parsers.torch import MetaExecutionError, trace

    warnings: list[str] = []
    if model is None:
        model, warnings = _build_on_meta(source)
    shapes = _inputs(inputs, source)
    name = source.name if source else type(model).__name__
    try:
        graph = trace(model, shapes, name=name)
    except MetaExecutionError as exc:
        graph = _on_cpu(model, shapes, source, exc)
    return replace(graph, warnings=(*warnings, *graph.warnings))


def _inputs(inputs: Sequence[Any] | None, source: TorchSource | None) -> list[Any]:
    if inputs:
        return [shape for _, shape in _named(inputs)]
    if source is not None and source.default_inputs:
        return list(source.default_inputs)
    raise InputSpecError("a PyTorch model needs its input shape: give --input 1x3x224x224")


def _named(inputs: Sequence[Any]) -> list[tuple[str | None, Any]]:
    import torch

    from costcalc.inputs import normalise_inputs

    if all(isinstance(i, torch.Tensor) for i in inputs):
        return [(None, i) for i in inputs]
    named = normalise_inputs(inputs)
    if any(name is not None for name, _ in named):
        raise InputSpecError("PyTorch inputs are positional: give --input 1x3x224x224 per input")
    return named


def _build_on_meta(source: TorchSource) -> tuple[Any, list[str]]:
    try:
        return build(source, "meta"), []
    except ModelLoadError:
        raise
    except Exception as exc:
        first = first_line(exc)
        warning = f"{source.name} cannot be built on the meta device ({first}); built on the CPU"
        try:
            return build(source, "cpu"), [warning]
        except ModelLoadError:
            raise
        except Exception as cpu_exc:
            raise ModelLoadError(f"{source.name}: construction failed: {cpu_exc}") from cpu_exc


def _on_cpu(model: Any, shapes: list[Any], source: TorchSource | None, error: Exception) -> Graph:
    from costcalc.parsers.torch import trace

    size = sum(p.numel() for p in model.parameters())
    if size > CPU_FALLBACK_PARAMS:
        raise ModelLoadError(
            f"{error}; with {size:,} parameters the model is too large to run on the CPU instead"
        ) from error
    on_meta = any(p.is_meta for p in model.parameters())
    if on_meta:
        if source is None:
            raise ModelLoadError(f"{error}; build the model on the CPU to analyse it") from error
        model = build(source, "cpu")
    graph = trace(model, shapes, name=source.name if source else None, real=True)
    warning = f"meta execution impossible ({error}); ran on the CPU with real tensors instead"
    return replace(graph, warnings=(warning, *graph.warnings))
