"""Pooling: per output element the whole window, plus the per-output term."""

from __future__ import annotations

import pytest

from costcalc.ops import Work
from costcalc.ops.common import FormulaError

from .builders import work

X = (2, 3, 11, 13)
# kernel (3, 5), strides 2: H (11-3)/2+1 = 5, W (13-5)/2+1 = 5
Y = (2, 3, 5, 5)  # 2*3*5*5 = 150 output elements
POOL = {"kernel_shape": [3, 5], "strides": [2, 2]}


@pytest.mark.parametrize(
    ("op", "flops"),
    [
        # 3*5 = 15 compares per output: 15 * 150 = 2,250
        ("MaxPool", 2250),
        # 15 adds + 1 divide per output: 16 * 150 = 2,400
        ("AveragePool", 2400),
        # abs, pow, add per window element + pow 1/p: (3*15 + 1) * 150 = 6,900
        ("LpPool", 6900),
    ],
)
def test_windowed_pool(op: str, flops: int) -> None:
    assert work(op, [X], [Y], **POOL) == Work(0, flops)


def test_max_pool_indices_output_costs_nothing_more() -> None:
    # still 15 * 150 = 2,250
    assert work("MaxPool", [X], [Y, Y], **POOL) == Work(0, 2250)


def test_3d_pool() -> None:
    # kernel 3x3x3 = 27; output 1*2*3*5*7 = 210 elements: 27 * 210 = 5,670
    w = work("MaxPool", [(1, 2, 5, 7, 9)], [(1, 2, 3, 5, 7)], kernel_shape=[3, 3, 3])
    assert w == Work(0, 5670)


@pytest.mark.parametrize("kernel", [None, [3, 5, 7]])
def test_pool_kernel_must_match_spatial_rank(kernel: list | None) -> None:
    attrs = {} if kernel is None else {"kernel_shape": kernel}
    with pytest.raises(FormulaError, match=r"MaxPool node 'n0'.*kernel_shape"):
        work("MaxPool", [X], [Y], **attrs)


def test_pool_channels_must_match() -> None:
    with pytest.raises(FormulaError, match="AveragePool"):
        work("AveragePool", [X], [(2, 4, 5, 5)], **POOL)


@pytest.mark.parametrize(
    ("op", "flops"),
    [
        # x (2, 3, 5, 7) = 210 elements, y (2, 3, 1, 1) = 6
        ("GlobalMaxPool", 210),  # 210 compares
        ("GlobalAveragePool", 216),  # 210 adds + 6 divides
        ("GlobalLpPool", 636),  # 3*210 + 6 = 636
    ],
)
def test_global_pool(op: str, flops: int) -> None:
    assert work(op, [(2, 3, 5, 7)], [(2, 3, 1, 1)]) == Work(0, flops)


def test_global_pool_output_must_be_1x1() -> None:
    with pytest.raises(FormulaError, match="GlobalAveragePool"):
        work("GlobalAveragePool", [(2, 3, 5, 7)], [(2, 3, 5, 1)])
