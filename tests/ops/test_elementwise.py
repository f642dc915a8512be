"""Element-wise arithmetic, comparison, logic and variadic ops: cost per output element."""

from __future__ import annotations

import pytest

from costcalc.ops import REGISTRY, OpKind, Work
from costcalc.ops.common import FormulaError
from costcalc.ops.flop_table import AVERAGE_DIVIDE, ELEMENTWISE

from .builders import UNKNOWN, const, work

Y = (3, 5, 7)  # 3*5*7 = 105 output elements


def test_add_with_broadcast_bias_costs_per_output_element() -> None:
    # (3, 5, 7) + (7,) -> (3, 5, 7): 105 adds
    assert work("Add", [Y, const(7)], [Y]) == Work(0, 105)


def test_both_operands_broadcast() -> None:
    # (3, 1, 7) * (5, 1) -> (3, 5, 7): 105 multiplies, though neither input has 105
    assert work("Mul", [(3, 1, 7), (5, 1)], [Y]) == Work(0, 105)


def test_scalar_operand() -> None:
    # () / (3, 5, 7): 105 divides
    assert work("Div", [(), Y], [Y]) == Work(0, 105)


def test_pow_and_sub() -> None:
    # 105 each
    assert work("Pow", [Y, ()], [Y]) == Work(0, 105)
    assert work("Sub", [Y, Y], [Y]) == Work(0, 105)


def test_operands_that_do_not_broadcast_are_an_error() -> None:
    # (3, 5, 7) + (5,): 5 aligns with 7
    with pytest.raises(FormulaError, match=r"Add node 'n0'.*do not broadcast"):
        work("Add", [Y, (5,)], [Y])


def test_output_that_is_not_the_broadcast_is_an_error() -> None:
    with pytest.raises(FormulaError, match="output"):
        work("Add", [Y, (7,)], [(3, 5, 1)])


def test_unknown_input_shape_skips_the_check() -> None:
    # cost comes from the output: 105
    assert work("Add", [UNKNOWN, (7,)], [Y]) == Work(0, 105)


@pytest.mark.parametrize(
    ("op", "inputs", "flops"),
    [
        # 3 inputs: 2 adds per output element: 2 * 105 = 210
        ("Sum", [Y, (5, 7), (7,)], 210),
        # 2 adds + 1 divide per output element: 3 * 105 = 315
        ("Mean", [Y, (5, 7), (7,)], 315),
        # 4 inputs: 3 compares per output element: 3 * 105 = 315
        ("Max", [Y, Y, Y, Y], 315),
        # 2 inputs: 1 per output element: 105
        ("Min", [Y, ()], 105),
        # one input is a copy: 0
        ("Sum", [Y], 0),
        ("Mean", [Y], 0),
    ],
)
def test_variadic(op: str, inputs: list, flops: int) -> None:
    assert work(op, inputs, [Y]) == Work(0, flops)


def test_where_selects_per_output_element() -> None:
    # cond (3, 5, 7), x (), y (5, 7) -> (3, 5, 7): 105 selects
    assert work("Where", [Y, (), (5, 7)], [Y]) == Work(0, 105)


@pytest.mark.parametrize("op", ["Equal", "Less", "GreaterOrEqual", "And", "Xor"])
def test_comparison_and_logic(op: str) -> None:
    # (3, 5, 7) vs (3, 1, 7): 105 per output element
    assert work(op, [Y, (3, 1, 7)], [Y]) == Work(0, 105)


@pytest.mark.parametrize("op", ["Sqrt", "Exp", "Log", "Neg", "Reciprocal", "Not", "Round"])
def test_unary(op: str) -> None:
    # one elementary operation per element: 105
    assert work(op, [Y], [Y]) == Work(0, 105)


_ARITY = {"Where": 3}
_BINARY = {
    "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Min", "Max", "Mean", "Sum", "Equal", "Less",
    "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "PRelu",
}  # fmt: skip


@pytest.mark.parametrize("op", sorted(ELEMENTWISE))
def test_every_table_entry_is_registered_and_costs_its_table_value(op: str) -> None:
    # The table entry times 105 output elements (+105 divides for Mean of 2 inputs).
    spec = REGISTRY.get(op)
    assert spec is not None and spec.kind is OpKind.COMPUTE
    arity = _ARITY.get(op, 2 if op in _BINARY else 1)
    extra = AVERAGE_DIVIDE * 105 if op == "Mean" else 0
    assert work(op, [Y] * arity, [Y]) == Work(0, ELEMENTWISE[op] * 105 + extra)
