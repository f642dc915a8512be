"""Conv and ConvTranspose, end to end through the ONNX frontend, against closed forms.

Conv MACs = N * Cout * prod(out_spatial) * (Cin / groups) * prod(kernel).
ConvTranspose MACs = N * Cin * prod(in_spatial) * (Cout / groups) * prod(kernel).
"""

from __future__ import annotations

from math import prod

import pytest
from onnx import helper

import costcalc
from costcalc.errors import CostcalcError
from tests.onnx_models import conv_model, model, weight


def only_layer(proto):
    (row,) = costcalc.analyze(proto).layers
    return row


def test_mobilenet_table3_standard_conv():
    # 14x14x512 input, 3x3 conv 512->512, same padding (MobileNet paper, Table 3)
    row = only_layer(conv_model((1, 512, 14, 14), (512, 512, 3, 3), pads=[1, 1, 1, 1]))
    # 14*14*512*3*3*512 = 462,422,016
    assert row.macs == 462_422_016
    # 3*3*512*512 = 2,359,296
    assert row.params == 2_359_296
    assert row.outputs == [[1, 512, 14, 14]]


def test_mobilenet_table3_depthwise_separable():
    # depthwise 3x3 on 512 channels, then pointwise 512->512, on a 14x14x512 input
    nodes = [
        helper.make_node("Conv", ["x", "Wd"], ["d"], name="dw", group=512, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["d", "Wp"], ["y"], name="pw"),
    ]
    inits = [weight("Wd", (512, 1, 3, 3)), weight("Wp", (512, 512, 1, 1))]
    report = costcalc.analyze(model(nodes, {"x": (1, 512, 14, 14)}, ["y"], inits))
    dw, pw = report.layers
    # depthwise: 14*14*512*3*3 = 903,168; pointwise: 14*14*512*512 = 51,380,224
    assert dw.macs == 903_168
    assert pw.macs == 51_380_224
    # 903,168 + 51,380,224 = 52,283,392 (Table 3)
    assert report.totals.macs == 52_283_392
    # 512*3*3 + 512*512 = 4,608 + 262,144 = 266,752 (Table 3)
    assert report.totals.params == 266_752


