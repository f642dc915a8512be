"""Small PyTorch modules for the frontend tests (importable as model specs)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Functional(nn.Module):
    """Only functional calls: a grouped F.conv2d, a broadcast multiply, a mean, a matmul."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 2, 3, 3))  # 8 -> 8 channels, groups 4
        self.scale = nn.Parameter(torch.ones(8))
        self.proj = nn.Parameter(torch.randn(8, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, self.w, padding=1, groups=4)
        y = y * self.scale.view(1, 8, 1, 1)
        z = y.mean((2, 3))
        out = z @ self.proj
        return torch.cat([out, out], 1)


class Tied(nn.Module):
    """Two Linear layers sharing one weight, and one module called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(16, 16, bias=False)
        self.b = nn.Linear(16, 16, bias=False)
        self.b.weight = self.a.weight
        self.act = nn.ReLU()
        self.unused = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.b(self.act(self.a(x))))


class DataDependent(nn.Module):
    """Branches on a tensor's value: impossible on the meta device."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.fc(x)
        return self.fc(x) * 2


def linear_stack_70b() -> nn.Module:
    """261 Linear layers of 16384 x 16384: 261 * 268,435,456 = 70,061,654,016 weights."""
    return nn.Sequential(*[nn.Linear(16384, 16384, bias=False) for _ in range(261)])


class ReadsWeights(nn.Module):
    """Its constructor reads a weight value, which the meta device cannot give."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.gain = float(self.conv.weight.detach().abs().max()) + 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) * self.gain


class LightweightBlocks(nn.Module):
    """One of each pattern on a 1x8x6x6 input: depthwise-separable 8->16 with SE (r=4)
    between, a channel shuffle (g=2), a 1x1 group conv (g=4) and a GDC head."""

    def __init__(self) -> None:
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.se_fc1 = nn.Conv2d(8, 2, 1)
        self.se_fc2 = nn.Conv2d(2, 8, 1)
        self.pw = nn.Conv2d(8, 16, 1, bias=False)
        self.gconv = nn.Conv2d(16, 16, 1, groups=4, bias=False)
        self.gdc = nn.Conv2d(16, 16, 6, groups=16, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn(self.dw(x)))
        gate = torch.sigmoid(self.se_fc2(torch.relu(self.se_fc1(x.mean((2, 3), keepdim=True)))))
        x = self.pw(x * gate)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        return self.gdc(self.gconv(x))
