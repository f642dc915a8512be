"""Plots: roofline and per-layer bars as PNG/SVG, through the library and `costcalc plot`."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import onnx
import pytest
from click.testing import CliRunner

import costcalc
from costcalc import plots
from costcalc.cli import CostcalcGroup
from costcalc.commands.plot import plot as plot_command
from costcalc.errors import OutputError
from costcalc.hardware import load_hardware
from tests.onnx_models import conv_bn_relu_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    from matplotlib.image import imread

    height, width, _ = imread(path).shape
    assert width > 800 and height > 500


def check_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert path.stat().st_size > 10_000


@pytest.fixture
def cli():
    @click.group(cls=CostcalcGroup)
    def main() -> None:
        pass

    main.add_command(plot_command)
    return lambda *args: CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def onnx_file(tmp_path) -> Path:
    path = tmp_path / "small.onnx"
    onnx.save(conv_bn_relu_model(), str(path))
    return path


@pytest.fixture(scope="module")
def mobilenet():
    pytest.importorskip("torch")
    return costcalc.analyze("zoo:mobilenet_v2", hardware="h200")


def test_mobilenet_v2_roofline_and_bars(mobilenet, tmp_path):
    h200 = load_hardware("h200")
    roofline = plots.plot_roofline(mobilenet, h200)
    plots.save_figure(roofline, tmp_path / "roofline.png")
    plots.save_figure(roofline, tmp_path / "roofline.svg")
    plots.save_figure(plots.plot_bars(mobilenet, h200), tmp_path / "bars.png")
    check_png(tmp_path / "roofline.png")
    check_png(tmp_path / "bars.png")
    check_svg(tmp_path / "roofline.svg")
    svg = (tmp_path / "roofline.svg").read_text()
    assert "mobilenet_v2" in svg and "H200" in svg and "fp32" in svg  # the title
    assert "conv-depthwise" in svg and "conv-pointwise" in svg  # the legend


def test_roofline_points_are_the_layers_with_flops(mobilenet):
    points = plots._roofline_points(mobilenet)
    timed = [r for r in mobilenet.layers if r.kind == "compute" and r.flops]
    assert len(points) == len(timed) > 100
    for row, intensity, attained in points:
        assert intensity == pytest.approx(row.flops / (row.read_bytes + row.write_bytes))
        assert attained <= 67e12 * 1.000001  # never above the fp32 roof
        assert attained == pytest.approx(row.flops / (row.est_time_us * 1e-6))


def test_svg_output_is_reproducible(onnx_file):
    report = costcalc.analyze(str(onnx_file), hardware="h200")
    h200 = load_hardware("h200")
    first = plots.figure_bytes(plots.plot_roofline(report, h200), "svg")
    second = plots.figure_bytes(plots.plot_roofline(report, h200), "svg")
    assert first == second


def test_onnx_model_png_and_svg_through_the_cli(cli, onnx_file, tmp_path):
    png, svg = tmp_path / "roofline.png", tmp_path / "bars.svg"
    result = cli("plot", onnx_file, "-o", png, "--hardware", "x86")
    assert result.exit_code == 0, result.output
    assert f"wrote {png}" in result.stderr
    check_png(png)
    result = cli("plot", onnx_file, "-o", svg, "--kind", "bars", "--dtype", "fp16")
    assert result.exit_code == 0, result.output
    check_svg(svg)
    assert "fp16" in svg.read_text()


def test_never_over_an_existing_file_without_force(cli, onnx_file, tmp_path):
    out = tmp_path / "plot.png"
    out.write_bytes(b"mine")
    result = cli("plot", onnx_file, "-o", out)
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_bytes() == b"mine"
    result = cli("plot", onnx_file, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    check_png(out)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", ["plot.jpg", "plot", "plot.pdf"])
def test_a_bad_extension_is_one_line_exit_2(cli, onnx_file, tmp_path, name):
    result = cli("plot", onnx_file, "-o", tmp_path / name)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and ".png or .svg" in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / name).exists()


def test_bad_hardware_and_missing_output_are_exit_2(cli, onnx_file, tmp_path):
    result = cli("plot", onnx_file, "-o", tmp_path / "a.png", "--hardware", "nope")
    assert result.exit_code == 2 and "nope" in result.stderr
    assert cli("plot", onnx_file).exit_code == 2  # -o is required


def test_roofline_needs_estimates(onnx_file):
    report = costcalc.analyze(str(onnx_file))  # no hardware: no estimated times
    with pytest.raises(OutputError, match="hardware"):
        plots.plot_roofline(report, load_hardware("h200"))
    assert len(plots.plot_bars(report).axes) == 2  # MACs and bytes, no time panel


def test_analysed_dtype(onnx_file):
    assert plots.analysed_dtype(costcalc.analyze(str(onnx_file))) == "float32"
    assert plots.analysed_dtype(costcalc.analyze(str(onnx_file), dtype="fp16")) == "float16"


def test_save_figure_refuses_other_formats(tmp_path, onnx_file):
    report = costcalc.analyze(str(onnx_file), hardware="t4")
    figure = plots.plot_bars(report)
    with pytest.raises(OutputError, match=r"\.png or \.svg"):
        plots.save_figure(figure, tmp_path / "bars.gif")


def test_the_cli_does_not_import_matplotlib_until_asked():
    code = (
        "import sys, costcalc.commands.plot, costcalc.commands.hardware; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