@pytest.mark.parametrize(
    ("x", "w", "attrs", "out", "macs"),
    [
        # dense 3x5 kernel, pads 1/2: out 11x13; 10*11*13*6*3*5 = 128,700
        ((1, 6, 11, 13), (10, 6, 3, 5), {"pads": [1, 2, 1, 2]}, [1, 10, 11, 13], 128_700),
        # batch 2 of the same: 2*128,700 = 257,400
        ((2, 6, 11, 13), (10, 6, 3, 5), {"pads": [1, 2, 1, 2]}, [2, 10, 11, 13], 257_400),
        # groups 2: Cin 8, Cout 12, 3x3 valid on 10x10 -> 8x8; 12*8*8*(8/2)*9 = 27,648
        ((1, 8, 10, 10), (12, 4, 3, 3), {"group": 2}, [1, 12, 8, 8], 27_648),
        # groups 4, 1x1: 12*10*10*(8/4)*1 = 2,400
        ((1, 8, 10, 10), (12, 2, 1, 1), {"group": 4}, [1, 12, 10, 10], 2_400),
        # depthwise 3x3 on 9x9 with pad 1: 8*9*9*1*9 = 5,832
        ((1, 8, 9, 9), (8, 1, 3, 3), {"group": 8, "pads": [1, 1, 1, 1]}, [1, 8, 9, 9], 5_832),
        # depthwise with channel multiplier 2: Cout 16, 16*9*9*1*9 = 11,664
        ((1, 8, 9, 9), (16, 1, 3, 3), {"group": 8, "pads": [1, 1, 1, 1]}, [1, 16, 9, 9], 11_664),
        # pointwise 7->11 on 5x6: 11*5*6*7 = 2,310
        ((1, 7, 5, 6), (11, 7, 1, 1), {}, [1, 11, 5, 6], 2_310),
        # dilation 2 (effective 5x5) valid on 17x17 -> 13x13: 5*13*13*3*9 = 22,815
        ((1, 3, 17, 17), (5, 3, 3, 3), {"dilations": [2, 2]}, [1, 5, 13, 13], 22_815),
        # stride 2, pad 1 on 17x17: (17+2-3)//2+1 = 9 -> 9x9; 5*9*9*3*9 = 10,935
        (
            (1, 3, 17, 17),
            (5, 3, 3, 3),
            {"strides": [2, 2], "pads": [1, 1, 1, 1]},
            [1, 5, 9, 9],
            10_935,
        ),
        # SAME_UPPER stride 2 on 15x15: ceil(15/2) = 8 -> 8x8; 6*8*8*4*9 = 13,824
        (
            (1, 4, 15, 15),
            (6, 4, 3, 3),
            {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
            [1, 6, 8, 8],
            13_824,
        ),
        # global depthwise (kernel = input 7x7, MobileFaceNet's GDC): 64*1*1*1*49 = 3,136
        ((1, 64, 7, 7), (64, 1, 7, 7), {"group": 64}, [1, 64, 1, 1], 3_136),
        # conv1d, kernel 5 on length 50 -> 46: 8*46*4*5 = 7,360
        ((1, 4, 50), (8, 4, 5), {}, [1, 8, 46], 7_360),
        # conv3d 3x3x3 pad 1 on 6x7x8: 3*(6*7*8)*2*27 = 3*336*54 = 54,432
        ((1, 2, 6, 7, 8), (3, 2, 3, 3, 3), {"pads": [1] * 6}, [1, 3, 6, 7, 8], 54_432),
    ],
)
def test_conv_closed_forms(x, w, attrs, out, macs):
    row = only_layer(conv_model(x, w, **attrs))
    assert row.outputs == [out]
    assert row.macs == macs
    assert row.flops == 2 * macs  # no bias: FLOPs are exactly 2 x MACs
    # weights: every element of W, counted once
    assert row.params == prod(w)


def test_global_depthwise_has_chw_weights():
    # GDC on 512x7x7 (MobileFaceNet): C*H*W = 512*7*7 = 25,088 weights and 25,088 MACs
    row = only_layer(conv_model((1, 512, 7, 7), (512, 1, 7, 7), group=512))
    assert row.params == 25_088
    assert row.macs == 25_088


def test_conv_bias_adds_one_flop_per_output():
    # pointwise 7->11 on 5x6 with bias: MACs 2,310; outputs 11*5*6 = 330
    row = only_layer(conv_model((1, 7, 5, 6), (11, 7, 1, 1), bias=True))
    assert row.macs == 2_310
    # 2*2,310 + 330 = 4,950
    assert row.flops == 4_950
    # weights 11*7 = 77 plus bias 11 = 88
    assert row.params == 88


def test_conv_transpose_grouped_with_output_padding():
    # Cin 4, group 2, W (Cin=4, Cout/group=3, 3, 3) -> Cout 6; stride 2, output_padding 1:
    # out = (5-1)*2 + 3 + 1 = 12
    proto = conv_model(
        (1, 4, 5, 5), (4, 3, 3, 3), bias=True, op="ConvTranspose",
        group=2, strides=[2, 2], output_padding=[1, 1],
    )  # fmt: skip
    row = only_layer(proto)
    assert row.outputs == [[1, 6, 12, 12]]
    # N*Cin*H*W*(Cout/group)*k*k = 1*4*5*5*3*9 = 2,700 (a formula using Cout, not
    # Cout/group, would give 5,400)
    assert row.macs == 2_700
    # weights 4*3*3*3 = 108, bias 6: 114
    assert row.params == 114
    # 2*2,700 + bias adds 6*12*12 = 864 -> 6,264
    assert row.flops == 6_264


def test_conv_transpose_depthwise():
    # depthwise transposed: Cin = Cout = group = 8, W (8, 1, 3, 3), pad 1, stride 1: 4x4 -> 4x4
    row = only_layer(
        conv_model((1, 8, 4, 4), (8, 1, 3, 3), op="ConvTranspose", group=8, pads=[1, 1, 1, 1])
    )
    assert row.outputs == [[1, 8, 4, 4]]
    # 8*4*4*1*9 = 1,152
    assert row.macs == 1_152


def test_conv_transpose_output_shape_attribute():
    # output_shape fixes the spatial size to 10x10 (stride 2 from 5x5, kernel 3);
    # the MACs depend only on the input: 1*3*5*5*2*9 = 1,350
    row = only_layer(
        conv_model(
            (1, 3, 5, 5), (3, 2, 3, 3), op="ConvTranspose", strides=[2, 2], output_shape=[10, 10]
        )
    )
    assert row.outputs == [[1, 2, 10, 10]]
    assert row.macs == 1_350


def test_groups_not_dividing_channels_is_rejected():
    # Cin 6 with group 4: 6 % 4 != 0, weight (8, 1, 3, 3) cannot fit
    proto = conv_model((1, 6, 8, 8), (8, 1, 3, 3), group=4)
    with pytest.raises(CostcalcError, match="group"):
        costcalc.analyze(proto)
