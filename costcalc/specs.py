"""Model specs: what the user names on the command line, resolved to a model.

- ``path/to/model.onnx`` -> an ONNX file;
- ``zoo:NAME`` -> a built-in architecture (with its default input shape);
- ``package.module:callable`` -> a callable returning an ``nn.Module``, or an
  ``nn.Module`` subclass taking no arguments. Only the module named is imported (with
  the current folder importable, as ``python -m`` does).

PyTorch models are built on the meta device (no weights allocated); a model whose
construction reads weight values cannot be, and is built on the CPU with a warning.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costcalc.errors import ModelLoadError


@dataclass(frozen=True)
class TorchSource:
    """A PyTorch model to build: its name, factory and default input shapes."""

    name: str
    factory: Callable[[], Any]
    default_inputs: tuple[tuple[int, ...], ...] | None = None


def is_torch_spec(spec: str) -> bool:
    if spec.startswith("zoo:"):
        return True
    return ":" in spec and not Path(spec).exists() and not spec.lower().endswith(".onnx")


def resolve(spec: str) -> TorchSource:
    """``zoo:NAME`` or ``package.module:callable`` -> a TorchSource."""
    if spec.startswith("zoo:"):
        from costcalc import zoo

        name = spec.removeprefix("zoo:")
        try:
            entry = zoo.get(name)
        except KeyError:
            raise ModelLoadError(f"{spec}: no such zoo model (see `costcalc zoo`)") from None
        return TorchSource(spec, entry.build, (entry.input_shape,))
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ModelLoadError(f"{spec}: expected package.module:callable")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelLoadError(f"{spec}: cannot import {module_name!r} ({exc})") from exc
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ModelLoadError(f"{spec}: {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ModelLoadError(f"{spec}: {attr!r} is not callable")
    return TorchSource(spec, target, None)


def build(source: TorchSource, device: str = "meta") -> Any:
    """Build the model on ``device``; the result must be an nn.Module."""
    import torch
    from torch import nn

    try:
        with torch.device(device):
            model = source.factory()
    except TypeError as exc:
        raise ModelLoadError(f"{source.name}: cannot call it without arguments ({exc})") from exc
    if not isinstance(model, nn.Module):
        raise ModelLoadError(
            f"{source.name}: returned a {type(model).__name__}, not a torch.nn.Module"
        )
    return model
