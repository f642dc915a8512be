"""Reductions: per input element, plus the per-output term, derived by hand."""

from __future__ import annotations

import pytest

from costcalc.ops import Work
from costcalc.ops.common import FormulaError

from .builders import const, work

X = (3, 5, 7)  # 105 input elements
Y = (3, 1, 7)  # axes [1], keepdims: 21 output elements


@pytest.mark.parametrize(
    ("op", "flops"),
    [
        ("ReduceSum", 105),  # 1 add per input element
        ("ReduceMean", 126),  # 105 adds + 21 divides
        ("ReduceMax", 105),  # 105 compares
        ("ReduceMin", 105),
        ("ReduceProd", 105),  # 105 multiplies
        ("ReduceL1", 210),  # abs + add per element: 2 * 105
        ("ReduceL2", 231),  # square + add per element, sqrt per output: 210 + 21
        ("ReduceSumSquare", 210),  # 2 * 105
        ("ReduceLogSum", 126),  # 105 adds + 21 logs
        ("ReduceLogSumExp", 231),  # exp + add per element + log per output: 210 + 21
        ("ArgMax", 105),  # 105 compares
        ("ArgMin", 105),
    ],
)
def test_reduction_over_axis_1(op: str, flops: int) -> None:
    assert work(op, [X, const(1)], [Y]) == Work(0, flops)


def test_reduce_mean_over_everything() -> None:
    # no axes: all 105 reduced to 1 element: 105 + 1 = 106
    assert work("ReduceMean", [X], [()]) == Work(0, 106)


def test_reduction_with_axes_attribute_and_no_keepdims() -> None:
    # older opsets: axes as an attribute; y (3, 7) = 21: 105 + 21 = 126
    assert work("ReduceMean", [X], [(3, 7)], axes=[1], keepdims=0) == Work(0, 126)


def test_noop_with_empty_axes_is_free() -> None:
    assert work("ReduceSum", [X], [X], noop_with_empty_axes=1) == Work(0, 0)


def test_noop_flag_with_axes_still_reduces() -> None:
    # axes given: 105 adds
    assert work("ReduceSum", [X, const(1)], [Y], noop_with_empty_axes=1) == Work(0, 105)


def test_topk_compares_each_input_element_once() -> None:
    # x (3, 10) = 30 elements, k = 4: values and indices (3, 4); 30 compares
    assert work("TopK", [(3, 10), const(1)], [(3, 4), (3, 4)]) == Work(0, 30)


@pytest.mark.parametrize("y", [(3, 5, 8), (4,)])
def test_output_that_is_no_reduction_is_an_error(y: tuple) -> None:
    # 120 > 105 elements; 105 is not a multiple of 4
    with pytest.raises(FormulaError, match="ReduceSum node 'n0'"):
        work("ReduceSum", [X], [y])
