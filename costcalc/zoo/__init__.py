"""The zoo: reference architectures in plain PyTorch, each with its paper's figures.

Importing this package does not import torch: every entry's ``build`` is a lazy
builder that imports its family module on first call.

>>> from costcalc import zoo
>>> "mobilenet_v2" in zoo.names()
True
>>> zoo.get("mobilenet_v2").paper_macs
300000000
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from torch import nn

__all__ = ["ZooEntry", "get", "names"]

IMAGENET_INPUT: tuple[int, ...] = (1, 3, 224, 224)
FACE_INPUT: tuple[int, ...] = (1, 3, 112, 112)


@dataclass(frozen=True)
class ZooEntry:
    """A zoo architecture and the figures its paper reports (rounded, as integers)."""

    name: str
    build: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    paper_params: int | None
    paper_macs: int | None
    reference: str
    note: str = ""


@dataclass(frozen=True)
class _LazyBuilder:
    """Calls ``costcalc.zoo.<module>.<factory>(**kwargs)``, importing it on demand."""

    module: str
    factory: str
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False)

    def __call__(self) -> nn.Module:
        family = import_module(f"{__name__}.{self.module}")
        return getattr(family, self.factory)(**self.kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{__name__}.{self.module}:{self.factory}({args})"


def _lazy(module: str, factory: str, **kwargs: Any) -> Callable[[], nn.Module]:
    return _LazyBuilder(module, factory, kwargs)


_MOBILENET_V1 = "Howard et al. 2017, MobileNets, Table 1 (architecture)"
_SHUFFLENET_V1 = "Zhang et al. 2018, ShuffleNet, Table 1 (architecture, 1x complexity)"
_SHUFFLENET_V1_NOTE = (
    "No torchvision version; built per the paper and the official megvii implementation "
    "(bias-free convs with BN, bias-free FC, bottleneck = output/4, ungrouped first 1x1 "
    "in Stage 2). The paper gives no parameter count for 1x. Conv + linear MACs "
    "(bias-free FC included) are within 1.0% of Table 1 (g = 4: 134.3M vs 133M)."
)
_SHUFFLENET_V2 = "Ma et al. 2018, ShuffleNet V2, Table 5 (architecture, FLOPs, weights)"

_ENTRIES: tuple[ZooEntry, ...] = (
    ZooEntry(
        "mobilenet_v1",
        _lazy("mobilenet_v1", "mobilenet_v1", width_mult=1.0),
        IMAGENET_INPUT,
        4_200_000,
        569_000_000,
        f"{_MOBILENET_V1}; Table 4 (1.0 MobileNet-224: 569M Mult-Adds, 4.2M params)",
        "Table 1 prints s2 for the last depthwise conv; it runs at stride 1 (7x7 in and out).",
    ),
    ZooEntry(
        "mobilenet_v1_0.5",
        _lazy("mobilenet_v1", "mobilenet_v1", width_mult=0.5),
        IMAGENET_INPUT,
        1_300_000,
        149_000_000,
        f"{_MOBILENET_V1}; Table 6 (0.5 MobileNet-224: 149M Mult-Adds, 1.3M params)",
        "Width multiplier 0.5 applied to every layer, classifier input 512.",
    ),
    ZooEntry(
        "mobilenet_v2",
        _lazy("mobilenet_v2", "mobilenet_v2"),
        IMAGENET_INPUT,
        3_400_000,
        300_000_000,
        "Sandler et al. 2018, MobileNetV2, Table 2 (architecture), Table 4 (300M, 3.4M)",
        "Layer configuration of torchvision mobilenet_v2 (3,504,872 params, the same as the "
        "trainable count of Keras' MobileNetV2); the paper's Table 4 prints 3.4M, below "
        "what the released implementations have. MACs agree within 0.3%.",
    ),
    ZooEntry(
        "mobilenet_v3_large",
        _lazy("mobilenet_v3", "mobilenet_v3_large"),
        IMAGENET_INPUT,
        5_400_000,
        219_000_000,
        "Howard et al. 2019, Searching for MobileNetV3, Table 1 (architecture), "
        "Table 3 (Large 1.0: 219M MAdds, 5.4M params)",
        "Layer configuration of torchvision mobilenet_v3_large (5,483,032 params, 5.5M, "
        "where the paper prints 5.4M); its conv + linear MACs are 216.6M, 1.1% under the "
        "paper's 219M (torchvision lists 0.22 GFLOPS), which likely also counts the SE "
        "and hard-swish multiplies.",
    ),
    ZooEntry(
        "mobilenet_v3_small",
        _lazy("mobilenet_v3", "mobilenet_v3_small"),
        IMAGENET_INPUT,
        2_500_000,
        56_000_000,
        "Howard et al. 2019, Searching for MobileNetV3, Table 2 (architecture), "
        "Table 3 (Small 1.0: 56M MAdds, 2.5M params)",
        "Layer configuration of torchvision mobilenet_v3_small (2,542,856 params); its "
        "56.5M MACs are 0.9% over the paper's 56M (some versions of the paper print 66M "
        "for Small 1.0).",
    ),
    *(
        ZooEntry(
            f"shufflenet_v1_g{g}",
            _lazy("shufflenet_v1", "shufflenet_v1", groups=g),
            IMAGENET_INPUT,
            None,
            macs,
            f"{_SHUFFLENET_V1}: ShuffleNet 1x (g = {g}), {macs // 1_000_000}M FLOPs",
            _SHUFFLENET_V1_NOTE,
        )
        for g, macs in (
            (1, 143_000_000),
            (2, 140_000_000),
            (3, 137_000_000),
            (4, 133_000_000),
            (8, 137_000_000),
        )
    ),
    *(
        ZooEntry(
            f"shufflenet_v2_x{width}",
            _lazy("shufflenet_v2", "shufflenet_v2", width=width),
            IMAGENET_INPUT,
            params,
            macs,
            f"{_SHUFFLENET_V2}: {width}x, {macs // 1_000_000}M FLOPs, {params / 1e6:.1f}M weights",
            f"Layer configuration of torchvision shufflenet_v2_x{width.replace('.', '_')} "
            f"({tv:,} params); its conv + linear MACs are 0.7-1.3% under the paper's "
            "rounded FLOPs.",
        )
        for width, params, macs, tv in (
            ("0.5", 1_400_000, 41_000_000, 1_366_792),
            ("1.0", 2_300_000, 146_000_000, 2_278_604),
            ("1.5", 3_500_000, 299_000_000, 3_503_624),
            ("2.0", 7_400_000, 591_000_000, 7_393_996),
        )
    ),
    ZooEntry(
        "mobilefacenet",
        _lazy("mobilefacenet", "mobilefacenet"),
        FACE_INPUT,
        990_000,
        221_000_000,
        "Chen et al. 2018, MobileFaceNets, Table 1 (architecture); 0.99M params and "
        "221M MAdds in the paper's comparison tables",
        "Output is the 128-d embedding (no classifier). PReLU has one slope per channel; "
        "the embedding conv is followed by BN as in the common implementations. "
        "1,003,136 params = convs 976,000 + PReLU 7,552 + BN 19,584; the paper's 0.99M "
        "matches BN folded into conv biases (976,000 + 9,792 + 7,552 = 993,344).",
    ),
    ZooEntry(
        "resnet50",
        _lazy("resnet", "resnet50"),
        IMAGENET_INPUT,
        25_600_000,
        4_100_000_000,
        "He et al. 2016, Deep Residual Learning, Table 1 (50-layer)",
        "Layer configuration of torchvision resnet50 (25,557,032 params; stride on the "
        "3x3 conv, 4.1G MACs). The paper's Table 1 says 3.8G FLOPs for the original "
        "stride-on-1x1 layout; the parameter count is the same.",
    ),
    ZooEntry(
        "se_resnet50",
        _lazy("resnet", "se_resnet50"),
        IMAGENET_INPUT,
        28_100_000,
        3_870_000_000,
        "Hu et al. 2018, Squeeze-and-Excitation Networks, Table 1 (architecture), "
        "Table 2 (SE-ResNet-50: 3.87 GFLOPs); 28.1M params in the reduction-ratio "
        "ablation (r = 16)",
        "SE reduction 16 in every bottleneck, FCs as biased 1x1 convs (28,088,024 params, "
        "as the common PyTorch port); stride on the first 1x1 conv as in the official model. "
        "Its 3.860G MACs are 0.25% under the paper's 3.87G, which also counts the SE "
        "scaling multiplies (costcalc counts those as FLOPs, not MACs).",
    ),
    ZooEntry(
        "resnext50_32x4d",
        _lazy("resnet", "resnext50_32x4d"),
        IMAGENET_INPUT,
        25_000_000,
        4_200_000_000,
        "Xie et al. 2017, ResNeXt, Table 1 (ResNeXt-50 32x4d: 25.0M params, 4.2 GFLOPs)",
        "Layer configuration of torchvision resnext50_32x4d (25,028,904 params).",
    ),
)

_REGISTRY: dict[str, ZooEntry] = {entry.name: entry for entry in _ENTRIES}


def names() -> list[str]:
    """Names of the zoo architectures, in registry order."""
    return list(_REGISTRY)


def get(name: str) -> ZooEntry:
    """The entry called ``name``; ``KeyError`` naming the available entries otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown zoo model {name!r}; available: {', '.join(_REGISTRY)}") from None
