"""``costcalc hardware``: the shipped hardware profiles, or one of them in full."""

from __future__ import annotations

import click
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from costcalc.hardware import PROFILES, Hardware, load_hardware, names

DTYPE_ORDER = ("float32", "float16", "bfloat16", "float8e4m3fn", "float8e5m2", "int8", "int4")


@click.command()
@click.argument("name", required=False)
def hardware(name: str | None) -> None:
    """The hardware profiles of roofline estimates (--hardware NAME), or one in full.

    Peaks are dense (no structured sparsity), per dtype, from public datasheets; the
    ridge point is the arithmetic intensity (FLOPs per byte) above which a layer is
    compute-bound. NAME is a short name below or a TOML file of your own.

    \b
    Examples:
      costcalc hardware
      costcalc hardware h200
      costcalc hardware my_gpu.toml
      costcalc analyze zoo:mobilenet_v2 --hardware jetson_orin --dtype fp16
    """
    console = Console()
    if name is None:
        console.print(profiles_table([load_hardware(n) for n in names()]))
    else:
        console.print(profile_view(load_hardware(name)))


def _tflops(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1e12:,.4g}"


def _ridge(hw: Hardware, dtype: str) -> str:
    return f"{hw.flops_per_second(dtype) / hw.bandwidth:,.1f}" if hw.bandwidth else "∞"


def profiles_table(profiles: list[Hardware]) -> Table:
    table = Table(
        title="Hardware profiles (costcalc analyze/plot --hardware NAME)",
        header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
    )  # fmt: skip
    table.add_column("Name", no_wrap=True)
    table.add_column("Device", ratio=1, min_width=12)
    for column in ("fp32\nTFLOP/s", "fp16\nTFLOP/s", "Memory\nGB/s", "Ridge fp32\nFLOP/B",
                   "Overhead\nµs"):  # fmt: skip
        table.add_column(column, justify="right", no_wrap=True)
    for hw in profiles:
        table.add_row(
            hw.key, hw.name,
            _tflops(hw.peak_flops.get("float32")), _tflops(hw.peak_flops.get("float16")),
            f"{hw.bandwidth / 1e9:,.4g}", _ridge(hw, "float32"), f"{hw.overhead_us:g}",
        )  # fmt: skip
    table.caption = "Dense peaks; '—': no fp16 unit (fp16 layers run at the fp32 rate)."
    return table


def profile_view(hw: Hardware) -> Group:
    where = PROFILES / f"{hw.key}.toml"
    origin = str(where) if where.is_file() else hw.key
    head = Text.assemble(
        (hw.name, "bold"), f"  ({hw.kind or 'device'}; {origin})\n",
        f"memory bandwidth {hw.bandwidth / 1e9:,.4g} GB/s · ",
        f"per-kernel overhead {hw.overhead_us:g} µs",
    )  # fmt: skip
    peaks = Table(header_style="bold", box=box.SIMPLE_HEAD)
    peaks.add_column("dtype")
    peaks.add_column("Peak TFLOP/s", justify="right")
    peaks.add_column("Ridge FLOP/B", justify="right")
    order = [d for d in DTYPE_ORDER if d in hw.peak_flops]
    order += sorted(set(hw.peak_flops) - set(order))
    for dtype in order:
        peaks.add_row(dtype, _tflops(hw.peak_flops[dtype]), _ridge(hw, dtype))
    parts: list = [head, peaks]
    if hw.efficiency:
        eff = Table(title="Calibrated efficiency", header_style="bold", box=box.SIMPLE_HEAD)
        for column in ("Category", "Compute", "Memory", "Overhead µs"):
            eff.add_column(column, justify="left" if column == "Category" else "right")
        for category, e in sorted(hw.efficiency.items()):
            overhead = "—" if e.overhead_us is None else f"{e.overhead_us:g}"
            eff.add_row(category, f"{e.compute:.3g}", f"{e.memory:.3g}", overhead)
        parts.append(eff)
    parts.append(Text.assemble(("Source: ", "bold"), hw.source or "(not given)"))
    return Group(*parts)
