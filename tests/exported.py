"""A ShuffleNetV2-style network exported by torch's TorchScript exporter, for the tests.

Its channel split (``chunk``), channel shuffle (``view/transpose/reshape``) and flatten
(``view(n, -1)``) export as run-time shape arithmetic, which is what makes exported models
hard to shape-infer.
"""

from __future__ import annotations

import warnings
from pathlib import Path


def export_shuffle_net(path: Path) -> None:
    import torch
    from torch import nn

    class Unit(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            half = channels // 2
            self.pw1 = nn.Conv2d(half, half, 1, bias=False)
            self.dw = nn.Conv2d(half, half, 3, padding=1, groups=half, bias=False)
            self.pw2 = nn.Conv2d(half, half, 1, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            a, b = x.chunk(2, dim=1)
            b = self.pw2(self.dw(torch.relu(self.pw1(b))))
            x = torch.cat([a, b], 1)
            n, c, h, w = x.shape
            return x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
            self.unit = Unit(16)
            self.fc = nn.Linear(16, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.unit(self.stem(x)).mean((2, 3))
            return self.fc(x.view(x.size(0), -1))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Net().eval(), (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False,
            input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}},
        )  # fmt: skip
