"""``costcalc crosscheck``: costcalc beside fvcore and torch's FlopCounterMode, per module."""

from __future__ import annotations

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from costcalc.analyses.crosscheck import CrossCheck, CrossCheckRow, SpecialOp
from costcalc.analyses.crosscheck import crosscheck as run_crosscheck

LEGEND = (
    "costcalc MACs: multiply-accumulates of conv/linear/matmul only. "
    "costcalc FLOPs: 2 x MACs + every other arithmetic op (bias, normalisation, "
    "activations, pooling, element-wise).\n"
    "fvcore: 1 flop per MAC, plus its own counts for a few other ops (batch/group/layer "
    "norm, upsampling, adaptive pooling); skips the ops it reports as unsupported and "
    "ignores those it deems free (relu...).\n"
    "FlopCounterMode: 2 flops per MAC of convolution, mm/addmm/bmm and attention; nothing "
    "else (no bias, normalisation or element-wise op).\n"
    "Each row's differences fvcore - MACs, FlopCounterMode - 2 x MACs and "
    "costcalc FLOPs - 2 x MACs are attributed op by op."
)


def _number(value: int | float) -> str:
    return f"{value:,}"


def _add_row(table: Table, row: CrossCheckRow, style: str | None = None) -> None:
    table.add_row(
        row.module,
        _number(row.costcalc_macs),
        _number(row.costcalc_flops),
        _number(row.fvcore),
        _number(row.flop_counter),
        Text("\n".join(f"• {line}" for line in row.explanations)),
        style=style,
        end_section=style is not None,
    )


def comparison_table(check: CrossCheck) -> Table:
    """One row per module (and the totals): the four counts and their explanations."""
    shapes = ", ".join("x".join(map(str, s)) for s in check.inputs)
    table = Table(
        title=f"{check.model} ({shapes}): costcalc vs fvcore vs FlopCounterMode, "
        f"depth {check.depth}",
        header_style="bold",
        show_lines=True,
    )
    table.add_column("Module", overflow="fold")
    for column in ("costcalc MACs", "costcalc FLOPs", "fvcore", "FlopCounterMode"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Explanation", ratio=1, overflow="fold")
    for row in check.rows:
        _add_row(table, row)
    _add_row(table, check.totals, style="bold")
    return table


def special_table(special: list[SpecialOp]) -> Table:
    """Ops each tool skipped or treated differently from costcalc, over the whole model."""
    table = Table(title="Ops treated specially", header_style="bold")
    table.add_column("Tool")
    table.add_column("Op", overflow="fold")
    table.add_column("Treatment")
    table.add_column("Calls", justify="right")
    table.add_column("Amount", justify="right")
    for item in special:
        calls = "" if item.calls is None else f"×{item.calls}"
        amount = "" if item.amount is None else _number(item.amount)
        table.add_row(item.tool, item.op, item.treatment, calls, amount)
    return table


def renderable(check: CrossCheck) -> RenderableType:
    """The comparison, the special ops, a verdict line and the legend."""
    parts: list[RenderableType] = [comparison_table(check)]
    if check.special:
        parts.append(special_table(check.special))
    unexplained = check.unexplained
    if unexplained:
        verdict = Text(f"{len(unexplained)} difference(s) unexplained:\n", style="bold red")
        verdict.append("\n".join(unexplained))
    else:
        verdict = Text("Every difference is explained.", style="bold green")
    parts += [verdict, Text(LEGEND, style="dim")]
    return Group(*parts)


@click.command()
@click.argument("model")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="SHAPE",
    help="Input shape, e.g. 1x3x224x224 (one per positional input; default: the zoo's).",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Module levels per row: 1 = top-level children (features, classifier), 2 = theirs...",
)
def crosscheck(model: str, inputs: tuple[str, ...], depth: int) -> None:
    """Compare costcalc with fvcore and torch's FlopCounterMode on a PyTorch MODEL.

    MODEL is zoo:NAME or package.module:callable (returning an nn.Module); ONNX files
    cannot be cross-checked. The model is built on the CPU and run once per tool on
    zero inputs, in eval mode. Each module's differences are explained: conventions
    (fvcore counts one flop per MAC, FlopCounterMode two), ops one tool skips, bias
    adds, normalisation.

    \b
    Examples:
      costcalc crosscheck zoo:mobilenet_v3_large
      costcalc crosscheck zoo:resnet50 --depth 2
      costcalc crosscheck mypkg.models:build_net --input 1x3x160x160
    """
    check = run_crosscheck(model, inputs=list(inputs) or None, depth=depth)
    Console().print(renderable(check))
