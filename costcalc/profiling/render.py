"""``costcalc profile``'s output: Rich tables (per layer, per kind of op, total), CSV, JSON."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from costcalc.profiling import Profile, ratio


def _us(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 10_000 else f"{value:,.0f}"


def _ratio(value: float | None) -> Text:
    if value is None:
        return Text("-", style="dim")
    style = "green" if 0.8 <= value <= 1.25 else "yellow" if 0.5 <= value <= 2 else "red"
    return Text(f"{value:.2f}×", style=style)


def _settings_line(result: Profile) -> str:
    s = result.settings
    mode = "graph optimisations on" if s.optimized else "graph optimisations off"
    return (
        f"onnxruntime {result.timings.version}, "
        f"{result.timings.provider}, {s.threads} thread(s), {mode}; "
        f"medians of {s.runs} runs after {s.warmup} warm-up run(s)"
    )


def layer_table(result: Profile, top: int = 30) -> Table:
    """The layers with a measured or estimated time, slowest (measured) first."""
    rows = [
        (index, row)
        for index, row in enumerate(result.report.layers)
        if row.measured_us is not None or (row.est_time_us or 0) > 0
    ]
    rows.sort(key=lambda item: -(item[1].measured_us or 0.0))
    shown = rows if top <= 0 else rows[:top]
    title = "Per layer, slowest first"
    if len(shown) < len(rows):
        title += f", top {len(shown)} of {len(rows)}"
    table = Table(title=title, header_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("Layer", overflow="fold", max_width=48)
    table.add_column("Op")
    table.add_column("Category")
    table.add_column("Est. µs", justify="right")
    table.add_column("Measured µs", justify="right")
    table.add_column("Measured/est.", justify="right")
    for index, row in shown:
        table.add_row(
            str(index), row.name, row.op, row.category, _us(row.est_time_us),
            _us(row.measured_us), _ratio(ratio(row.measured_us, row.est_time_us)),
        )  # fmt: skip
    return table


def category_table(result: Profile) -> Table:
    table = Table(title="Per kind of op (summed)", header_style="bold")
    table.add_column("Category")
    table.add_column("Layers", justify="right")
    table.add_column("Est. µs", justify="right")
    table.add_column("Measured µs", justify="right")
    table.add_column("Measured/est.", justify="right")
    table.add_column("Share of measured", justify="right")
    total = sum(g["measured_us"] for g in result.by_category()) or 1.0
    for group in result.by_category():
        table.add_row(
            group["category"], str(group["layers"]), _us(group["est_us"]),
            _us(group["measured_us"]), _ratio(group["ratio"]),
            f"{100 * group['measured_us'] / total:.1f}%",
        )  # fmt: skip
    return table


def total_table(result: Profile) -> Table:
    totals = result.report.totals
    s = result.settings
    measured, costed = result.coverage
    table = Table(title="Total", header_style="bold", show_header=False)
    table.add_column("What")
    table.add_column("Value", justify="right")
    table.add_column("Note", style="dim")
    table.add_row("Estimate", f"{_us(totals.est_time_us)} µs", totals.hardware or "no hardware")
    table.add_row(
        "Measured (end to end)",
        f"{_us(totals.measured_us)} µs",
        f"median of {s.runs} session.run, {s.threads} thread(s)",
    )
    table.add_row(
        "Sum of kernel medians", f"{_us(result.timings.kernel_sum_us)} µs", "profiler, per kernel"
    )
    table.add_row("Measured/est.", _ratio(ratio(totals.measured_us, totals.est_time_us)), "")
    table.add_row(
        "Layers measured",
        f"{measured}/{costed}",
        "costed layers with a kernel"
        + (f"; {len(result.unmatched)} kernel(s) unmatched" if result.unmatched else ""),
    )
    table.add_row("Runs", f"{s.runs} (+{s.warmup} warm-up)", "medians")
    return table


def renderable(result: Profile, top: int = 30) -> RenderableType:
    hardware = result.report.totals.hardware or "no hardware profile"
    heading = Text(
        f"{result.report.model.name}: measured on this machine vs estimated on {hardware}",
        style="bold",
    )
    parts: list[RenderableType] = [heading, layer_table(result, top), category_table(result)]
    parts.append(total_table(result))
    parts.append(Text(f"measured with {_settings_line(result)}"))
    for note in result.notes + list(result.report.warnings):
        parts.append(Text(f"note: {note}", style="dim"))
    return Group(*parts)


def render_json(result: Profile) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"


CSV_COLUMNS = (
    "index", "name", "op", "category", "kind", "module", "flops", "read_bytes", "write_bytes",
    "est_time_us", "measured_us", "ratio",
)  # fmt: skip


def render_csv(result: Profile) -> str:
    """One line per layer with the estimate, the measurement and their ratio."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for index, row in enumerate(result.report.layers):
        writer.writerow(
            [
                index, row.name, row.op, row.category, row.kind, row.module or "",
                _cell(row.flops), _cell(row.read_bytes), _cell(row.write_bytes),
                _cell(row.est_time_us), _cell(row.measured_us),
                _cell(ratio(row.measured_us, row.est_time_us)),
            ]
        )  # fmt: skip
    return buffer.getvalue()


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def render_text(result: Profile, top: int = 30, width: int = 160) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(renderable(result, top))
    return console.export_text()
