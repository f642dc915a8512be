"""Hardware profiles: the shipped TOML files, the loader's errors, `costcalc hardware`."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from costcalc.cli import CostcalcGroup
from costcalc.commands.hardware import hardware as hardware_command
from costcalc.errors import InputSpecError
from costcalc.hardware import load_hardware, names

REQUIRED = {"h200", "h100", "a100", "t4", "jetson_orin", "rpi4", "x86"}

# Key datasheet figures (dense TFLOP/s, GB/s), so that a typo in a profile shows.
DATASHEET = {
    "h200": ({"float32": 67, "float16": 989.4, "bfloat16": 989.4, "int8": 1978.9}, 4800),
    "h100": ({"float32": 67, "float16": 989.4, "bfloat16": 989.4, "int8": 1978.9}, 3350),
    "a100": ({"float32": 19.5, "float16": 312, "bfloat16": 312, "int8": 624}, 2039),
    "t4": ({"float32": 8.1, "float16": 65, "int8": 130}, 320),
    "jetson_orin": ({"float32": 5.3, "int8": 85}, 204.8),
    "rpi4": ({"float32": 0.096}, 12.8),
    "x86": ({"float32": 0.096}, 18),
}

GOOD = """
name = "Test device"
memory_bandwidth_gbps = 100.0
kernel_overhead_us = 2.0
[peak_tflops]
float32 = 1.0
"""


@pytest.fixture
def cli():
    @click.group(cls=CostcalcGroup)
    def main() -> None:
        pass

    main.add_command(hardware_command)
    return lambda *args: CliRunner().invoke(main, [str(a) for a in args])


def test_the_required_profiles_ship():
    assert set(names()) >= REQUIRED


@pytest.mark.parametrize("name", names())
def test_every_shipped_profile_loads(name):
    hw = load_hardware(name)
    assert hw.key == name
    assert hw.name and hw.kind in ("gpu", "cpu", "soc")
    assert len(hw.source) > 40  # says where its numbers come from
    assert hw.peak_flops.get("float32", 0) > 0
    assert all(v > 0 for v in hw.peak_flops.values())
    assert hw.bandwidth > 0
    assert hw.overhead_us > 0


@pytest.mark.parametrize("name", sorted(DATASHEET))
def test_profiles_match_the_datasheets(name):
    peaks, bandwidth = DATASHEET[name]
    hw = load_hardware(name)
    for dtype, tflops in peaks.items():
        assert hw.peak_flops[dtype] == pytest.approx(tflops * 1e12), dtype
    assert hw.bandwidth == pytest.approx(bandwidth * 1e9)


def test_h200_is_an_h100_with_faster_memory():
    h100, h200 = load_hardware("h100"), load_hardware("h200")
    assert h100.peak_flops == h200.peak_flops
    assert h200.bandwidth / h100.bandwidth == pytest.approx(4.8 / 3.35)
    assert h200.flops_per_second("float32") / h200.bandwidth == pytest.approx(67e12 / 4.8e12)


def test_a_dtype_without_its_own_unit_runs_at_the_fp32_rate():
    x86 = load_hardware("x86")
    assert "float16" not in x86.peak_flops
    assert x86.flops_per_second("float16") == x86.flops_per_second("float32") == 96e9


def test_a_profile_from_a_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    hw = load_hardware(path)
    assert hw.name == "Test device" and hw.bandwidth == 100e9 and hw.overhead_us == 2.0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("name = 'x'\nmemory_bandwidth_gbps = [", "not valid TOML"),
        (GOOD.replace("memory_bandwidth_gbps = 100.0", ""), "memory_bandwidth_gbps"),
        (GOOD.replace('name = "Test device"', ""), "'name'"),
        ("name = 'x'\nmemory_bandwidth_gbps = 1.0\n", "peak_tflops"),
        (GOOD.replace("[peak_tflops]\nfloat32 = 1.0", "[peak_tflops]"), "peak_tflops"),
        (GOOD.replace("= 100.0", "= -100.0"), "memory_bandwidth_gbps"),
        (GOOD.replace("float32 = 1.0", "float32 = -1.0"), "peak_tflops.float32"),
        (GOOD.replace("float32 = 1.0", 'float32 = "fast"'), "peak_tflops.float32"),
        (GOOD.replace("kernel_overhead_us = 2.0", "kernel_overhead_us = -2"), "kernel_overhead_us"),
        (GOOD.replace("= 100.0", "= true"), "memory_bandwidth_gbps"),
        (GOOD + "[efficiency.norm]\nmemory = -0.5\n", "efficiency.norm.memory"),
    ],
)
def test_bad_profiles_are_refused_naming_the_key(tmp_path, text, named):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputSpecError, match=named.replace(".", r"\.")):
        load_hardware(path)


def test_an_unknown_profile_lists_the_shipped_ones():
    with pytest.raises(InputSpecError, match="h200"):
        load_hardware("no_such_device")


def test_hardware_command_lists_every_profile(cli):
    result = cli("hardware")
    assert result.exit_code == 0, result.output
    for name in names():
        assert name in result.stdout
    assert "4,800" in result.stdout  # H200 GB/s
    assert "989.4" in result.stdout  # H100/H200 fp16 dense TFLOP/s


def test_hardware_command_shows_one_profile_with_its_source(cli, tmp_path):
    result = cli("hardware", "h200")
    assert result.exit_code == 0, result.output
    assert "H200" in result.stdout and "datasheet" in result.stdout
    assert "bfloat16" in result.stdout and "14.0" in result.stdout  # fp32 ridge FLOP/B
    path = tmp_path / "mine.toml"
    path.write_text(GOOD + "[efficiency.conv-depthwise]\ncompute = 0.1\n")
    result = cli("hardware", path)
    assert result.exit_code == 0, result.output
    assert "Test device" in result.stdout and "conv-depthwise" in result.stdout


def test_hardware_command_unknown_name_is_one_line_exit_2(cli):
    result = cli("hardware", "nope")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nope" in lines[0]
