"""ResNet-50 family with bottleneck blocks.

- ResNet-50: He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
  Table 1. Layer configuration as torchvision's ``resnet50`` ("v1.5": the stride of a
  down-sampling block sits on the 3x3 conv), 4.1G MACs (Table 1 says 3.8G for the
  original stride-on-1x1 layout).
- ResNeXt-50 (32x4d): Xie et al., "Aggregated Residual Transformations for Deep Neural
  Networks", CVPR 2017, Table 1 (25.0M params, 4.2G). As torchvision's
  ``resnext50_32x4d``: grouped 3x3 of width 2x the ResNet bottleneck, 32 groups.
- SE-ResNet-50: Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, Table 1
  (architecture) and Table 2 (28.1M params, 3.87G). SE (reduction 16, FCs as biased 1x1
  convs) on the residual branch before the addition. As in the official (Caffe) model
  and the common PyTorch port, the stride sits on the first 1x1 conv.
"""

from __future__ import annotations

import torch
from torch import nn

from costcalc.zoo.layers import ConvBNAct, SqueezeExcite, init_weights

LAYERS_50: tuple[int, int, int, int] = (3, 4, 6, 3)
EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (optionally grouped) -> 1x1 expand (x4), optional SE, then the
    shortcut (identity, or 1x1 conv + BN when the shape changes) and ReLU."""

    def __init__(
        self,
        in_channels: int,
        planes: int,
        stride: int = 1,
        groups: int = 1,
        base_width: int = 64,
        se_reduction: int | None = None,
        stride_in_1x1: bool = False,
    ) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        out_channels = planes * EXPANSION
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = ConvBNAct(in_channels, width, 1, stride=s1)
        self.conv2 = ConvBNAct(width, width, 3, stride=s3, groups=groups)
        self.conv3 = ConvBNAct(width, out_channels, 1, act=None)
        self.se = (
            SqueezeExcite(out_channels, out_channels // se_reduction)
            if se_reduction is not None
            else None
        )
        self.downsample = (
            ConvBNAct(in_channels, out_channels, 1, stride=stride, act=None)
            if stride != 1 or in_channels != out_channels
            else None
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(self.conv2(self.conv1(x)))
        if self.se is not None:
            out = self.se(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    """Bottleneck ResNet: 7x7/2 stem, 3x3/2 max pool, four stages, global pool, FC."""

    def __init__(
        self,
        layers: tuple[int, int, int, int] = LAYERS_50,
        groups: int = 1,
        width_per_group: int = 64,
        se_reduction: int | None = None,
        stride_in_1x1: bool = False,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.stem = ConvBNAct(3, 64, 7, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_c = 64
        stages: list[nn.Module] = []
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            units: list[nn.Module] = []
            for j in range(blocks):
                units.append(
                    Bottleneck(
                        in_c,
                        planes,
                        stride=2 if (j == 0 and i > 0) else 1,
                        groups=groups,
                        base_width=width_per_group,
                        se_reduction=se_reduction,
                        stride_in_1x1=stride_in_1x1,
                    )
                )
                in_c = planes * EXPANSION
            stages.append(nn.Sequential(*units))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_c, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.stem(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50(num_classes: int = 1000) -> ResNet:
    """ResNet-50 (He et al. 2016, Table 1), torchvision layout."""
    return ResNet(LAYERS_50, num_classes=num_classes)


def resnext50_32x4d(num_classes: int = 1000) -> ResNet:
    """ResNeXt-50 32x4d (Xie et al. 2017, Table 1), torchvision layout."""
    return ResNet(LAYERS_50, groups=32, width_per_group=4, num_classes=num_classes)


def se_resnet50(num_classes: int = 1000) -> ResNet:
    """SE-ResNet-50 (Hu et al. 2018, Tables 1-2), reduction 16, stride on the 1x1."""
    return ResNet(LAYERS_50, se_reduction=16, stride_in_1x1=True, num_classes=num_classes)
