"""``costcalc diff A B``: per-layer and total differences of two models or saved reports."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from costcalc.analyses.diff import METRICS, LayerDiff, ReportDiff, Side, TotalDiff, is_report_path
from costcalc.analyses.diff import diff as diff_models
from costcalc.commands.options import output_options
from costcalc.errors import InputSpecError
from costcalc.output import write_text
from costcalc.renderers.tables import html_document, html_table, markdown_table
from costcalc.units import human_bytes, human_count

FORMATS = ("table", "csv", "json", "markdown", "html")
_BY_EXTENSION = {
    ".csv": "csv",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "table",
}
_LABELS = {"params": "Params", "macs": "MACs", "flops": "FLOPs", "bytes": "Bytes"}
_STATUS_STYLE = {
    "same": "dim",
    "changed": "yellow",
    "added": "bold cyan",
    "removed": "bold magenta",
}
_ROW_STYLE = {"added": "cyan", "removed": "magenta"}
NA = "n/a"


# --------------------------------------------------------------------------- cells


def _human(metric: str) -> Callable[[int | None], str]:
    return human_bytes if "bytes" in metric else human_count


def _signed(value: int | float | None, metric: str) -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:+,.1f}"
    text = _human(metric)(abs(value))
    return "±0" if value == 0 else f"{'+' if value > 0 else '-'}{text}"


def _pct(value: float | None, status: str = "changed") -> str:
    if value is None:
        return "new" if status == "added" else NA
    return f"{value:+.1f}%" if value else "0%"


def _exact(value: int | float | None) -> str:
    if value is None:
        return NA
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _exact_signed(value: int | float | None) -> str:
    if value is None:
        return NA
    if value == 0:
        return "0"
    return f"{value:+,.1f}" if isinstance(value, float) else f"{value:+,}"


def _delta_style(delta: int | float | None) -> str | None:
    """Costs: an increase is bad (red), a decrease good (green)."""
    if not delta:
        return None
    return "red" if delta > 0 else "green"


def _side_line(label: str, side: Side) -> str:
    shapes = ", ".join(f"{k} {'x'.join(map(str, v)) if v else '?'}" for k, v in side.inputs.items())
    dtype = f", dtype {side.dtype}" if side.dtype else ""
    bound = " (totals are a lower bound)" if side.lower_bound else ""
    return f"{label}: {side.name} [{side.source}] ({shapes}{dtype}){bound}"


def _summary_line(result: ReportDiff, shown: int) -> str:
    counts = result.counts()
    if result.unchanged:
        return f"No change: all {len(result.rows)} layers match with equal costs."
    parts = ", ".join(f"{counts[s]} {s}" for s in ("changed", "added", "removed", "same"))
    hidden = len(result.rows) - shown
    more = (
        f"; {hidden} row(s) hidden (unchanged, free or folded: --all shows them)" if hidden else ""
    )
    return f"Layers: {parts}{more}."


# --------------------------------------------------------------------------- Rich table


def _metric_cell(row: LayerDiff, metric: str) -> Text:
    """'A → B' (or the one side's value), and under it the coloured delta and %."""
    a, b = getattr(row, f"a_{metric}"), getattr(row, f"b_{metric}")
    fmt = _human(metric)
    if row.status == "added":
        text = Text(fmt(b))
    elif row.status == "removed" or a == b:
        text = Text(fmt(a))
    else:
        text = Text(f"{fmt(a)} → {fmt(b)}")
    delta = getattr(row, f"delta_{metric}")
    if delta != 0:
        pct = _pct(getattr(row, f"pct_{metric}"), row.status)
        text.append(f"\n{_signed(delta, metric)} ({pct})", style=_delta_style(delta) or "")
    return text


def layer_table(result: ReportDiff, rows: list[LayerDiff]) -> Table:
    table = Table(
        title=f"{result.a.name} → {result.b.name}: per-layer differences",
        caption="Layer 'x → y': matched by position (renamed); Δ = B - A, % of A",
        header_style="bold",
    )
    table.add_column("Status", min_width=7)
    table.add_column("Layer", overflow="fold", min_width=16)
    table.add_column("Op", overflow="fold", min_width=6)
    for metric in METRICS:
        table.add_column(_LABELS[metric], justify="right", overflow="fold")
    for row in rows:
        cells: list[str | Text] = [Text(row.status, style=_STATUS_STYLE[row.status]), row.name]
        cells.append(row.op)
        cells += [_metric_cell(row, metric) for metric in METRICS]
        table.add_row(*cells, style=_ROW_STYLE.get(row.status))
    return table


def totals_table(result: ReportDiff) -> Table:
    table = Table(title="Totals (B - A)", header_style="bold")
    table.add_column("Metric")
    for column in ("A", "B", "Δ", "Δ %"):
        table.add_column(column, justify="right")
    for t in result.totals:
        style = _delta_style(t.delta) or ""
        table.add_row(
            t.label,
            _exact(t.a),
            _exact(t.b),
            Text(_exact_signed(t.delta), style=style),
            Text(_pct(t.pct), style=style),
        )
    return table


def renderable(result: ReportDiff, show_all: bool = False) -> RenderableType:
    rows = result.visible_rows(show_all)
    parts: list[RenderableType] = [
        Text(_side_line("A", result.a) + "\n" + _side_line("B", result.b), style="dim")
    ]
    if rows:
        parts.append(layer_table(result, rows))
    parts.append(totals_table(result))
    parts.append(Text(_summary_line(result, len(rows)), style="bold"))
    parts += [Text(f"note: {n}", style="yellow") for n in result.notes]
    return Group(*parts)


def render_table(result: ReportDiff, show_all: bool = False, width: int = 160) -> str:
    """The Rich tables as plain text (no colour codes), for a file."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(
        renderable(result, show_all)
    )
    return buffer.getvalue()


# --------------------------------------------------------------------------- other formats


def render_csv(result: ReportDiff, show_all: bool = False) -> str:
    """Every layer pair (``--all`` is implied: filter on ``status``), exact integers."""
    return result.to_dataframe().to_csv(index=False)


def render_json(result: ReportDiff, show_all: bool = False) -> str:
    """The ``costcalc.diff/1`` document, every layer pair included."""
    return result.to_json() + "\n"


_LAYER_COLUMNS = ["Status", "Match", "Layer (A)", "Layer (B)", "Op"] + [
    f"{label} {part}" for label in _LABELS.values() for part in ("A", "B", "Δ", "Δ %")
]
_LAYER_NUMERIC = [False] * 5 + [True] * (4 * len(METRICS))
_TOTAL_COLUMNS = ["Metric", "A", "B", "Δ", "Δ %"]
_TOTAL_NUMERIC = [False, True, True, True, True]


def _layer_cells(row: LayerDiff, signed: bool) -> list[object]:
    """Exact values; '—' for the side a layer is absent from, 'n/a' for a cost unknown."""
    cells: list[object] = [row.status, row.matched_by or "", row.a_name or "—",
                           row.b_name or "—", row.op]  # fmt: skip
    for metric in METRICS:
        a, b = getattr(row, f"a_{metric}"), getattr(row, f"b_{metric}")
        delta = getattr(row, f"delta_{metric}")
        cells += [
            "—" if row.status == "added" else _na(a),
            "—" if row.status == "removed" else _na(b),
            _exact_signed(delta) if signed or delta is None else delta,
            _pct(getattr(row, f"pct_{metric}"), row.status),
        ]
    return cells


def _total_cells(t: TotalDiff) -> list[object]:
    return [t.label, _na(t.a), _na(t.b), _exact_signed(t.delta), _pct(t.pct)]


def _na(value: object) -> object:
    return NA if value is None else value


def render_markdown(result: ReportDiff, show_all: bool = False) -> str:
    rows = result.visible_rows(show_all)
    parts = [
        f"# costcalc diff: {result.a.name} → {result.b.name}\n",
        f"- {_side_line('A', result.a)}\n- {_side_line('B', result.b)}\n",
        "## Totals (B - A)\n",
        markdown_table(_TOTAL_COLUMNS, [_total_cells(t) for t in result.totals], _TOTAL_NUMERIC),
        f"{_summary_line(result, len(rows))}\n",
    ]
    parts += [f"> note: {n}\n" for n in result.notes]
    if rows:
        parts += [
            "## Layers\n",
            markdown_table(_LAYER_COLUMNS, [_layer_cells(r, True) for r in rows], _LAYER_NUMERIC),
        ]
    return "\n".join(parts)


def render_html(result: ReportDiff, show_all: bool = False) -> str:
    import html

    rows = result.visible_rows(show_all)
    intro = (
        "<p>"
        + "<br>".join(
            html.escape(_side_line(label, side))
            for label, side in (("A", result.a), ("B", result.b))
        )
        + "</p>"
    )
    summary = f"<p><strong>{html.escape(_summary_line(result, len(rows)))}</strong></p>" + "".join(
        f'<p class="warn">note: {html.escape(n)}</p>' for n in result.notes
    )
    sections = [
        ("", intro),
        (
            "Totals (B - A)",
            html_table(
                _TOTAL_COLUMNS,
                [_total_cells(t) for t in result.totals],
                _TOTAL_NUMERIC,
                sortable=False,
                table_id="totals",
            )
            + summary,
        ),
    ]
    if rows:
        sections.append(
            (
                "Layers",
                html_table(
                    _LAYER_COLUMNS,
                    [_layer_cells(r, False) for r in rows],
                    _LAYER_NUMERIC,
                    table_id="layers",
                ),
            )
        )
    title = f"costcalc diff: {result.a.name} → {result.b.name}"
    return html_document(title, sections, footer="Δ = B - A; costcalc.diff/1")


RENDERERS: dict[str, Callable[..., str]] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}


def format_for(path: str | None, requested: str | None) -> str:
    if requested:
        return requested
    if path is not None:
        return _BY_EXTENSION.get(Path(path).suffix.lower(), "table")
    return "table"


# --------------------------------------------------------------------------- the command


@click.command(name="diff")
@click.argument("a")
@click.argument("b")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="[NAME=]SHAPE",
    help="Input shape for the models (both sides), e.g. 1x3x224x224. Repeatable.",
)
@click.option(
    "--dim",
    "dims",
    multiple=True,
    metavar="SYMBOL=SIZE",
    help="Bind a symbolic dimension of the models, e.g. N=8. Repeatable.",
)
@click.option(
    "--dtype",
    default=None,
    metavar="TYPE",
    help="Count bytes of the models' floating tensors at this type: fp32, fp16, bf16, int8.",
)
@click.option(
    "--baseline",
    type=click.Choice(["dense"]),
    default=None,
    help="Analyse the models with their dense baseline (compares dense totals too).",
)
@output_options(FORMATS, "the diff")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Table, markdown, html: also show unchanged layers and free/folded nodes "
    "(CSV and JSON always hold every layer).",
)
def diff(a, b, inputs, dims, dtype, baseline, fmt, output, force, show_all) -> None:
    """Per-layer and total differences (B - A) of params, MACs, FLOPs and bytes.

    A and B are each a saved JSON report (`costcalc analyze ... --format json`) or a
    model (.onnx, zoo:NAME, package.module:callable); --input/--dim/--dtype/--baseline
    apply to the models. Layers are matched by name, then by position: between two
    name-matched layers, the unmatched ones of the same op pair up in execution order
    (a renamed layer). The rest are removed (only in A) or added (only in B). Increases
    are red, decreases green.

    \b
    Examples:
      costcalc diff zoo:mobilenet_v1 zoo:mobilenet_v2
      costcalc diff before.json after.onnx --input 1x3x224x224
      costcalc diff old.onnx new.onnx --all --format markdown -o diff.md
      costcalc diff a.json b.json --format csv -o diff.csv
    """
    if (inputs or dims or dtype or baseline) and is_report_path(a) and is_report_path(b):
        raise InputSpecError(
            "--input/--dim/--dtype/--baseline apply to models, and A and B are both saved reports"
        )
    options = {"inputs": list(inputs), "dims": list(dims), "dtype": dtype, "baseline": baseline}
    result = diff_models(a, b, **options)
    fmt = format_for(output, fmt)
    if output is not None:
        write_text(output, RENDERERS[fmt](result, show_all=show_all), force=force, protected=[a, b])
        click.echo(f"wrote {output}", err=True)
    elif fmt == "table":
        Console().print(renderable(result, show_all))
    else:
        click.echo(RENDERERS[fmt](result, show_all=show_all), nl=False)
