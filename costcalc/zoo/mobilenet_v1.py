"""MobileNet (v1): Howard et al., "MobileNets: Efficient Convolutional Neural Networks
for Mobile Vision Applications", 2017, Table 1.

Every layer is Conv-BN-ReLU; the 13 depthwise separable blocks are a 3x3 depthwise conv
followed by a 1x1 pointwise conv. Table 1 prints "Conv dw / s2" for the last depthwise
layer but its input and output are both 7x7, so it runs at stride 1 (as in the
reference implementations). Global average pool, then FC 1024 -> 1000 with bias.
1.0 MobileNet-224: 569M MACs, 4.2M params (Table 4); 0.5: 149M, 1.3M (Table 6).
"""

from __future__ import annotations

import torch
from torch import nn

from costcalc.zoo.layers import ConvBNAct, init_weights

#: (output channels, stride) of the 13 depthwise separable blocks, Table 1.
_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    *((512, 1),) * 5,
    (1024, 2),
    (1024, 1),
)


class DepthwiseSeparable(nn.Sequential):
    """3x3 depthwise Conv-BN-ReLU then 1x1 pointwise Conv-BN-ReLU (MobileNet Fig. 3)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__(
            ConvBNAct(in_channels, in_channels, 3, stride=stride, groups=in_channels),
            ConvBNAct(in_channels, out_channels, 1),
        )


class MobileNetV1(nn.Module):
    """MobileNet v1 with width multiplier ``alpha`` (Sec. 3.3) applied to every layer."""

    def __init__(self, width_mult: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()

        def ch(c: int) -> int:
            return int(c * width_mult)

        in_c = ch(32)
        layers: list[nn.Module] = [ConvBNAct(3, in_c, 3, stride=2)]
        for out_c, stride in _BLOCKS:
            layers.append(DepthwiseSeparable(in_c, ch(out_c), stride))
            in_c = ch(out_c)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(in_c, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def mobilenet_v1(width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV1:
    """MobileNet v1 (Howard et al. 2017, Table 1) at width multiplier ``width_mult``."""
    return MobileNetV1(width_mult=width_mult, num_classes=num_classes)
