"""``costcalc layer``: what-if costs of one layer beside its alternatives, no model needed."""

from __future__ import annotations

from collections.abc import Callable

import click
from rich import box
from rich.console import Console
from rich.table import Table

from costcalc import whatif
from costcalc.units import human_bytes, human_count
from costcalc.whatif import WhatIf

FORMATS = ["table", "json", "csv"]


def _common(command: Callable) -> Callable:
    """--batch, --dtype and --format, shared by every subcommand."""
    for option in reversed([
        click.option("--batch", "-n", type=int, default=1, show_default=True,
                     help="Batch size N."),
        click.option("--dtype", default="fp32", show_default=True, metavar="TYPE",
                     help="Element type the bytes are counted at: fp32, fp16, bf16, int8, int4."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                     show_default=True, help="Output format."),
    ]):  # fmt: skip
        command = option(command)
    return command


def _hw(command: Callable) -> Callable:
    return click.option(
        "--hw", type=int, required=True, help="Input height = width (square feature map)."
    )(command)


@click.group()
def layer() -> None:
    """What-if costs of one layer beside its lightweight alternatives, no model needed.

    Params, MACs, FLOPs and bytes moved (read + written) of each alternative, from the
    same op registry as `costcalc analyze`, each with the formula it comes from.

    \b
    Examples:
      costcalc layer conv --cin 512 --cout 512 -k 3 --hw 14 --depthwise
      costcalc layer conv --cin 256 --cout 256 -k 3 --hw 28 --groups 32
      costcalc layer se --channels 256 --reduction 16 --hw 56
      costcalc layer gdc --channels 512 --hw 7
      costcalc layer shuffle --channels 240 --groups 3 --hw 28
    """


@layer.command()
@click.option("--cin", type=int, required=True, help="Input channels.")
@click.option("--cout", type=int, required=True, help="Output channels.")
@click.option("-k", "--kernel", type=int, required=True, help="Kernel size K (KxK).")
@_hw
@click.option("--groups", type=int, default=None, help="The given conv is a group conv.")
@click.option(
    "--depthwise",
    is_flag=True,
    help="The given layer is depthwise KxK + pointwise 1x1 (depthwise-separable).",
)
@click.option(
    "--multiplier", type=int, default=None, help="Depthwise channel multiplier M (--depthwise)."
)
@click.option("--stride", type=int, default=1, show_default=True, help="Stride S.")
@click.option("--bias", is_flag=True, help="Give every conv a bias.")
@_common
def conv(cin, cout, kernel, hw, groups, depthwise, multiplier, stride, bias, batch, dtype, fmt):
    """A KxK conv beside its dense, group, depthwise-separable and pointwise versions.

    Padding is K//2 ("same" for odd K). The depthwise-separable row is depthwise KxK
    (Cin -> Cin·M, groups=Cin) then pointwise 1x1 (Cin·M -> Cout); its MAC ratio to
    the dense conv is M·(1/Cout + 1/K²).

    \b
    Examples:
      costcalc layer conv --cin 512 --cout 512 -k 3 --hw 14 --depthwise
      costcalc layer conv --cin 64 --cout 128 -k 3 --hw 56 --stride 2 --groups 4
      costcalc layer conv --cin 32 --cout 64 -k 5 --hw 28 --depthwise --multiplier 2
    """
    result = whatif.conv_whatif(
        cin, cout, kernel, hw, groups=groups, depthwise=depthwise, multiplier=multiplier,
        stride=stride, batch=batch, dtype=dtype, bias=bias,
    )  # fmt: skip
    _emit(result, fmt)


@layer.command()
@click.option("--channels", "-c", type=int, required=True, help="Block channels C.")
@click.option("--reduction", "-r", type=int, required=True, help="Reduction ratio R.")
@_hw
@_common
def se(channels, reduction, hw, batch, dtype, fmt):
    """Squeeze-and-excitation (GAP, FC C->C/R, ReLU, FC C/R->C, sigmoid, multiply) vs none.

    \b
    Examples:
      costcalc layer se --channels 256 --reduction 16 --hw 56
      costcalc layer se -c 960 -r 4 --hw 7 --dtype fp16
    """
    _emit(whatif.se_whatif(channels, reduction, hw, batch=batch, dtype=dtype), fmt)


@layer.command()
@click.option("--channels", "-c", type=int, required=True, help="Channels C.")
@_hw
@_common
def gdc(channels, hw, batch, dtype, fmt):
    """Global depthwise conv (kernel HxW, groups C) vs global average pooling.

    \b
    Examples:
      costcalc layer gdc --channels 512 --hw 7
    """
    _emit(whatif.gdc_whatif(channels, hw, batch=batch, dtype=dtype), fmt)


@layer.command()
@click.option("--channels", "-c", type=int, required=True, help="Channels C.")
@click.option("--groups", "-g", type=int, required=True, help="Groups G.")
@_hw
@_common
def shuffle(channels, groups, hw, batch, dtype, fmt):
    """Channel shuffle beside a 1x1 group conv with G groups and its dense version.

    \b
    Examples:
      costcalc layer shuffle --channels 240 --groups 3 --hw 28
    """
    _emit(whatif.shuffle_whatif(channels, groups, hw, batch=batch, dtype=dtype), fmt)


def _emit(result: WhatIf, fmt: str) -> None:
    if fmt == "json":
        click.echo(result.to_json(), nl=False)
    elif fmt == "csv":
        click.echo(result.to_csv(), nl=False)
    else:
        Console().print(_table(result))
        click.echo(_formulas(result))


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}×" if value >= 10 else f"{value:.2f}×"


def _table(result: WhatIf) -> Table:
    table = Table(title=f"costcalc layer {result.layer}: {result.title}", header_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    table.add_column("Alternative", no_wrap=True)
    for column in ("Params", "MACs", "Bytes", "×params", "×MACs", "×bytes"):
        table.add_column(column, justify="right", no_wrap=True)
    for alt in result.alternatives:
        table.add_row(
            ("→ " if alt.given else "  ") + alt.name,
            human_count(alt.params), human_count(alt.macs), human_bytes(alt.bytes_moved),
            *(_ratio(result.ratio(alt, m)) for m in ("params", "macs", "bytes")),
        )  # fmt: skip
    table.caption = "→ the layer given; ×: relative to it. Exact values and FLOPs below."
    return table


def _formulas(result: WhatIf) -> str:
    lines = ["Formulas (b = bytes per element; the registry's numbers, checked):"]
    for alt in result.alternatives:
        lines.append(f"  {alt.name}: {alt.description}")
        for metric, label in (("params", "params"), ("macs", "MACs"), ("flops", "FLOPs"),
                              ("bytes", "bytes")):  # fmt: skip
            lines.append(f"    {label:<7}{alt.formulas[metric]}")
    lines.append("Notes:")
    lines += [f"  {note}" for note in result.notes]
    return "\n".join(lines)
