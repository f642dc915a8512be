"""Activations and softmax: FLOPs per element, derived by hand from flop_table's comments."""

from __future__ import annotations

import pytest

from costcalc.ops import Work
from costcalc.ops.common import FormulaError

from .builders import const, work

X = (3, 5, 7)  # 3*5*7 = 105 elements


@pytest.mark.parametrize(
    ("op", "flops"),
    [
        ("Relu", 105),  # max(x, 0): 1 * 105
        ("LeakyRelu", 210),  # compare, multiply: 2 * 105
        ("Sigmoid", 315),  # exp, add, divide: 3 * 105
        ("HardSigmoid", 420),  # multiply, add, min, max: 4 * 105
        ("HardSwish", 525),  # hardsigmoid (4) + multiply: 5 * 105
        ("Tanh", 105),  # one elementary function: 1 * 105
        ("Gelu", 525),  # divide, erf, add, multiply, multiply: 5 * 105
        ("Erf", 105),  # 1 * 105
        ("Softplus", 315),  # exp, add, log: 3 * 105
        ("Mish", 525),  # softplus (3), tanh, multiply: 5 * 105
        ("Elu", 420),  # compare, exp, subtract, multiply: 4 * 105
        ("Selu", 525),  # elu (4) + gamma multiply: 5 * 105
        ("Swish", 420),  # sigmoid (3) + multiply: 4 * 105
        ("ThresholdedRelu", 105),  # compare/select: 1 * 105
        ("Celu", 525),  # compare, divide, exp, subtract, multiply: 5 * 105
        ("Softsign", 315),  # abs, add, divide: 3 * 105
    ],
)
def test_pointwise_activation(op: str, flops: int) -> None:
    assert work(op, [X], [X]) == Work(0, flops)


def test_gelu_tanh_approximation_counts_the_same() -> None:
    # 5 * 105 = 525
    assert work("Gelu", [X], [X], approximate="tanh") == Work(0, 525)


def test_activation_output_must_match_its_input() -> None:
    with pytest.raises(FormulaError, match="Relu node 'n0'"):
        work("Relu", [(3, 5, 7)], [(3, 5, 8)])


def test_prelu_with_per_channel_slope() -> None:
    # x (2, 3, 5, 7) = 210 elements; slope (3, 1, 1); compare, multiply: 2 * 210 = 420
    assert work("PRelu", [(2, 3, 5, 7), const(3, 1, 1)], [(2, 3, 5, 7)]) == Work(0, 420)


def test_prelu_slope_that_does_not_fit_is_an_error() -> None:
    # slope (4, 1, 1) against channels 3
    with pytest.raises(FormulaError, match="PRelu node 'n0'"):
        work("PRelu", [(2, 3, 5, 7), const(4, 1, 1)], [(2, 3, 5, 7)])


def test_prelu_slope_must_not_grow_the_input() -> None:
    # x (3, 1, 7) and slope (5, 1) broadcast to (3, 5, 7): slope must broadcast to x
    with pytest.raises(FormulaError, match="slope"):
        work("PRelu", [(3, 1, 7), const(5, 1)], [(3, 5, 7)])


def test_clip_with_both_bounds() -> None:
    # min(max(x, lo), hi): 2 * 105 = 210; scalar bounds broadcast
    assert work("Clip", [X, (), ()], [X]) == Work(0, 210)


def test_clip_with_omitted_min() -> None:
    # the table's count is kept stable: 2 * 105 = 210
    assert work("Clip", [X, None, ()], [X]) == Work(0, 210)


@pytest.mark.parametrize(
    ("op", "axis", "flops"),
    [
        # rows = 105 / 7 = 15: 5 * 105 + 1 * 15 = 540
        ("Softmax", None, 540),
        ("Softmax", -1, 540),
        # rows = 105 / 5 = 21: 525 + 21 = 546
        ("Softmax", 1, 546),
        # rows = 105 / 3 = 35: 525 + 35 = 560
        ("LogSoftmax", 0, 560),
        # rows = 15: 525 + 15 = 540
        ("LogSoftmax", 2, 540),
    ],
)
def test_softmax_per_element_and_per_row(op: str, axis: int | None, flops: int) -> None:
    attrs = {} if axis is None else {"axis": axis}
    assert work(op, [X], [X], **attrs) == Work(0, flops)


def test_softmax_axis_out_of_range_is_an_error() -> None:
    with pytest.raises(FormulaError, match=r"Softmax node 'n0'.*axis 3"):
        work("Softmax", [X], [X], axis=3)
