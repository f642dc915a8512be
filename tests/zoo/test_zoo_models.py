"""The zoo architectures: exact parameter counts, MACs against the papers, shapes.

Everything runs on the ``meta`` device (no weights allocated, no real compute), except
one small numerical check of channel shuffle and a CPU forward of the smallest models.
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from costcalc import zoo  # noqa: E402
from costcalc.zoo.layers import channel_shuffle, make_divisible  # noqa: E402

NAMES = zoo.names()


@cache
def _meta_model(name: str) -> nn.Module:
    with torch.device("meta"):
        return zoo.get(name).build().eval()


def count(name: str) -> int:
    """Trainable parameters (BN scale/shift included, running stats excluded)."""
    return sum(p.numel() for p in _meta_model(name).parameters())


@cache
def _macs_and_shape(name: str) -> tuple[int, tuple[int, ...]]:
    """MACs of Conv2d and Linear (the papers' "FLOPs"/"Mult-Adds") via forward hooks."""
    model = _meta_model(name)
    total = 0

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * (module.in_channels // module.groups) * kh * kw
        else:
            total += output.numel() * module.in_features

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    try:
        with torch.no_grad():
            out = model(torch.empty(zoo.get(name).input_shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return total, tuple(out.shape)


def macs(name: str) -> int:
    return _macs_and_shape(name)[0]


# --------------------------------------------------------------------------- registry


def test_names_and_lookup() -> None:
    assert len(NAMES) == len(set(NAMES)) == 18
    # ShuffleNet v1's paper gives no parameter count for 1x.
    assert [n for n in NAMES if zoo.get(n).paper_params is None] == [
        f"shufflenet_v1_g{g}" for g in (1, 2, 3, 4, 8)
    ]
    for name in NAMES:
        entry = zoo.get(name)
        assert entry.name == name
        assert entry.reference
        assert entry.input_shape[:2] in ((1, 3),)
    assert zoo.get("mobilefacenet").input_shape == (1, 3, 112, 112)
    assert zoo.get("resnet50").input_shape == (1, 3, 224, 224)


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(KeyError, match="mobilenet_v2") as err:
        zoo.get("mobilenet_v9")
    assert "mobilenet_v9" in str(err.value)


def test_entries_are_frozen() -> None:
    entry = zoo.get("resnet50")
    with pytest.raises(AttributeError):
        entry.name = "x"  # type: ignore[misc]


def test_importing_the_registry_does_not_import_torch() -> None:
    code = (
        "import sys, costcalc.zoo as z; z.get('resnet50'); z.names(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------- exact counts

EXACT_PARAMS = {
    # MobileNet v1 1.0, Table 1: first conv 3*3*3*32 = 864; depthwise 9 * (32 + 64 + 2*128
    # + 2*256 + 6*512 + 1024) = 9 * 4,960 = 44,640; pointwise 3,139,584 (32*64 + 64*128 +
    # 128*128 + 128*256 + 256*256 + 256*512 + 5*512*512 + 512*1024 + 1024*1024); FC
    # 1024*1000 + 1000 = 1,025,000; BN 2 * 10,944 channels = 21,888.
    "mobilenet_v1": 864 + 9 * 4_960 + 3_139_584 + 1_025_000 + 2 * 10_944,  # 4,231,976
    "mobilenet_v2": 3_504_872,  # torchvision mobilenet_v2 (ImageNet, 1000 classes)
    "mobilenet_v3_large": 5_483_032,  # torchvision mobilenet_v3_large
    "mobilenet_v3_small": 2_542_856,  # torchvision mobilenet_v3_small
    "shufflenet_v2_x0.5": 1_366_792,  # torchvision shufflenet_v2_x0_5
    "shufflenet_v2_x1.0": 2_278_604,  # torchvision shufflenet_v2_x1_0
    "shufflenet_v2_x1.5": 3_503_624,  # torchvision shufflenet_v2_x1_5
    "shufflenet_v2_x2.0": 7_393_996,  # torchvision shufflenet_v2_x2_0
    "resnet50": 25_557_032,  # torchvision resnet50
    "resnext50_32x4d": 25_028_904,  # torchvision resnext50_32x4d
    # ResNet-50 + SE (reduction 16, biased FCs) in all 16 bottlenecks: per block
    # 2*C*C/16 + C/16 + C, i.e. 3*8,464 + 4*33,312 + 6*132,160 + 3*526,464 = 2,530,992;
    # the common PyTorch port (Cadene's pretrainedmodels se_resnet50) gives 28,088,024.
    "se_resnet50": 25_557_032 + 2_530_992,
}


def test_mobilenet_v1_count_is_derived() -> None:
    assert EXACT_PARAMS["mobilenet_v1"] == 4_231_976


@pytest.mark.parametrize("name", sorted(EXACT_PARAMS))
def test_exact_params(name: str) -> None:
    assert count(name) == EXACT_PARAMS[name]


def _shufflenet_v1_params(groups: int) -> int:
    """Closed form from ShuffleNet Table 1 and the megvii conventions (independent of the
    module code): bias-free convs with BN, bottleneck = out/4, stride-2 branch width =
    out - in, ungrouped first 1x1 in Stage 2, bias-free FC."""
    stages = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}[groups]
    total = 3 * 3 * 3 * 24 + 2 * 24  # conv1 + BN
    in_c = 24
    for stage, repeats in enumerate((4, 8, 4)):
        out_c = stages * 2**stage
        mid = out_c // 4
        for i in range(repeats):
            branch = out_c - in_c if i == 0 else out_c
            g1 = 1 if (stage == 0 and i == 0) else groups
            total += in_c * mid // g1 + 2 * mid  # 1x1 GConv + BN
            total += 9 * mid + 2 * mid  # 3x3 depthwise + BN
            total += mid * branch // groups + 2 * branch  # 1x1 GConv + BN
            in_c = out_c
    return total + in_c * 1000  # FC without bias


@pytest.mark.parametrize("groups", [1, 2, 3, 4, 8])
def test_shufflenet_v1_params(groups: int) -> None:
    # No torchvision model; the megvii README rounds to 1.9M (g=3) and 2.4M (g=8).
    expected = {1: 1_530_936, 2: 1_732_848, 3: 1_864_728, 4: 1_967_344, 8: 2_433_768}
    assert _shufflenet_v1_params(groups) == expected[groups]
    assert count(f"shufflenet_v1_g{groups}") == expected[groups]


def test_mobilefacenet_params() -> None:
    # Convs 976,000 + per-channel PReLU 7,552 + BN 2 * 9,792 = 1,003,136. The paper's
    # 0.99M matches the deployed form with BN folded into conv biases:
    # 976,000 + 9,792 + 7,552 = 993,344.
    assert count("mobilefacenet") == 976_000 + 7_552 + 2 * 9_792
    model = _meta_model("mobilefacenet")
    convs = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Conv2d))
    prelus = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.PReLU))
    assert (convs, prelus) == (976_000, 7_552)


