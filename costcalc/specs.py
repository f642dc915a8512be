"""Model specs: what the user names on the command line, resolved to a model.

- ``path/to/model.onnx`` -> an ONNX file;
- ``zoo:NAME`` -> a built-in architecture (with its default input shape);
- ``package.module:callable`` -> a callable returning an ``nn.Module``, or an
  ``nn.Module`` subclass taking no arguments. Only the module named is imported (with
  the current folder importable, as ``python -m`` does, but only while the user's code
  is imported and called: torch is imported first, and nothing costcalc imports
  afterwards can come from a file in the current folder).

PyTorch models are built on the meta device (no weights allocated); a model whose
construction reads weight values cannot be, and is built on the CPU with a warning.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator
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
    with contextlib.suppress(ImportError):  # else the spec's own import says what is missing
        import torch  # noqa: F401  (from site-packages, before the current folder is importable)
    try:
        with _current_folder_importable():
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
    return TorchSource(spec, _in_current_folder(target), None)


@contextlib.contextmanager
def _current_folder_importable() -> Iterator[None]:
    """The current folder first on sys.path for the duration (as ``python -m`` has it)."""
    folder = os.getcwd()
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        yield
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)


def _in_current_folder(factory: Callable[[], Any]) -> Callable[[], Any]:
    """``factory`` called with the current folder importable (it may import lazily)."""

    def call() -> Any:
        with _current_folder_importable():
            return factory()

    call.__name__ = call.__qualname__ = getattr(factory, "__name__", "factory")
    return call


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
