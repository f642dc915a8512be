"""``costcalc zoo``."""

from __future__ import annotations

import click
from rich import box
from rich.console import Console
from rich.table import Table

from costcalc.commands.options import output_options
from costcalc.output import check_target, write_text
from costcalc.units import human_count

FORMATS = ["table", "csv", "markdown", "json"]


@click.command()
@output_options(FORMATS)
def zoo(fmt, output, force) -> None:
    """The built-in architectures, analysed, beside their papers' figures.

    \b
    Examples:
      costcalc zoo
      costcalc analyze zoo:mobilenet_v2
      costcalc zoo --format markdown -o reports/zoo.md
    """  # fmt: skip
    from costcalc.zoo.audit import audit, to_markdown

    if output is not None:
        check_target(output, force=force)  # before analysing every zoo model, not after
    frame = audit()
    if fmt is None:
        suffix = (output or "").rsplit(".", 1)[-1].lower()
        fmt = {"csv": "csv", "md": "markdown", "json": "json"}.get(suffix, "table")
    if fmt == "table":
        text = None
    elif fmt == "csv":
        text = frame.to_csv(index=False)
    elif fmt == "markdown":
        text = to_markdown(frame)
    else:
        text = frame.to_json(orient="records", indent=2) + "\n"
    if output is not None:
        write_text(output, text if text is not None else _plain(frame), force=force)
        click.echo(f"wrote {output}", err=True)
    elif text is None:
        Console().print(_table(frame))
    else:
        click.echo(text, nl=False)


def _table(frame) -> Table:
    table = Table(
        title="costcalc zoo: our exact counts beside the papers'",
        header_style="bold", box=box.SIMPLE_HEAD,
    )  # fmt: skip
    for column in ("Model", "Params", "Paper", "Δ", "MACs", "Paper", "Δ"):
        left = column == "Model"
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    for row in frame.to_dict("records"):
        table.add_row(
            row["model"],
            human_count(row["params"]), _paper(row["paper_params"]), _pct(row["params_diff_pct"]),
            human_count(row["macs"]), _paper(row["paper_macs"]), _pct(row["macs_diff_pct"]),
        )  # fmt: skip
    return table


def _paper(value) -> str:
    return "—" if value is None or value != value else human_count(int(value), 1)


def _pct(value) -> str:
    return "—" if value is None or value != value else f"{value:+.1f}%"


def _plain(frame) -> str:
    from io import StringIO

    buffer = StringIO()
    Console(file=buffer, width=120, color_system=None).print(_table(frame))
    return buffer.getvalue()
