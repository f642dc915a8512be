"""A check's results for people: a Rich table, JSON, Markdown and HTML, each limit's
cells, the one-line verdict and a sentence per limit."""

from __future__ import annotations

import html
import io
import json

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from costcalc.budget.results import CheckResult, LimitResult, fmt_value
from costcalc.renderers.tables import html_document, html_table, markdown_table

COLUMNS = ("Limit", "Value", "Max", "Margin", "Result")
NUMERIC = ("Value", "Max", "Margin")


def limit_name(result: LimitResult) -> str:
    """The key, with the change of a regression limit and the hardware of a timed one."""
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
        limit_name(result),
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
        return (
            f"{limit_name(result)} {value} is within {limit} ({result.rule}; "
            f"margin {margin}{share})"
        )
    over = fmt_value(result.key, -result.margin)
    share = "" if pct is None else f" ({-pct:.1f}%)"
    return f"{limit_name(result)} {value} exceeds {limit} ({result.rule}) by {over}{share}"


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
