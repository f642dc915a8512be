"""Movement and free ops cost no FLOPs; Resize/Upsample interpolation does."""

from __future__ import annotations

import pytest

from costcalc.ops import Work
from costcalc.ops.common import FormulaError

from .builders import const, work

X = (1, 3, 5, 7)
Y = (1, 3, 10, 14)  # 1*3*10*14 = 420 output elements


def _resize(mode: str | bytes | None, y: tuple = Y) -> Work:
    attrs = {} if mode is None else {"mode": mode}
    return work("Resize", [X, None, const(4)], [y], **attrs)


@pytest.mark.parametrize(
    ("mode", "flops"),
    [
        (None, 0),  # default nearest copies
        ("nearest", 0),
        # r = 2 resized axes: 2**2 = 4 multiplies + 3 adds = 7 per output: 7 * 420 = 2,940
        ("linear", 2940),
        (b"linear", 2940),
        # 4**2 = 16 multiplies + 15 adds = 31 per output: 31 * 420 = 13,020
        ("cubic", 13020),
    ],
)
def test_resize_modes(mode: str | bytes | None, flops: int) -> None:
    assert _resize(mode) == Work(0, flops)


def test_resize_counts_only_the_axes_that_change() -> None:
    # only H changes: r = 1, 2 multiplies + 1 add = 3 per output; 1*3*10*7 = 210: 630
    assert _resize("linear", (1, 3, 10, 7)) == Work(0, 630)


@pytest.mark.parametrize("mode", ["linear", "bilinear"])
def test_upsample_linear(mode: str) -> None:
    # as Resize linear: 7 * 420 = 2,940
    assert work("Upsample", [X, const(4)], [Y], mode=mode) == Work(0, 2940)


def test_resize_unknown_mode_is_an_error() -> None:
    with pytest.raises(FormulaError, match=r"Resize node 'n0'.*'area'"):
        _resize("area")


def test_resize_rank_mismatch_is_an_error() -> None:
    with pytest.raises(FormulaError, match="rank"):
        _resize("linear", (3, 10, 14))


@pytest.mark.parametrize(
    ("op", "inputs", "outputs"),
    [
        ("Transpose", [(3, 5, 7)], [(7, 5, 3)]),
        ("Concat", [(3, 5), (3, 7)], [(3, 12)]),
        ("Slice", [(3, 5, 7), const(1), const(1)], [(3, 2, 7)]),
        ("Reshape", [(3, 5, 7), const(2)], [(15, 7)]),
        ("Gather", [(11, 7), (3, 5)], [(3, 5, 7)]),
    ],
)
def test_movement_and_free_ops_do_no_arithmetic(op: str, inputs: list, outputs: list) -> None:
    assert work(op, inputs, outputs) == Work(0, 0)
