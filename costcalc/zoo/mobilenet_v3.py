"""MobileNetV3: Howard et al., "Searching for MobileNetV3", ICCV 2019, Table 1 (Large)
and Table 2 (Small); Table 3: Large 1.0 219M MACs / 5.4M params, Small 1.0 56M / 2.5M.

Layer configuration as in torchvision's ``mobilenet_v3_large`` / ``mobilenet_v3_small``:
SE squeeze width ``make_divisible(expanded // 4, 8)`` with biased 1x1 convs, ReLU then
hard-sigmoid; last stage 1x1 conv to 6x the last bottleneck width; classifier
Linear -> Hardswish -> Dropout(0.2) -> Linear with 1280 (Large) / 1024 (Small) hidden.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from costcalc.zoo.layers import (
    ActFactory,
    ConvBNAct,
    SqueezeExcite,
    hardswish,
    init_weights,
    make_divisible,
    relu,
)

_BN = {"bn_eps": 0.001, "bn_momentum": 0.01}


class BneckConfig(NamedTuple):
    """One row of Table 1/2: input, kernel, expanded ("exp size"), output, SE, NL, stride."""

    in_channels: int
    kernel: int
    expanded: int
    out_channels: int
    use_se: bool
    hardswish: bool
    stride: int


LARGE: tuple[BneckConfig, ...] = (
    BneckConfig(16, 3, 16, 16, False, False, 1),
    BneckConfig(16, 3, 64, 24, False, False, 2),
    BneckConfig(24, 3, 72, 24, False, False, 1),
    BneckConfig(24, 5, 72, 40, True, False, 2),
    BneckConfig(40, 5, 120, 40, True, False, 1),
    BneckConfig(40, 5, 120, 40, True, False, 1),
    BneckConfig(40, 3, 240, 80, False, True, 2),
    BneckConfig(80, 3, 200, 80, False, True, 1),
    BneckConfig(80, 3, 184, 80, False, True, 1),
    BneckConfig(80, 3, 184, 80, False, True, 1),
    BneckConfig(80, 3, 480, 112, True, True, 1),
    BneckConfig(112, 3, 672, 112, True, True, 1),
    BneckConfig(112, 5, 672, 160, True, True, 2),
    BneckConfig(160, 5, 960, 160, True, True, 1),
    BneckConfig(160, 5, 960, 160, True, True, 1),
)

SMALL: tuple[BneckConfig, ...] = (
    BneckConfig(16, 3, 16, 16, True, False, 2),
    BneckConfig(16, 3, 72, 24, False, False, 2),
    BneckConfig(24, 3, 88, 24, False, False, 1),
    BneckConfig(24, 5, 96, 40, True, True, 2),
    BneckConfig(40, 5, 240, 40, True, True, 1),
    BneckConfig(40, 5, 240, 40, True, True, 1),
    BneckConfig(40, 5, 120, 48, True, True, 1),
    BneckConfig(48, 5, 144, 48, True, True, 1),
    BneckConfig(48, 5, 288, 96, True, True, 2),
    BneckConfig(96, 5, 576, 96, True, True, 1),
    BneckConfig(96, 5, 576, 96, True, True, 1),
)


class Bneck(nn.Module):
    """MobileNetV3 block: 1x1 expand (skipped when exp == in), kxk depthwise, optional
    SE, linear 1x1 projection; identity shortcut when stride 1 and in == out."""

    def __init__(self, cfg: BneckConfig) -> None:
        super().__init__()
        act: ActFactory = hardswish if cfg.hardswish else relu
        self.use_residual = cfg.stride == 1 and cfg.in_channels == cfg.out_channels
        layers: list[nn.Module] = []
        if cfg.expanded != cfg.in_channels:
            layers.append(ConvBNAct(cfg.in_channels, cfg.expanded, 1, act=act, **_BN))
        layers.append(
            ConvBNAct(
                cfg.expanded,
                cfg.expanded,
                cfg.kernel,
                stride=cfg.stride,
                groups=cfg.expanded,
                act=act,
                **_BN,
            )
        )
        if cfg.use_se:
            squeeze = make_divisible(cfg.expanded // 4, 8)
            layers.append(SqueezeExcite(cfg.expanded, squeeze, gate=nn.Hardsigmoid))
        layers.append(ConvBNAct(cfg.expanded, cfg.out_channels, 1, act=None, **_BN))
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_residual:
            return x + self.block(x)
        return self.block(x)


class MobileNetV3(nn.Module):
    """MobileNetV3 built from a list of :class:`BneckConfig` rows."""

    def __init__(
        self,
        config: tuple[BneckConfig, ...],
        last_channel: int,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        first = config[0].in_channels
        layers: list[nn.Module] = [ConvBNAct(3, first, 3, stride=2, act=hardswish, **_BN)]
        layers += [Bneck(cfg) for cfg in config]
        last_in = config[-1].out_channels
        last_conv = 6 * last_in
        layers.append(ConvBNAct(last_in, last_conv, 1, act=hardswish, **_BN))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(last_channel, num_classes),
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def mobilenet_v3_large(num_classes: int = 1000) -> MobileNetV3:
    """MobileNetV3-Large 1.0 (Howard et al. 2019, Table 1)."""
    return MobileNetV3(LARGE, last_channel=1280, num_classes=num_classes)


def mobilenet_v3_small(num_classes: int = 1000) -> MobileNetV3:
    """MobileNetV3-Small 1.0 (Howard et al. 2019, Table 2)."""
    return MobileNetV3(SMALL, last_channel=1024, num_classes=num_classes)
