"""``costcalc check``: a model against a cost budget; exit 0 within it, 1 over, 2 bad input.

The renderers of a check's results live here too: a Rich table, JSON, Markdown, HTML,
GitHub Actions annotations (plus the Markdown summary appended to
``$GITHUB_STEP_SUMMARY``) and JUnit XML.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import click
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from costcalc.budget import CheckResult, LimitResult, fmt_value
from costcalc.budget import check as run_check
from costcalc.errors import OutputError
from costcalc.output import write_text
from costcalc.renderers.tables import html_document, html_table, markdown_table

FORMATS = ("table", "json", "markdown", "html", "github", "junit")
_BY_EXTENSION = {
    ".xml": "junit", ".json": "json", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".txt": "table",
}  # fmt: skip
COLUMNS = ("Limit", "Value", "Max", "Margin", "Result")
NUMERIC = ("Value", "Max", "Margin")


def _name(result: LimitResult) -> str:
    name = result.key
    if result.section == "regression":
        name += f" {result.change} vs baseline"
    if result.hardware:
        name += f" @ {result.hardware}"
    return name


def _margin(result: LimitResult) -> str:
    text = fmt_value(result.key, result.margin, signed=True)
    pct = result.margin_percent
    return text if pct is None else f"{text} ({pct:.1f}%)"


def _cells(result: LimitResult) -> list[str]:
    return [
        _name(result),
        fmt_value(result.key, result.value),
        fmt_value(result.key, result.limit),
        _margin(result),
        "PASS" if result.passed else "FAIL",
    ]


def summary(check: CheckResult) -> str:
    total, failed = len(check.results), len(check.failures)
    if not failed:
        return f"PASS: {check.model} is within all {total} limit(s) of {check.budget}"
    names = ", ".join(r.key for r in check.failures)
    return f"FAIL: {check.model} exceeds {failed} of {total} limit(s) of {check.budget}: {names}"


def describe(result: LimitResult) -> str:
    """One sentence per limit, for annotations and JUnit messages."""
    value, limit = fmt_value(result.key, result.value), fmt_value(result.key, result.limit)
    pct = result.margin_percent
    if result.section == "lower_bound":
        return result.rule
    if result.passed:
        share = "" if pct is None else f", {pct:.1f}%"
        margin = fmt_value(result.key, result.margin)
        return f"{_name(result)} {value} is within {limit} ({result.rule}; margin {margin}{share})"
    over = fmt_value(result.key, -result.margin)
    share = "" if pct is None else f" ({-pct:.1f}%)"
    return f"{_name(result)} {value} exceeds {limit} ({result.rule}) by {over}{share}"


# --------------------------------------------------------------------------- renderers


def renderable(check: CheckResult) -> RenderableType:
    table = Table(
        title=f"costcalc check: {check.model} against {check.budget}", header_style="bold"
    )
    for column in COLUMNS:
        right = column in NUMERIC
        table.add_column(column, justify="right" if right else "left", no_wrap=column != "Limit")
    for result in check.results:
        cells = _cells(result)
        status = Text(cells[-1], style="bold green" if result.passed else "bold red")
        table.add_row(*cells[:-1], status)
    parts: list[RenderableType] = [table]
    parts += [Text(r.rule, style="red") for r in check.results if r.section == "lower_bound"]
    parts.append(Text(summary(check), style="bold green" if check.passed else "bold red"))
    return Group(*parts)


def render_table(check: CheckResult) -> str:
    console = Console(file=io.StringIO(), width=140, record=True, color_system=None)
    console.print(renderable(check))
    return console.export_text()


def render_json(check: CheckResult) -> str:
    return json.dumps(check.to_dict(), indent=2) + "\n"


def render_markdown(check: CheckResult) -> str:
    rows = [_cells(r) for r in check.results]
    for row, result in zip(rows, check.results, strict=True):
        row[-1] = "✅ PASS" if result.passed else "❌ FAIL"
    numeric = [c in NUMERIC for c in COLUMNS]
    notes = "".join(f"\n> warning: {w}\n" for w in check.warnings)
    return (
        f"## costcalc check: `{check.model}`\n\n"
        + markdown_table(COLUMNS, rows, numeric)
        + f"\n**{summary(check)}**\n"
        + notes
    )


def render_html(check: CheckResult) -> str:
    rows = [_cells(r) for r in check.results]
    numeric = [c in NUMERIC for c in COLUMNS]
    verdict = "good" if check.passed else "bad"

    sections = [
        ("Limits", html_table(COLUMNS, rows, numeric, table_id="limits")),
        ("", f'<p class="{verdict}"><strong>{html.escape(summary(check))}</strong></p>'),
    ]
    if check.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in check.warnings)
        sections.append(("Warnings", f'<ul class="warn">{items}</ul>'))
    return html_document(
        f"costcalc check: {check.model}",
        sections,
        footer=f"budget {check.budget}"
        + (f", baseline {check.baseline}" if check.baseline else ""),
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(check: CheckResult) -> str:
    """GitHub Actions workflow commands: ::error for each exceeded limit, ::notice for the
    others, pointing at the budget file's line when known."""
    budget = check.budget
    with contextlib.suppress(ValueError):  # a path GitHub resolves from the workspace
        budget = budget.resolve().relative_to(Path.cwd().resolve())
    lines = []
    for result in check.results:
        level = "notice" if result.passed else "error"
        props = {"title": f"costcalc {result.section.replace('_', ' ')}", "file": str(budget)}
        if result.line:
            props["line"] = str(result.line)
        joined = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items())
        lines.append(f"::{level} {joined}::{_escape_data(describe(result))}")
    for warning in check.warnings:
        lines.append(f"::warning title=costcalc check::{_escape_data(warning)}")
    lines.append(summary(check))
    return "\n".join(lines) + "\n"


def render_junit(check: CheckResult) -> str:
    """One testsuite, one testcase per limit, a <failure> for each exceeded one."""
    suites = ET.Element("testsuites", name="costcalc check")
    suite = ET.SubElement(
        suites, "testsuite", name=f"costcalc check: {check.model}",
        tests=str(len(check.results)), failures=str(len(check.failures)), errors="0",
        skipped="0", time="0",
    )  # fmt: skip
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="budget", value=str(check.budget))
    if check.baseline:
        ET.SubElement(properties, "property", name="baseline", value=str(check.baseline))
    for result in check.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"costcalc.{result.section}", name=_name(result),
            time="0",
        )  # fmt: skip
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=describe(result), type="budget")
            failure.text = json.dumps(result.to_dict(), indent=2)
        else:
            ET.SubElement(case, "system-out").text = describe(result)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


RENDERERS = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
    "github": render_github,
    "junit": render_junit,
}


def append_step_summary(check: CheckResult) -> Path | None:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` if it is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(check) + "\n")
    except OSError as exc:
        raise OutputError(f"GITHUB_STEP_SUMMARY {target}: cannot append ({exc})") from exc
    return Path(target)


# --------------------------------------------------------------------------- the command


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: from the -o extension, else table).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the results to FILE (atomically; never over an existing file).",
)
@click.option("--force", is_flag=True, help="Allow -o to replace an existing file.")
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
