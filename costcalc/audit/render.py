"""An audit's frame as text: CSV, JSON, Markdown, or a Rich summary table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costcalc import renderers
from costcalc.audit.frames import failed, plain, records
from costcalc.audit.rows import Row

if TYPE_CHECKING:
    import pandas as pd

SCHEMA = "costcalc.audit/1"
FORMATS = ("table", "csv", "json", "markdown")


def format_for(path: str | Path | None, requested: str | None) -> str:
    """The explicit format, else the one the output file's extension names, else table."""
    fmt = renderers.format_for(path, requested)  # the project's extension table
    return fmt if requested or fmt in FORMATS else "table"


def render(frame: pd.DataFrame, fmt: str, width: int = 160) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        import json

        return json.dumps({"schema": SCHEMA, "rows": records(frame)}, indent=2) + "\n"
    if fmt == "markdown":
        return to_markdown(frame)
    if fmt == "table":
        from io import StringIO

        from rich.console import Console

        buffer = StringIO()
        Console(file=buffer, width=width, color_system=None).print(summary_table(frame))
        return buffer.getvalue()
    raise ValueError(f"unknown audit format {fmt!r} (choose from {', '.join(FORMATS)})")


def _count(value: Any) -> str:
    return "—" if plain(value) is None else f"{int(value):,}"


def _saving(value: Any) -> str:
    return "—" if plain(value) is None else f"{float(value):.2f}x"


def _title(frame: pd.DataFrame) -> str:
    ok = int((~failed(frame)).sum())
    return f"costcalc audit: {len(frame)} models, {ok} ok, {len(frame) - ok} failed"


def to_markdown(frame: pd.DataFrame) -> str:
    lines = [
        f"# {_title(frame)}",
        "",
        "| model | status | params | MACs | FLOPs | peak activations (B) | dense MACs | "
        "saving | unsupported | patterns | s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in records(frame):
        cells = [
            row["model"], row["status"], _count(row["params"]), _count(row["macs"]),
            _count(row["flops"]), _count(row["peak_activation_bytes"]),
            _count(row["dense_macs"]), _saving(row["macs_saving"]),
            _count(row["unsupported_ops"]), row["patterns"] or "—", f"{row['seconds']:.2f}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def summary_table(frame: pd.DataFrame, width: int | None = None) -> Any:
    """A Rich table, one line per model, then the reason of each failure. To fit in
    ``width`` columns, under 140 FLOPs, dense MACs and patterns are left out and under
    100 the unsupported-op count too (the CSV has them all)."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from costcalc.units import human_bytes, human_count

    wide = width is None or width >= 140
    numbers: list[tuple[str, Callable[[Row], str], bool]] = [
        ("Params", lambda r: human_count(r["params"]), False),
        ("MACs", lambda r: human_count(r["macs"]), False),
        ("FLOPs", lambda r: human_count(r["flops"]), True),
        ("Peak act.", lambda r: human_bytes(r["peak_activation_bytes"]), False),
        ("Dense MACs", lambda r: human_count(r["dense_macs"]), True),
        ("Saving", lambda r: _saving(r["macs_saving"]), False),
    ]
    numbers = [column for column in numbers if wide or not column[2]]
    if width is None or width >= 100:
        numbers.append(("Unsup.", lambda r: str(r["unsupported_ops"]), False))
    table = Table(title=_title(frame), header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Model", overflow="fold", min_width=12)
    table.add_column("Status", no_wrap=True)
    for header, _, _ in numbers:
        table.add_column(header, justify="right", no_wrap=True)
    if wide:
        table.add_column("Patterns", overflow="fold")
    table.add_column("Time", justify="right", no_wrap=True)
    reasons: list[Text] = []
    for row in records(frame):
        status = row["status"]
        if status.startswith("failed"):
            cells = [""] * (len(numbers) + wide)
            table.add_row(row["model"], Text("failed", style="red"), *cells, _time(row))
            reason = status.removeprefix("failed: ")
            reasons.append(Text.assemble(("✗ ", "red"), f"{row['model']}: {reason}"))
            continue
        cells = [show(row) for _, show, _ in numbers] + ([row["patterns"] or ""] if wide else [])
        style = "green" if status == "ok" else "yellow"
        table.add_row(row["model"], Text(status, style=style), *cells, _time(row))
    return Group(table, *reasons) if reasons else table


def _time(row: Row) -> str:
    return f"{row['seconds']:.2f}s"
