"""PyTorch modules for the adversarial suite (importable as model specs)."""

from __future__ import annotations

import torch
from torch import nn


@torch.library.custom_op("costcalc_adversarial::wobble", mutates_args=())
def wobble(x: torch.Tensor) -> torch.Tensor:
    """A custom op with a meta (fake) kernel and no cost formula."""
    return torch.sin(x) * 2


@wobble.register_fake
def _(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


@torch.library.custom_op("costcalc_adversarial::relu", mutates_args=())
def fake_relu(x: torch.Tensor) -> torch.Tensor:
    """Named like aten's relu, but someone else's op: no CPU-free meta kernel either."""
    return x.clamp(min=0) + 1


class CustomOps(nn.Module):
    """Linear(4, 3), then the two custom ops, then an add."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fake_relu(wobble(self.fc(x))) + 1


class TupleAndDict(nn.Module):
    """Returns a tuple holding a tensor and a dict of a tensor and a list of one."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor):
        y = self.fc(x)
        return y, {"relu": torch.relu(y), "scaled": [y * 2]}


class KeywordRequired(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor, *, scale: float) -> torch.Tensor:
        return self.fc(x) * scale


class KeywordDefault(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor, *, scale: float = 2.0) -> torch.Tensor:
        return self.fc(x) * scale


class FailsEverywhere(nn.Module):
    """Its constructor fails on any device."""

    def __init__(self) -> None:
        super().__init__()
        raise RuntimeError("checkpoint 'weights.pt' not found")
