"""ShuffleNet (v1): Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional
Neural Network for Mobile Devices", CVPR 2018, Table 1 (architecture and complexity:
143/140/137/133/137M MACs for 1x, g = 1/2/3/4/8).

Conventions of the official implementation (megvii-model/ShuffleNet-Series): bias-free
convs, each followed by BN; unit = 1x1 GConv -> BN -> ReLU -> channel shuffle -> 3x3
depthwise (stride s) -> BN -> 1x1 GConv -> BN; bottleneck width = unit output / 4;
the first 1x1 of Stage 2 is not grouped (its input has only 24 channels); stride-1
units add the identity then ReLU, stride-2 units concatenate a 3x3/s2 average pool of
the input with the branch (whose width is output - input) then ReLU; global average
pool and a bias-free FC.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from costcalc.zoo.layers import ConvBNAct, channel_shuffle, init_weights

#: Output channels of Stages 2/3/4 for ShuffleNet 1x, by number of groups (Table 1).
STAGE_CHANNELS: dict[int, tuple[int, int, int]] = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
STAGE_REPEATS: tuple[int, int, int] = (4, 8, 4)


class ShuffleUnit(nn.Module):
    """ShuffleNet unit (Fig. 2b for stride 1, Fig. 2c for stride 2)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        groups: int,
        stride: int,
        group_first_conv: bool = True,
    ) -> None:
        super().__init__()
        self.stride = stride
        self.groups = groups
        mid = out_channels // 4
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        self.gconv1 = ConvBNAct(in_channels, mid, 1, groups=groups if group_first_conv else 1)
        self.dwconv = ConvBNAct(mid, mid, 3, stride=stride, groups=mid, act=None)
        self.gconv2 = ConvBNAct(mid, branch_out, 1, groups=groups, act=None)
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.gconv1(x)
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.gconv2(self.dwconv(out))
        if self.shortcut is None:
            return F.relu(x + out)
        return torch.cat((self.shortcut(x), F.relu(out)), dim=1)


class ShuffleNetV1(nn.Module):
    """ShuffleNet 1x with ``groups`` in {1, 2, 3, 4, 8}."""

    def __init__(self, groups: int = 3, num_classes: int = 1000) -> None:
        super().__init__()
        if groups not in STAGE_CHANNELS:
            raise ValueError(f"groups must be one of {sorted(STAGE_CHANNELS)}, got {groups}")
        in_c = 24
        self.conv1 = ConvBNAct(3, in_c, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        stages: list[nn.Module] = []
        for stage, (out_c, repeats) in enumerate(
            zip(STAGE_CHANNELS[groups], STAGE_REPEATS, strict=True)
        ):
            units: list[nn.Module] = []
            for i in range(repeats):
                units.append(
                    ShuffleUnit(
                        in_c,
                        out_c,
                        groups,
                        stride=2 if i == 0 else 1,
                        group_first_conv=not (stage == 0 and i == 0),
                    )
                )
                in_c = out_c
            stages.append(nn.Sequential(*units))
        self.stage2, self.stage3, self.stage4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_c, num_classes, bias=False)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def shufflenet_v1(groups: int = 3, num_classes: int = 1000) -> ShuffleNetV1:
    """ShuffleNet 1x (Zhang et al. 2018, Table 1) with ``groups`` pointwise groups."""
    return ShuffleNetV1(groups=groups, num_classes=num_classes)
