"""Console renderer: a Rich table of layers (or groups) and a summary panel of totals."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from costcalc.report import LayerRow, Report
from costcalc.units import human_bytes, human_count

HIDDEN_KINDS = ("free", "folded")


def _shape(shapes: list[list[int] | None]) -> str:
    return ", ".join("x".join(map(str, s)) if s is not None else "?" for s in shapes)


def _layer_table(report: Report, show_all: bool) -> Table:
    table = Table(title=f"{report.model.name}: per-layer costs", header_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("Layer", overflow="fold", max_width=48)
    table.add_column("Op")
    table.add_column("Output", overflow="fold")
    for column in ("Params", "MACs", "FLOPs", "Bytes"):
        table.add_column(column, justify="right")
    for index, row in enumerate(report.layers):
        if row.kind in HIDDEN_KINDS and not show_all:
            continue
        style = "red" if row.kind in ("unsupported", "unresolved") else None
        table.add_row(
            str(index), row.name, row.op, _shape(row.outputs),
            human_count(row.params), human_count(row.macs), human_count(row.flops),
            human_bytes(_moved(row)), style=style,
        )  # fmt: skip
    return table


def _moved(row: LayerRow) -> int | None:
    if row.read_bytes is None or row.write_bytes is None:
        return None
    return row.read_bytes + row.write_bytes


def _group_table(report: Report, by: str) -> Table:
    frame = report.group_by(by)
    table = Table(title=f"{report.model.name}: costs by {by}", header_style="bold")
    table.add_column(by.capitalize(), overflow="fold")
    for column in ("Layers", "Params", "MACs", "FLOPs", "Bytes"):
        table.add_column(column, justify="right")
    for record in frame.to_dict("records"):
        moved = _int(record["read_bytes"]) + _int(record["write_bytes"])
        table.add_row(
            str(record[by]), str(record["layers"]), human_count(_int(record["params"])),
            human_count(_int(record["macs"])), human_count(_int(record["flops"])),
            human_bytes(moved),
        )  # fmt: skip
    return table


def _int(value: object) -> int:
    return 0 if value is None or value != value else int(value)  # NaN/NA -> 0


def _summary(report: Report, hidden: int) -> Panel:
    t = report.totals
    bound = "≥ " if t.lower_bound else ""
    lines = [
        f"params       {bound}{human_count(t.params)} ({t.params:,})"
        f"  ·  {human_bytes(t.param_bytes)}",
        f"MACs         {bound}{human_count(t.macs)} ({t.macs:,})",
        f"FLOPs        {bound}{human_count(t.flops)} ({t.flops:,})",
        f"bytes moved  {bound}{human_bytes(t.read_bytes + t.write_bytes)} "
        f"(read {human_bytes(t.read_bytes)}, written {human_bytes(t.write_bytes)})",
        f"activations  {human_bytes(t.activation_bytes)}",
    ]
    inputs = ", ".join(f"{k} {'x'.join(map(str, v or []))}" for k, v in report.model.inputs.items())
    lines.append(
        f"inputs       {inputs}"
        + (f"  ·  dtype {report.model.dtype}" if report.model.dtype else "")
    )
    body = Text("\n".join(lines))
    if hidden:
        body.append(f"\n{hidden} free or constant-folded node(s) hidden (--all shows them)", "dim")
    for unsupported in report.unsupported:
        body.append(
            f"\nnot costed: {unsupported.op} ×{unsupported.count} ({unsupported.reason})", "red"
        )
    for warning in report.warnings:
        body.append(f"\nwarning: {warning}", "yellow")
    title = "Totals (lower bound)" if t.lower_bound else "Totals"
    return Panel(body, title=title, expand=False)


def renderable(report: Report, by: str = "layer", show_all: bool = False) -> RenderableType:
    table = _layer_table(report, show_all) if by == "layer" else _group_table(report, by)
    hidden = 0 if show_all or by != "layer" else sum(r.kind in HIDDEN_KINDS for r in report.layers)
    return Group(table, _summary(report, hidden))


def render(
    report: Report, by: str = "layer", show_all: bool = False, width: int = 140, **_: object
) -> str:
    """Plain text (no colour codes), for writing the table to a file."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(
        renderable(report, by, show_all)
    )
    return buffer.getvalue()
