"""Console renderer: a Rich table of layers (or groups) and a summary panel of totals."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from costcalc.renderers.console_baseline import pattern_table, saving, se_lines, twin_panel
from costcalc.report import ROOT_MODULE, LayerRow, Report
from costcalc.units import human_bytes, human_count

HIDDEN_KINDS = ("free", "folded")


def _shape(shapes: list[list[int] | None]) -> str:
    return ", ".join("x".join(map(str, s)) if s is not None else "?" for s in shapes)


def _layer_table(report: Report, show_all: bool) -> Table:
    baseline = report.patterns is not None
    table = Table(title=f"{report.model.name}: per-layer costs", header_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("Layer", overflow="fold", max_width=48)
    table.add_column("Op")
    table.add_column("Output", overflow="fold")
    for column in ("Params", "MACs", "FLOPs", "Bytes"):
        table.add_column(column, justify="right")
    estimates = report.totals.est_time_us is not None
    if estimates:
        table.add_column("Est. µs", justify="right")
        table.add_column("Bound")
    if baseline:
        for column in ("FLOP/B", "Dense MACs", "× MACs", "× bytes"):
            table.add_column(column, justify="right")
        table.add_column("Pattern", overflow="fold")
    for index, row in enumerate(report.layers):
        if row.kind in HIDDEN_KINDS and not show_all:
            continue
        style = "red" if row.kind in ("unsupported", "unresolved") else None
        cells = [
            str(index), row.name, row.op, _shape(row.outputs),
            human_count(row.params), human_count(row.macs), human_count(row.flops),
            human_bytes(_moved(row)),
        ]  # fmt: skip
        if estimates:
            cells += [_micros(row.est_time_us), row.bound or ""]
        if baseline:
            cells += [
                "?" if row.intensity is None else f"{row.intensity:.1f}",
                human_count(row.dense_macs), saving(row.dense_macs, row.macs),
                saving(row.dense_bytes, _moved(row)), row.pattern or "",
            ]  # fmt: skip
        table.add_row(*cells, style=style)
    return table


def _moved(row: LayerRow) -> int | None:
    if row.read_bytes is None or row.write_bytes is None:
        return None
    return row.read_bytes + row.write_bytes


def _group_table(report: Report, by: str, depth: int | None) -> Table:
    frame = report.group_by(by, depth)
    title = {"op": "kind of op", "optype": "op type"}.get(by, by)
    baseline = "dense_macs" in frame.columns
    table = Table(title=f"{report.model.name}: costs by {title}", header_style="bold")
    table.add_column(title.capitalize(), overflow="fold")
    for column in ("Layers", "Params", "MACs", "FLOPs", "Bytes"):
        table.add_column(column, justify="right")
    if baseline:
        for column in ("Dense MACs", "× MACs", "× bytes"):
            table.add_column(column, justify="right")
    key = frame.columns[0]
    for record in frame.to_dict("records"):
        moved = _int(record["read_bytes"]) + _int(record["write_bytes"])
        cells = [
            str(record[key]), str(record["layers"]), human_count(_int(record["params"])),
            human_count(_int(record["macs"])), human_count(_int(record["flops"])),
            human_bytes(moved),
        ]  # fmt: skip
        if baseline:
            cells += [
                human_count(_int(record["dense_macs"])),
                saving(_int(record["dense_macs"]), _int(record["macs"])),
                saving(_int(record["dense_bytes"]), moved),
            ]
        table.add_row(*cells)
    return table


def _micros(value: float | None) -> str:
    return "?" if value is None else f"{value:,.1f}"


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
        f"activations  {human_bytes(t.activation_bytes)}"
        + (
            f"  ·  peak {human_bytes(t.peak_activation_bytes)} at {t.peak_layer}"
            if t.peak_activation_bytes is not None
            else ""
        ),
    ]
    if t.training_bytes is not None:
        parts = ", ".join(
            f"{k.replace('_', ' ')} {human_bytes(v)}" for k, v in t.training_bytes.items()
            if k != "total"
        )  # fmt: skip
        lines.append(f"training     {human_bytes(t.training_bytes.get('total'))} ({parts})")
    if t.est_time_us is not None:
        lines.append(f"estimate     {_micros(t.est_time_us)} µs on {t.hardware}")
    if t.measured_us is not None:
        lines.append(f"measured     {_micros(t.measured_us)} µs (median)")
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


def _module_tree(report: Report, depth: int | None, show_all: bool) -> Tree:
    """Per-module totals as a tree, each module's costs including its submodules'."""
    sums: dict[str, list[int]] = {}
    for row in report.layers:
        if row.kind in HIDDEN_KINDS and not show_all:
            continue
        parts = row.module.split(".") if row.module else []
        parts = parts[:depth] if depth is not None else parts
        paths = [".".join(parts[: i + 1]) for i in range(len(parts))] or [ROOT_MODULE]
        for path in paths:
            entry = sums.setdefault(path, [0, 0, 0, 0])
            entry[0] += 1
            entry[1] += row.params or 0
            entry[2] += row.macs or 0
            entry[3] += row.flops or 0
    t = report.totals
    counted = sum(entry[0] for path, entry in sums.items() if "." not in path)
    root = Tree(f"[bold]{report.model.name}[/]  " + _costs(counted, t.params, t.macs, t.flops))
    nodes: dict[str, Tree] = {}
    for path, (layers, params, macs, flops) in sums.items():
        parent_path = path.rsplit(".", 1)[0] if "." in path else None
        parent = nodes.get(parent_path, root) if parent_path else root
        label = path.rsplit(".", 1)[-1] if parent_path in nodes else path
        nodes[path] = parent.add(f"[bold]{label}[/]  " + _costs(layers, params, macs, flops))
    return root


def _costs(layers: int, params: int, macs: int, flops: int) -> str:
    return (
        f"[dim]{layers} layers[/] · params {human_count(params)} · MACs {human_count(macs)}"
        f" · FLOPs {human_count(flops)}"
    )


def renderable(
    report: Report, by: str = "layer", show_all: bool = False, depth: int | None = None
) -> RenderableType:
    if by == "layer":
        body: RenderableType = _layer_table(report, show_all)
    elif by == "module":
        body = _module_tree(report, depth, show_all)
    else:
        body = _group_table(report, by, depth)
    hidden = (
        0
        if show_all or by in ("op", "optype")
        else sum(r.kind in HIDDEN_KINDS for r in report.layers)
    )
    parts: list[RenderableType] = [body]
    if report.patterns is not None:
        if report.patterns:
            parts.append(pattern_table(report))
        parts += [Text(line) for line in se_lines(report)]
        parts.append(twin_panel(report))
    return Group(*parts, _summary(report, hidden))


def render(
    report: Report,
    by: str = "layer",
    show_all: bool = False,
    depth: int | None = None,
    width: int = 140,
    **_: object,
) -> str:
    """Plain text (no colour codes), for writing the table to a file."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(
        renderable(report, by, show_all, depth)
    )
    return buffer.getvalue()
