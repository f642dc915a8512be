"""Building blocks shared by the zoo architectures (plain ``torch.nn``).

Everything here is shape-only at construction time, so the modules can be built on the
``meta`` device (``with torch.device("meta"): ...``) and analysed without allocating
weights.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

#: An activation factory: called with the channel count (needed by ``nn.PReLU``).
ActFactory = Callable[[int], nn.Module]


def relu(channels: int) -> nn.Module:
    """``nn.ReLU`` (the channel count is ignored)."""
    return nn.ReLU(inplace=True)


def relu6(channels: int) -> nn.Module:
    """``nn.ReLU6``, the MobileNetV2 activation."""
    return nn.ReLU6(inplace=True)


def hardswish(channels: int) -> nn.Module:
    """``nn.Hardswish``, the MobileNetV3 "HS" activation."""
    return nn.Hardswish(inplace=True)


def prelu(channels: int) -> nn.Module:
    """Per-channel ``nn.PReLU`` (one learnable slope per channel), as in MobileFaceNet."""
    return nn.PReLU(channels)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, never going down by >10%.

    The channel rounding rule of the MobileNetV2/V3 reference implementations.
    """
    if min_value is None:
        min_value = divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d -> optional activation, "same" padding."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        act: ActFactory | None = relu,
        padding: int | None = None,
        bn_eps: float = 1e-5,
        bn_momentum: float = 0.1,
    ) -> None:
        if padding is None:
            padding = (kernel_size - 1) // 2
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels, eps=bn_eps, momentum=bn_momentum),
        ]
        if act is not None:
            layers.append(act(out_channels))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation (Hu et al., SENet, Fig. 3): global average pool, FC ->
    ReLU -> FC -> gate, channel-wise rescale. The FCs are 1x1 convs with bias."""

    def __init__(
        self,
        channels: int,
        squeeze_channels: int,
        gate: Callable[[], nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1, bias=True)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))
        return x * scale


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet channel shuffle (Zhang et al., ShuffleNet, Sec. 3.1, Fig. 1):
    reshape to (N, g, C/g, H, W), transpose the two channel axes, flatten back."""
    n, c, h, w = x.shape
    x = x.view(n, groups, c // groups, h, w)
    x = x.transpose(1, 2)
    return x.reshape(n, c, h, w)


def init_weights(model: nn.Module) -> None:
    """Standard initialisation (He normal for convs, unit BN, small-normal FCs).

    Works on the ``meta`` device: no value is read back.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
