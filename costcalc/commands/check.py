"""``costcalc check``: a model against a cost budget; exit 0 within it, 1 over, 2 bad input.

The results' renderers live in ``costcalc.budget.render`` (table, JSON, Markdown, HTML)
and ``costcalc.budget.render_ci`` (GitHub Actions annotations, JUnit XML).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from costcalc.budget import check as run_check
from costcalc.budget.render import (
    render_html,
    render_json,
    render_markdown,
    render_table,
    renderable,
    summary,
)
from costcalc.budget.render_ci import append_step_summary, render_github, render_junit
from costcalc.commands.options import output_options
from costcalc.output import write_text

FORMATS = ("table", "json", "markdown", "html", "github", "junit")
_BY_EXTENSION = {
    ".xml": "junit", ".json": "json", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".txt": "table",
}  # fmt: skip
RENDERERS = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
    "github": render_github,
    "junit": render_junit,
}


@click.command("check")
@click.argument("model", required=False)
@click.option(
    "--budget",
    "budget_file",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Budget TOML file (default: [tool.costcalc.budget] of the nearest pyproject.toml).",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="[NAME=]SHAPE",
    help="Input shape (replaces the budget's [model] inputs). Repeatable.",
)
@click.option(
    "--dim", "dims", multiple=True, metavar="SYMBOL=SIZE", help="Bind a symbolic dimension."
)
@click.option("--dtype", default=None, metavar="TYPE", help="Count bytes at this type (fp16...).")
@output_options(FORMATS, "the results")
@click.pass_context
def check(ctx, model, budget_file, inputs, dims, dtype, fmt, output, force) -> None:
    """Check MODEL against a cost budget: exit 0 within it, 1 over it, 2 bad input.

    The budget is TOML: [budget] holds absolute limits on the JSON totals' keys (params,
    macs, flops, peak_activation_bytes, read_bytes..., and latency_ms with a hardware
    profile); [regression] holds limits relative to a saved report ("+2%", "-5%", "+1M");
    [model] the inputs, dims, dtype and the model itself when MODEL is omitted. Totals
    that are a lower bound (uncosted ops) fail unless allow_lower_bound = true.

    \b
    Examples:
      costcalc check zoo:mobilenet_v2 --budget budgets/mobilenet_v2.toml
      costcalc check model.onnx --budget budget.toml --format github
      costcalc check model.onnx --budget budget.toml --format junit -o costcalc.xml
      costcalc check model.onnx --budget budget.toml --format markdown -o budget.md
      costcalc check            # the budget of pyproject.toml's [tool.costcalc.*]
    """
    result = run_check(model, budget_file, inputs=list(inputs), dims=list(dims), dtype=dtype)
    if fmt is None:
        fmt = _BY_EXTENSION.get(Path(output).suffix.lower(), "table") if output else "table"
    for warning in result.warnings:
        click.echo(f"costcalc: warning: {warning}", err=True)
    protected = [m for m in (model, budget_file, result.baseline) if m]
    if output is not None:
        write_text(output, RENDERERS[fmt](result), force=force, protected=protected)
        click.echo(f"wrote {output}", err=True)
        click.echo(summary(result), err=True)
    elif fmt == "table":
        Console().print(renderable(result))
    else:
        click.echo(RENDERERS[fmt](result), nl=False)
    if fmt == "github":
        append_step_summary(result)
    if not result.passed:
        ctx.exit(1)
