"""MobileFaceNet: Chen et al., "MobileFaceNets: Efficient CNNs for Accurate Real-Time
Face Verification on Mobile Devices", 2018, Table 1 (architecture; 0.99M params and
221M MAdds reported in the paper's comparison tables).

112x112 input; MobileNetV2 bottlenecks with PReLU (one slope per channel) instead of
ReLU6; BN after every conv; a linear global depthwise conv (GDConv 7x7, kernel = the
feature-map size) and a linear 1x1 conv to the 128-d embedding (followed by BN, as in
the common implementations). No classifier: the output is the (N, 128) embedding.
"""

from __future__ import annotations

import torch
from torch import nn

from costcalc.zoo.layers import ConvBNAct, init_weights, prelu
from costcalc.zoo.mobilenet_v2 import InvertedResidual

#: (expansion t, output channels c, repeats n, first stride s), Table 1.
SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (2, 64, 5, 2),
    (4, 128, 1, 2),
    (2, 128, 6, 1),
    (4, 128, 1, 2),
    (2, 128, 2, 1),
)


class MobileFaceNet(nn.Module):
    """MobileFaceNet for 112x112 faces, ``embedding_size``-d output."""

    def __init__(self, embedding_size: int = 128) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            ConvBNAct(3, 64, 3, stride=2, act=prelu),
            ConvBNAct(64, 64, 3, groups=64, act=prelu),
        ]
        in_c = 64
        for t, c, n, s in SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(in_c, c, s if i == 0 else 1, t, act=prelu))
                in_c = c
        layers.append(ConvBNAct(in_c, 512, 1, act=prelu))
        self.features = nn.Sequential(*layers)
        # Linear GDConv: 7x7 depthwise over the whole 7x7 map, no activation.
        self.gdconv = ConvBNAct(512, 512, 7, groups=512, act=None, padding=0)
        self.embedding = ConvBNAct(512, embedding_size, 1, act=None)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embedding(self.gdconv(self.features(x)))
        return torch.flatten(x, 1)


def mobilefacenet(embedding_size: int = 128) -> MobileFaceNet:
    """MobileFaceNet (Chen et al. 2018, Table 1)."""
    return MobileFaceNet(embedding_size=embedding_size)
