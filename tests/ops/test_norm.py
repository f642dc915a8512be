"""Normalisations: statistics per element and per group, affine terms, derived by hand."""

from __future__ import annotations

import pytest

from costcalc.ops import Work
from costcalc.ops.common import FormulaError

from .builders import const, work


def _bn_inputs(channels: int) -> list:
    return [(2, 3, 5, 7), *(const(channels) for _ in range(4))]


def test_batch_norm_inference_is_one_scale_and_one_shift() -> None:
    # x (2, 3, 5, 7) = 210 elements; scale + shift: 2 * 210 = 420
    assert work("BatchNormalization", _bn_inputs(3), [(2, 3, 5, 7)]) == Work(0, 420)


def test_batch_norm_statistics_of_the_wrong_size_are_an_error() -> None:
    # 4 statistics for 3 channels
    with pytest.raises(FormulaError, match=r"BatchNormalization node 'n0'.*3 elements"):
        work("BatchNormalization", _bn_inputs(4), [(2, 3, 5, 7)])


def test_layer_norm_default_axis_is_last() -> None:
    # x (3, 5, 7): E = 105, G = 3*5 = 15
    # stats 5*105 = 525, per group 4*15 = 60, scale+bias 2*105 = 210: 795
    w = work("LayerNormalization", [(3, 5, 7), const(7), const(7)], [(3, 5, 7)])
    assert w == Work(0, 795)


def test_layer_norm_axis_1() -> None:
    # normalises (5, 7): G = 3; 525 + 4*3 + 210 = 747
    w = work("LayerNormalization", [(3, 5, 7), const(5, 7), const(5, 7)], [(3, 5, 7)], axis=1)
    assert w == Work(0, 747)


def test_layer_norm_without_bias() -> None:
    # 525 + 60 + scale only 1*105 = 690
    w = work("LayerNormalization", [(3, 5, 7), const(7)], [(3, 5, 7)])
    assert w == Work(0, 690)


def test_layer_norm_axis_out_of_range_is_an_error() -> None:
    with pytest.raises(FormulaError, match=r"LayerNormalization node 'n0'.*axis 3"):
        work("LayerNormalization", [(3, 5, 7), const(7)], [(3, 5, 7)], axis=3)


def test_group_norm() -> None:
    # x (2, 6, 5, 7): E = 420; num_groups 3 -> G = 2*3 = 6
    # 5*420 + 4*6 + 2*420 = 2100 + 24 + 840 = 2964
    w = work("GroupNormalization", [(2, 6, 5, 7), const(6), const(6)], [(2, 6, 5, 7)], num_groups=3)
    assert w == Work(0, 2964)


@pytest.mark.parametrize("groups", [4, None])
def test_group_norm_needs_groups_dividing_channels(groups: int | None) -> None:
    attrs = {} if groups is None else {"num_groups": groups}
    with pytest.raises(FormulaError, match="num_groups"):
        work("GroupNormalization", [(2, 6, 5, 7), const(6), const(6)], [(2, 6, 5, 7)], **attrs)


def test_instance_norm() -> None:
    # x (2, 3, 5, 7): E = 210, G = 2*3 = 6; 5*210 + 4*6 + 2*210 = 1050 + 24 + 420 = 1494
    w = work("InstanceNormalization", [(2, 3, 5, 7), const(3), const(3)], [(2, 3, 5, 7)])
    assert w == Work(0, 1494)


def test_instance_norm_scale_of_the_wrong_size_is_an_error() -> None:
    with pytest.raises(FormulaError, match="InstanceNormalization"):
        work("InstanceNormalization", [(2, 3, 5, 7), const(5), const(5)], [(2, 3, 5, 7)])


def test_rms_norm() -> None:
    # x (3, 5, 7): E = 105, G = 15; 3*105 + 3*15 + scale 1*105 = 315 + 45 + 105 = 465
    assert work("RMSNormalization", [(3, 5, 7), const(7)], [(3, 5, 7)]) == Work(0, 465)


def test_norm_needs_a_channel_axis() -> None:
    with pytest.raises(FormulaError, match="channel"):
        work("BatchNormalization", [(7,), const(7), const(7), const(7), const(7)], [(7,)])
