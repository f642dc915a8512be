"""ShuffleNet V2: Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN
Architecture Design", ECCV 2018, Table 5 (architecture, FLOPs 41/146/299/591M and
weights 1.4/2.3/3.5/7.4M for 0.5x/1x/1.5x/2x).

Layer configuration as in torchvision's ``shufflenet_v2_x*``: channel split with
``chunk(2, dim=1)``, the basic unit (Fig. 3c) and the down-sampling unit (Fig. 3d),
channel shuffle with 2 groups after the concat, conv5 1x1, global mean, FC with bias.
"""

from __future__ import annotations

import torch
from torch import nn

from costcalc.zoo.layers import ConvBNAct, channel_shuffle, init_weights

#: Output channels of conv1, Stage 2/3/4 and conv5 by width (Table 5).
STAGE_CHANNELS: dict[str, tuple[int, int, int, int, int]] = {
    "0.5": (24, 48, 96, 192, 1024),
    "1.0": (24, 116, 232, 464, 1024),
    "1.5": (24, 176, 352, 704, 1024),
    "2.0": (24, 244, 488, 976, 2048),
}
STAGE_REPEATS: tuple[int, int, int] = (4, 8, 4)


class ShuffleV2Unit(nn.Module):
    """Basic unit (stride 1: split, right branch, concat, shuffle) or down-sampling
    unit (stride 2: both branches see the whole input)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        branch = out_channels // 2
        if stride == 1 and in_channels != 2 * branch:
            raise ValueError("a stride-1 unit needs in_channels == out_channels")
        self.branch1: nn.Module | None = None
        if stride > 1:
            self.branch1 = nn.Sequential(
                ConvBNAct(in_channels, in_channels, 3, stride, groups=in_channels, act=None),
                ConvBNAct(in_channels, branch, 1),
            )
        self.branch2 = nn.Sequential(
            ConvBNAct(in_channels if stride > 1 else branch, branch, 1),
            ConvBNAct(branch, branch, 3, stride, groups=branch, act=None),
            ConvBNAct(branch, branch, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.branch1 is None:
            left, right = x.chunk(2, dim=1)
            out = torch.cat((left, self.branch2(right)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet V2 at width ``"0.5"``, ``"1.0"``, ``"1.5"`` or ``"2.0"``."""

    def __init__(self, width: str = "1.0", num_classes: int = 1000) -> None:
        super().__init__()
        if width not in STAGE_CHANNELS:
            raise ValueError(f"width must be one of {sorted(STAGE_CHANNELS)}, got {width!r}")
        c1, *stage_c, c5 = STAGE_CHANNELS[width]
        self.conv1 = ConvBNAct(3, c1, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_c = c1
        stages: list[nn.Module] = []
        for out_c, repeats in zip(stage_c, STAGE_REPEATS, strict=True):
            units = [ShuffleV2Unit(in_c, out_c, 2)]
            units += [ShuffleV2Unit(out_c, out_c, 1) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*units))
            in_c = out_c
        self.stage2, self.stage3, self.stage4 = stages
        self.conv5 = ConvBNAct(in_c, c5, 1)
        self.fc = nn.Linear(c5, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean((2, 3)))


def shufflenet_v2(width: str = "1.0", num_classes: int = 1000) -> ShuffleNetV2:
    """ShuffleNet V2 (Ma et al. 2018, Table 5) at ``width`` x."""
    return ShuffleNetV2(width=width, num_classes=num_classes)
