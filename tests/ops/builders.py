"""Concise Node/TensorSpec builders for the op-formula tests.

``node("MatMul", [(3, 5, 7), const(7, 11)], [(3, 5, 11)])`` builds a node whose inputs
are activations of the given shapes (a tuple), a constant (``const``), an unknown
shape (``UNKNOWN``), an omitted optional input (``None``) or a ready TensorSpec.
``work(...)`` runs the registered formula on such a node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from costcalc.ir import Node, TensorSpec
from costcalc.ops import REGISTRY, Work

UNKNOWN = "?"
ShapeLike = tuple[int, ...] | TensorSpec | str | None


def const(*shape: int, dtype: str = "float32") -> TensorSpec:
    """A constant (stored) tensor of ``shape``."""
    return TensorSpec(f"const{list(shape)}", tuple(shape), dtype, storage=f"w{list(shape)}")


def _spec(item: ShapeLike, name: str) -> TensorSpec | None:
    if item is None or isinstance(item, TensorSpec):
        return item
    if item == UNKNOWN:
        return TensorSpec(name, None, "float32")
    return TensorSpec(name, tuple(item), "float32")


def node(
    op: str,
    inputs: Sequence[ShapeLike],
    outputs: Sequence[ShapeLike],
    name: str = "n0",
    **attrs: Any,
) -> Node:
    ins = tuple(_spec(x, f"{name}.in{i}") for i, x in enumerate(inputs))
    outs = tuple(_spec(y, f"{name}.out{i}") for i, y in enumerate(outputs))
    assert all(o is not None for o in outs)
    return Node(name, op, ins, outs, attrs)  # type: ignore[arg-type]


def work(op: str, inputs: Sequence[ShapeLike], outputs: Sequence[ShapeLike], **attrs: Any) -> Work:
    """The registered formula's Work for a node built from these shapes."""
    spec = REGISTRY.get(op)
    assert spec is not None, f"{op} is not registered"
    return spec.formula(node(op, inputs, outputs, **attrs))
