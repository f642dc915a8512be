"""MobileNetV2: Sandler et al., "MobileNetV2: Inverted Residuals and Linear
Bottlenecks", CVPR 2018, Table 2 (architecture) and Table 4 (300M MACs, 3.4M params).

Layer configuration as in torchvision's ``mobilenet_v2`` (ReLU6, channels rounded to a
multiple of 8, 1x1 conv to 1280, dropout 0.2 then FC).
"""

from __future__ import annotations

import torch
from torch import nn

from costcalc.zoo.layers import ActFactory, ConvBNAct, init_weights, make_divisible, relu6

#: (expansion t, output channels c, repeats n, first stride s), Table 2.
SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class InvertedResidual(nn.Module):
    """Bottleneck residual block (Table 1): 1x1 expand (skipped when t == 1), 3x3
    depthwise, linear 1x1 projection; identity shortcut when stride 1 and in == out."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expand_ratio: int,
        act: ActFactory = relu6,
    ) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_channels, hidden, 1, act=act))
        layers += [
            ConvBNAct(hidden, hidden, 3, stride=stride, groups=hidden, act=act),
            ConvBNAct(hidden, out_channels, 1, act=None),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_residual:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 for 224x224 ImageNet classification."""

    def __init__(self, width_mult: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        in_c = make_divisible(32 * width_mult)
        last_c = make_divisible(1280 * max(1.0, width_mult))
        layers: list[nn.Module] = [ConvBNAct(3, in_c, 3, stride=2, act=relu6)]
        for t, c, n, s in SETTINGS:
            out_c = make_divisible(c * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(in_c, out_c, s if i == 0 else 1, t))
                in_c = out_c
        layers.append(ConvBNAct(in_c, last_c, 1, act=relu6))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last_c, num_classes))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def mobilenet_v2(width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV2:
    """MobileNetV2 (Sandler et al. 2018, Table 2) at width multiplier ``width_mult``."""
    return MobileNetV2(width_mult=width_mult, num_classes=num_classes)
