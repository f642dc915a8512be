"""The dense-baseline parts of the console output: saving cells, the pattern summary and
the model-versus-dense-twin panel."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from costcalc.report import PatternRow, Report
from costcalc.units import human_bytes, human_count


def saving(dense: int | None, actual: int | None) -> Text:
    """dense / actual as '8.5x', green when it saves, red when the dense one is cheaper."""
    if dense is None or actual is None or (dense == actual):
        return Text("–", style="dim")
    if dense == 0:  # the baseline is to leave it out (SE, shuffle): this is pure overhead
        return Text("overhead", style="yellow")
    if actual == 0:
        return Text("∞", style="green")
    ratio = dense / actual
    style = "bold green" if ratio >= 2 else "green" if ratio > 1 else "red"
    return Text(f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x", style=style)


def pattern_table(report: Report) -> Table:
    """Per pattern kind: count, costs, the baseline's costs and the savings."""
    table = Table(title="Lightweight patterns against their baselines", header_style="bold")
    table.add_column("Pattern")
    table.add_column("Count", justify="right")
    table.add_column("Baseline", overflow="fold", max_width=32)
    for column in ("Params", "MACs", "Bytes", "× params", "× MACs", "× bytes"):
        table.add_column(column, justify="right")
    groups: dict[str, list[PatternRow]] = defaultdict(list)
    for pattern in report.patterns or []:
        groups[pattern.kind].append(pattern)
    for kind, patterns in groups.items():
        params, macs = sum(p.params for p in patterns), sum(p.macs for p in patterns)
        moved = sum(p.bytes for p in patterns)
        d_params = sum(p.dense_params or 0 for p in patterns)
        d_macs = sum(p.dense_macs or 0 for p in patterns)
        d_bytes = sum(p.dense_bytes or 0 for p in patterns)
        baselines = {p.baseline for p in patterns}
        baseline = baselines.pop() if len(baselines) == 1 else _generic_baseline(kind)
        table.add_row(
            kind, str(len(patterns)), baseline, human_count(params), human_count(macs),
            human_bytes(moved), saving(d_params, params), saving(d_macs, macs),
            saving(d_bytes, moved),
        )  # fmt: skip
    return table


def _generic_baseline(kind: str) -> str:
    return "the standard KxK conv Cin->Cout" if kind == "depthwise-separable" else "dense"


def se_lines(report: Report) -> list[str]:
    lines = []
    for p in report.patterns or []:
        if p.kind != "squeeze-excitation":
            continue
        block = (
            f"{p.share_of_block_params:.1%} of {p.block}'s params, "
            f"{p.share_of_block_macs:.1%} of its MACs; "
            if p.block and p.share_of_block_params is not None and p.share_of_block_macs is not None
            else ""
        )
        lines.append(
            f"{p.id} at {p.module or '?'}: {p.attrs.get('channels')} channels, reduction "
            f"{p.attrs.get('reduction')}, {human_count(p.params)} params, "
            f"{human_count(p.macs)} MACs — {block}{p.share_of_model_params or 0:.2%} of the "
            f"model's params"
        )
    return lines


def twin_panel(report: Report) -> Panel:
    t = report.totals
    moved = t.read_bytes + t.write_bytes
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("", "This model", "Dense twin", "Saving"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("params", human_count(t.params), human_count(t.dense_params),
                  saving(t.dense_params, t.params))  # fmt: skip
    table.add_row("MACs", human_count(t.macs), human_count(t.dense_macs),
                  saving(t.dense_macs, t.macs))  # fmt: skip
    table.add_row("bytes moved", human_bytes(moved), human_bytes(t.dense_bytes),
                  saving(t.dense_bytes, moved))  # fmt: skip
    note = Text(
        "the dense twin: every depthwise-separable block as the standard conv it replaces,\n"
        "every other grouped conv with groups=1",
        style="dim",
    )
    return Panel(Group(table, note), title="Against the dense twin", expand=False)
