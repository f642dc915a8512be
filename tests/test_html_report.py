"""The HTML report: one self-contained page (nothing fetched from the network), sortable
tables with exact values, embedded plots; and a real headless Chromium renders it."""

from __future__ import annotations

import base64
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from click.testing import CliRunner

from costcalc.api import analyze
from costcalc.cli import main
from costcalc.renderers import format_for, html
from tests.onnx_models import conv_bn_relu_model, conv_model, custom_op_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE = re.compile(r'<img class="plot" alt="([^"]*)" src="data:image/png;base64,([^"]+)">')


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    for pattern in (r"<link\b", r"<script[^>]*\bsrc=", r"<iframe\b", r"@import", r"url\("):
        assert not re.search(pattern, page), pattern
    for src in re.findall(r'\bsrc="([^"]*)"', page):
        assert src.startswith("data:image/png;base64,"), src[:40]


def test_page_is_self_contained_with_exact_sortable_values():
    report = analyze(conv_model((1, 512, 14, 14), (512, 512, 3, 3), pads=[1, 1, 1, 1]))
    page = html.render(report)
    assert_self_contained(page)
    assert '<table id="layers" class="sortable">' in page
    assert 'data-sort="462422016">462,422,016</td>' in page  # exact, sorted as a number
    assert "<h2>Per-layer costs</h2>" in page
    assert "462.42M" in page  # the human-readable card


def test_plots_are_embedded_pngs():
    pytest.importorskip("matplotlib")
    page = html.render(analyze(conv_bn_relu_model(), hardware="h200"))
    images = IMAGE.findall(page)
    assert [alt.split(" of ")[0] for alt, _ in images] == ["roofline", "per-layer costs"]
    for _, data in images:
        width, height = png_size(base64.b64decode(data))
        assert width > 300 and height > 200
    assert_self_contained(page)


def test_roofline_needs_estimates_and_finds_the_profile():
    pytest.importorskip("matplotlib")
    page = html.render(analyze(conv_bn_relu_model()))
    assert "No roofline: analyse with" in page
    assert len(IMAGE.findall(page)) == 1  # the bars only
    from costcalc.hardware import load_hardware

    report = analyze(conv_bn_relu_model(), hardware="rpi4")
    # the report names the profile; the renderer finds it, or takes the one it is given
    assert html.resolve_hardware(report).name == report.totals.hardware
    assert html.resolve_hardware(report, "rpi4") == load_hardware("rpi4")
    report.totals.hardware = "a profile of the user's own"
    assert html.resolve_hardware(report) is None
    assert "was not given to the renderer" in html.render(report)


def test_plots_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "costcalc.plots", None)  # as if matplotlib were missing
    page = html.render(analyze(conv_bn_relu_model(), hardware="h200"))
    assert "Plots unavailable" in page and not IMAGE.findall(page)
    assert "<h2>Per-layer costs</h2>" in page


def test_bars_left_out_for_huge_models(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(html, "MAX_BAR_LAYERS", 2)
    page = html.render(analyze(conv_bn_relu_model()))
    assert "Per-layer bars left out: 3 costed layers (more than 2)" in page
    assert not IMAGE.findall(page)


def test_lower_bound_is_flagged():
    page = html.render(analyze(custom_op_model()), plots=False)
    assert '<div class="banner bad"><b>Lower bound:</b>' in page
    assert "<h3>Not costed</h3>" in page
    assert '<tr class="bad">' in page
    assert_self_contained(page)


def test_extension_picks_html(tmp_path):
    for suffix in (".html", ".htm", ".HTML"):
        assert format_for(f"report{suffix}", None) == "html"
    path = tmp_path / "m.onnx"
    onnx.save(conv_bn_relu_model(), str(path))
    out = tmp_path / "report.htm"
    result = CliRunner().invoke(main, ["analyze", str(path), "--by", "optype", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<h2>Costs by op type</h2>" in page
    assert_self_contained(page)


# --- a real browser ----------------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on PATH (Debian: apt-get install -y chromium; .ci/run installs it)")


def browse(page: Path, tmp: Path, *action: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,2000",
        *action, page.resolve().as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def check_in_browser(page: Path, tmp: Path, expected: list[str]) -> None:
    shot = tmp / f"{page.stem}.png"
    result = browse(page, tmp, f"--screenshot={shot}")
    assert shot.exists(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == (1280, 2000)
    assert len(data) > 20_000, "the screenshot is (nearly) blank"
    result = browse(page, tmp, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert '<table id="layers" class="sortable">' in dom
    for text in expected:
        assert text in dom, text


def test_small_model_renders_and_sorts_in_chromium(tmp_path):
    chromium()
    page = tmp_path / "small.html"
    report = analyze(conv_bn_relu_model(), hardware="h200")
    page.write_text(html.render(report))
    check_in_browser(
        page, tmp_path, ["costcalc report: test", "<h3>Totals</h3>", "Per-layer costs", "conv"]
    )
    # a click on the Bytes heading sorts the rows by bytes, largest first
    clicked = tmp_path / "clicked.html"
    click = "<script>document.querySelectorAll('#layers th')[8].click();</script>"
    clicked.write_text(page.read_text().replace("</body>", click + "</body>"))
    dom = browse(clicked, tmp_path, "--dump-dom").stdout
    assert '<th class="num" data-dir="desc">Bytes</th>' in dom
    body = dom[dom.index('<table id="layers"') :]
    body = body[: body.index("</table>")]
    order = re.findall(r'<td class="code">([^<]+)</td>', body)
    moved = {r.name: r.read_bytes + r.write_bytes for r in report.layers}
    assert order == sorted(moved, key=moved.get, reverse=True) != list(moved)


def test_mobilenet_v1_renders_in_chromium(tmp_path):
    chromium()
    pytest.importorskip("torch")
    page = tmp_path / "mobilenet_v1.html"
    result = CliRunner().invoke(
        main,
        ["analyze", "zoo:mobilenet_v1", "--baseline", "dense", "--hardware", "h200",
         "-o", str(page)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_self_contained(page.read_text())
    assert len(IMAGE.findall(page.read_text())) == 2
    check_in_browser(
        page,
        tmp_path,
        [
            "costcalc report: zoo:mobilenet_v1",
            "<h3>Totals</h3>",
            "features.1.1.0/Conv",
            "Lightweight patterns against their baselines",
            "depthwise-separable#13",
            "4,867,293,184",  # the dense twin's MACs (MobileNet Table 4: 4866M)
        ],
    )
