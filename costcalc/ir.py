"""The intermediate representation every frontend produces: tensors, nodes, graphs.

It holds structure only (shapes, dtypes, attributes, where weights live); costs are
computed elsewhere from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import prod
from typing import Any

Shape = tuple[int, ...]


# TensorSpec and Node are not frozen dataclasses, though nothing may change them once
# built: a frozen dataclass takes three times as long to construct, and a million-node
# graph constructs millions of them (benchmarks/README.md). Graph is frozen.


@dataclass(slots=True)
class TensorSpec:
    """One tensor: name, shape (None when unknown), element type.

    ``storage`` names the stored constant this tensor is (an initializer, a Constant's
    value, or a value derived from one by constant folding). Two tensors with the same
    storage are the same weights, counted once. Activations have ``storage = None``.
    """

    name: str
    shape: Shape | None
    dtype: str
    storage: str | None = None
    # True for a trainable parameter, False for a buffer or constant, None when the
    # frontend cannot tell (ONNX): the op's weight slots decide then
    trainable: bool | None = None
    # elements (None when the shape is unknown): computed once, read by every consumer
    numel: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.numel = None if self.shape is None else prod(self.shape)

    @property
    def is_const(self) -> bool:
        return self.storage is not None


@dataclass(slots=True)
class Node:
    """One operation in execution order.

    ``op`` is the canonical op name (ONNX spelling, e.g. ``Conv``); ``inputs`` keeps the
    positional slots of the op, with ``None`` for an omitted optional input. ``scope``
    is where the node comes from (a module path, or the ONNX node name); ``module`` the
    module path when the frontend knows it. ``folded`` marks a node whose inputs are all
    constants: it computes shape arithmetic or weight transforms a runtime folds away.
    """

    name: str
    op: str
    inputs: tuple[TensorSpec | None, ...]
    outputs: tuple[TensorSpec, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    domain: str = ""
    module: str | None = None
    folded: bool = False

    def input(self, slot: int) -> TensorSpec | None:
        """The tensor at ``slot``, or None when the slot is absent or omitted."""
        return self.inputs[slot] if slot < len(self.inputs) else None

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


@dataclass(frozen=True, slots=True)
class Graph:
    """A model as the calculator sees it: nodes in execution order and its interface."""

    name: str
    nodes: tuple[Node, ...]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    source: str = ""
    warnings: tuple[str, ...] = ()
    uncalled_modules: tuple[str, ...] = ()  # modules the forward never ran (PyTorch)
