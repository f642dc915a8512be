"""The op-cost registry: one spec per canonical op, looked up by the calculator.

A spec says what kind of op it is, which input slots hold trainable weights, which hold
non-trained state (BatchNorm statistics) and which only configure the op (shapes, axes,
pads: read by no kernel as data), and gives the formula for its arithmetic. Formulas are
pure functions of a node's shapes and attributes; bytes and parameter counts are derived
from the slots by the calculator, so every op counts them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from costcalc.ir import Node


class OpKind(StrEnum):
    COMPUTE = "compute"  # arithmetic: MACs and/or FLOPs
    MOVEMENT = "movement"  # copies or rearranges data: bytes, no FLOPs
    FREE = "free"  # metadata only, no kernel runs: no bytes, no FLOPs


@dataclass(frozen=True, slots=True)
class Work:
    """What a formula returns: multiply-accumulates, and the FLOPs that are not MACs."""

    macs: int = 0
    other_flops: int = 0


Formula = Callable[[Node], Work]


def _no_work(node: Node) -> Work:
    return Work()


@dataclass(frozen=True, slots=True)
class OpSpec:
    op: str
    kind: OpKind
    formula: Formula
    weights: tuple[int, ...] = ()
    buffers: tuple[int, ...] = ()
    data_slots: int | None = None  # leading inputs read as data; the rest configure
    learned_operands: bool = False  # constant operands of >1 element are weights
    reads_selection: bool = False  # reads only the selected part of input 0 (Slice, Gather)

    def is_data_slot(self, slot: int) -> bool:
        return self.data_slots is None or slot < self.data_slots


class RegistrationError(RuntimeError):
    pass


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, OpSpec] = {}

    def add(self, spec: OpSpec) -> None:
        if spec.op in self._specs:
            raise RegistrationError(f"op {spec.op!r} is registered twice")
        self._specs[spec.op] = spec

    def formula(
        self,
        *ops: str,
        weights: tuple[int, ...] = (),
        buffers: tuple[int, ...] = (),
        data_slots: int | None = None,
        learned_operands: bool = False,
    ) -> Callable[[Formula], Formula]:
        """Decorator registering a compute formula for one or more ops."""

        def decorate(fn: Formula) -> Formula:
            for op in ops:
                self.add(
                    OpSpec(op, OpKind.COMPUTE, fn, weights, buffers, data_slots, learned_operands)
                )
            return fn

        return decorate

    def movement(
        self, *ops: str, data_slots: int | None = None, reads_selection: bool = False
    ) -> None:
        for op in ops:
            self.add(
                OpSpec(
                    op, OpKind.MOVEMENT, _no_work, data_slots=data_slots,
                    reads_selection=reads_selection,
                )
            )  # fmt: skip

    def free(self, *ops: str, data_slots: int | None = None) -> None:
        for op in ops:
            self.add(OpSpec(op, OpKind.FREE, _no_work, data_slots=data_slots))

    def get(self, op: str) -> OpSpec | None:
        return self._specs.get(op)

    def __contains__(self, op: str) -> bool:
        return op in self._specs

    def ops(self) -> list[str]:
        return sorted(self._specs)


REGISTRY = Registry()