@pytest.mark.parametrize("name", [n for n in NAMES if zoo.get(n).paper_params is not None])
def test_params_near_paper(name: str) -> None:
    paper = zoo.get(name).paper_params
    assert paper is not None
    # Papers round to 2-3 significant digits: within 5% of the printed figure.
    assert abs(count(name) - paper) <= 0.05 * paper


# ----------------------------------------------------------------------------- MACs

EXACT_MACS = {
    # Conv2d + Linear MACs at the declared input, as counted by the hooks above.
    "mobilenet_v1": 568_740_352,  # paper 569M
    "mobilenet_v1_0.5": 149_497_088,  # paper 149M
    "mobilenet_v2": 300_774_272,  # paper 300M
    "mobilenet_v3_large": 216_589_760,  # paper 219M; torchvision lists 0.22 GFLOPS
    "mobilenet_v3_small": 56_510_400,  # paper 56M
    "shufflenet_v1_g1": 143_078_976,  # paper 143M
    "shufflenet_v1_g2": 140_836_512,  # paper 140M
    "shufflenet_v1_g3": 137_460_672,  # paper 137M
    "shufflenet_v1_g4": 134_339_776,  # paper 133M
    "shufflenet_v1_g8": 138_365_952,  # paper 137M
    "shufflenet_v2_x0.5": 40_476_448,  # paper 41M
    "shufflenet_v2_x1.0": 144_907_992,  # paper 146M
    "shufflenet_v2_x1.5": 295_759_392,  # paper 299M
    "shufflenet_v2_x2.0": 583_253_464,  # paper 591M
    "mobilefacenet": 220_965_376,  # paper 221M
    "resnet50": 4_089_184_256,  # torchvision 4.09 GFLOPS (stride on the 3x3)
    "se_resnet50": 3_860_488_192,  # paper 3.87G (stride on the 1x1, as ResNet-50's 3.86G)
    "resnext50_32x4d": 4_230_479_872,  # paper 4.2G
}

# Relative tolerance against the paper's rounded figure.
MACS_TOLERANCE = {"mobilefacenet": 0.05}


def test_exact_macs_cover_the_zoo() -> None:
    assert sorted(EXACT_MACS) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_macs(name: str) -> None:
    got = macs(name)
    assert got == EXACT_MACS[name]
    paper = zoo.get(name).paper_macs
    assert paper is not None
    assert abs(got - paper) <= MACS_TOLERANCE.get(name, 0.03) * paper


def test_mobilenet_v1_macs_derivation() -> None:
    # Table 1 at 224: the pointwise convs carry ~95% of the MACs (Sec. 3.2 says 94.86%).
    model = _meta_model("mobilenet_v1")
    pointwise = 0

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal pointwise
        if module.kernel_size == (1, 1):
            pointwise += output.numel() * module.in_channels

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    finally:
        for h in handles:
            h.remove()
    assert 0.94 < pointwise / (EXACT_MACS["mobilenet_v1"] - 1_024_000) < 0.955


# ---------------------------------------------------------------------- construction


@pytest.mark.parametrize("name", NAMES)
def test_builds_on_meta_and_output_shape(name: str) -> None:
    model = _meta_model(name)
    assert all(p.device.type == "meta" for p in model.parameters())
    expected = (1, 128) if name == "mobilefacenet" else (1, 1000)
    assert _macs_and_shape(name)[1] == expected


def test_build_returns_a_fresh_module() -> None:
    entry = zoo.get("shufflenet_v2_x0.5")
    with torch.device("meta"):
        assert entry.build() is not entry.build()


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("mobilenet_v3_small", (2, 3, 64, 64)),
        ("shufflenet_v1_g3", (2, 3, 64, 64)),
        ("shufflenet_v2_x0.5", (2, 3, 64, 64)),
        ("mobilefacenet", (2, 3, 112, 112)),
    ],
)
def test_cpu_forward_is_finite(name: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = zoo.get(name).build().eval()
    with torch.no_grad():
        out = model(torch.randn(shape))
    assert out.shape[0] == shape[0]
    assert torch.isfinite(out).all()


# ---------------------------------------------------------------------------- layers


def test_channel_shuffle_interleaves_groups() -> None:
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    assert channel_shuffle(x, 3).flatten().tolist() == [0, 2, 4, 1, 3, 5]


def test_make_divisible() -> None:
    assert make_divisible(32) == 32
    assert make_divisible(72 // 4) == 24  # MobileNetV3 SE squeeze of 72 channels
    assert make_divisible(960 // 4) == 240
    assert make_divisible(3) == 8
    assert make_divisible(12, 8) == 16  # never more than 10% below
