"""HTML renderer: the report as one self-contained page (inline CSS, a few lines of
JavaScript, plots as base64 PNG data URIs; nothing is fetched from the network).

The page holds the same sections as the Markdown report (built in ``markdown.py``): the
summary, the per-layer or grouped table (sortable: click a heading; exact values in
``data-sort``), the dense twin and the pattern summary, and the roofline and per-layer
plots when matplotlib is installed.
"""

from __future__ import annotations

import base64
import html
import importlib
from typing import Any

from costcalc import __version__
from costcalc.renderers import markdown as content
from costcalc.renderers.console_baseline import se_lines
from costcalc.renderers.tables import Value, html_document, html_table
from costcalc.report import SCHEMA, Report
from costcalc.units import human_bytes, human_count

MAX_BAR_LAYERS = 2000  # beyond this the per-layer bars are unreadable and slow to draw

_CSS = """
body{max-width:1400px}
.meta{color:#57606a;margin:-.4rem 0 1rem}
.meta code,td.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
 font-size:.8rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.6rem;
 margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.55rem .8rem;background:#f6f8fa}
.side{display:flex;flex-wrap:wrap;gap:0 2.5rem;align-items:flex-start}
.side h3{margin-top:0}
.card .label{font-size:.72rem;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:1.4rem;font-weight:600;margin:.1rem 0}
.card .exact{font-size:.75rem;color:#57606a;font-variant-numeric:tabular-nums}
.banner{border-left:4px solid #9a6700;background:#fff8c5;padding:.5rem .75rem;margin:.5rem 0}
.banner.bad{border-color:#cf222e;background:#ffebe9}
.scroll{overflow:auto;max-height:80vh;border:1px solid #d0d7de;margin:.5rem 0}
.scroll table{margin:0;border:0}
.scroll th{border-top:0}
.scroll td,.scroll th{white-space:nowrap}
.side .note{max-width:26rem}
tr.bad td{background:#ffebe9}
tr:hover td{background:#f6f8fa}
.dim,td.dim{color:#8c959f}
.note{color:#57606a;font-size:.85rem}
.plots figure{margin:1rem 0}
img.plot{max-width:min(100%,1150px)}
.plots figcaption{color:#57606a;font-size:.85rem}
input.filter{font:inherit;padding:.3rem .5rem;border:1px solid #d0d7de;border-radius:6px;
 width:22rem;max-width:100%}
table.summary td:first-child{font-weight:600}
ul.se{font-size:.85rem}
"""

_FILTER_JS = """
document.querySelectorAll('input.filter').forEach(function(box){
 var t=document.getElementById(box.dataset.table);
 box.addEventListener('input',function(){var q=box.value.toLowerCase();
  Array.from(t.tBodies[0].rows).forEach(function(r){
   r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});});
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(section: content.Section, sortable: bool = True, css: str = "") -> str:
    rows = [
        [
            Value(v, css="code") if i in section.code and isinstance(v, str) and v else v
            for i, v in enumerate(row)
        ]
        for row in section.rows
    ]
    table = html_table(
        section.columns,
        rows,
        section.numeric,
        sortable=sortable,
        table_id=section.table_id or None,
        row_classes=section.row_classes or None,
    )
    if css:  # an extra class on the table
        table = table.replace(' class="sortable"', "", 1)
        classes = f"{css} sortable" if sortable else css
        table = table.replace("<table", f'<table class="{classes}"', 1)
    return table


def _scrolling(table: str) -> str:
    return f'<div class="scroll">{table}</div>'


def _card(label: str, value: str, detail: str = "") -> str:
    return (
        f'<div class="card"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div>'
        + (f'<div class="exact">{_e(detail)}</div>' if detail else "")
        + "</div>"
    )


def _cards(report: Report) -> str:
    t = report.totals
    bound = "≥ " if t.lower_bound else ""
    moved = t.read_bytes + t.write_bytes
    cards = [
        _card("Params", bound + human_count(t.params), f"{t.params:,}"),
        _card("MACs", bound + human_count(t.macs), f"{t.macs:,}"),
        _card("FLOPs", bound + human_count(t.flops), f"{t.flops:,}"),
        _card("Bytes moved", bound + human_bytes(moved), f"{moved:,} B"),
    ]
    if t.peak_activation_bytes is not None:
        cards.append(
            _card(
                "Peak activations",
                human_bytes(t.peak_activation_bytes),
                f"{t.peak_activation_bytes:,} B",
            )
        )
    if t.est_time_us is not None:
        cards.append(_card("Estimated latency", f"{t.est_time_us:,.1f} µs", t.hardware or ""))
    if t.measured_us is not None:
        cards.append(_card("Measured latency", f"{t.measured_us:,.1f} µs", "median"))
    if t.dense_macs is not None and t.macs:
        cards.append(
            _card("MACs saving", f"{t.dense_macs / t.macs:.2f}x", f"dense twin {t.dense_macs:,}")
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _meta(report: Report) -> str:
    m = report.model
    parts = [f"model <code>{_e(m.name)}</code>"]
    if m.source and m.source != m.name:
        parts.append(f"source <code>{_e(m.source)}</code>")
    inputs = content.inputs_text(report, lambda name: f"<code>{_e(name)}</code>")
    parts.append(f"inputs {inputs or 'none'}")
    if m.dtype:
        parts.append(f"counted at <code>{_e(m.dtype)}</code>")
    return '<p class="meta">' + " · ".join(parts) + "</p>"


def _notes(found: content.Notes) -> str:
    out = []
    if found.lower_bound:
        out.append(f'<div class="banner bad"><b>Lower bound:</b> {_e(found.lower_bound)}</div>')
    out += [f'<div class="banner"><b>Warning:</b> {_e(w)}</div>' for w in found.warnings]
    return "\n".join(out)


# --- plots -------------------------------------------------------------------------------


def resolve_hardware(report: Report, hardware: Any = None) -> Any:
    """The Hardware of the report's estimates: ``hardware`` (a Hardware, a profile name or
    a TOML path) if given, else the shipped profile whose name the report records."""
    if report.totals.est_time_us is None:
        return None
    from costcalc.hardware import Hardware, load_hardware, names

    if isinstance(hardware, Hardware):
        return hardware
    if hardware:
        return load_hardware(hardware)
    for key in names():
        profile = load_hardware(key)
        if profile.name == report.totals.hardware:
            return profile
    return None


def _png(plots: Any, fig: Any) -> str:
    return base64.b64encode(plots.figure_bytes(fig, "png")).decode("ascii")


def _figure(data: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def plots_html(report: Report, hardware: Any = None) -> str:
    """The roofline (with estimates) and the per-layer bars, as embedded PNGs; a note for
    each plot that cannot be drawn."""
    try:
        plots = importlib.import_module("costcalc.plots")
    except ImportError as exc:  # matplotlib is optional
        return f'<p class="note">Plots unavailable: {_e(exc)}.</p>'
    out = []
    profile = resolve_hardware(report, hardware)
    if report.totals.est_time_us is None:
        out.append(
            '<p class="note">No roofline: analyse with <code>--hardware NAME</code> for '
            "time estimates.</p>"
        )
    elif profile is None:
        out.append(
            f'<p class="note">No roofline: the hardware profile '
            f"{_e(report.totals.hardware)} was not given to the renderer.</p>"
        )
    else:
        out.append(
            _plot_figure(
                plots,
                lambda: plots.plot_roofline(report, profile),
                f"roofline of {report.model.name} on {profile.name}",
                f"Roofline on {profile.name}: each layer at its arithmetic intensity and "
                "attained FLOP/s, coloured by kind, sized by its share of the time.",
                "No roofline",
            )
        )
    costed = sum(
        1 for row in report.layers if row.kind not in content.HIDDEN_KINDS and row.macs is not None
    )
    if costed > MAX_BAR_LAYERS:
        out.append(
            f'<p class="note">Per-layer bars left out: {costed:,} costed layers '
            f"(more than {MAX_BAR_LAYERS:,}).</p>"
        )
    else:
        out.append(
            _plot_figure(
                plots,
                lambda: plots.plot_bars(report, profile),
                f"per-layer costs of {report.model.name}",
                "Per-layer MACs, bytes moved"
                + (" and estimated time" if report.totals.est_time_us is not None else "")
                + ", in execution order.",
                "No per-layer bars",
            )
        )
    return '<div class="plots">' + "\n".join(out) + "</div>"


def _plot_figure(plots, draw, alt: str, caption: str, failure: str) -> str:
    """The figure ``draw()`` makes, embedded; a note saying ``failure`` if it cannot."""
    from costcalc.errors import CostcalcError

    try:
        return _figure(_png(plots, draw()), alt, caption)
    except CostcalcError as exc:
        return f'<p class="note">{failure}: {_e(exc)}</p>'


# --- the page ----------------------------------------------------------------------------


def render(
    report: Report,
    by: str = "layer",
    show_all: bool = False,
    depth: int | None = None,
    hardware: Any = None,
    plots: bool = True,
    **_: object,
) -> str:
    """The report as one self-contained HTML page. ``hardware``: the profile of the
    estimates (a Hardware, name or path) for the roofline; ``plots=False`` leaves the
    plots out."""
    found = content.notes(report, by, show_all)
    summary = [_meta(report), _cards(report), _notes(found)]
    side = [
        "<div><h3>Totals</h3>"
        + _table(content.summary_section(report), sortable=False, css="summary")
        + "</div>"
    ]
    twin = content.twin_section(report)
    if twin is not None:
        side.append(
            f"<div><h3>{_e(twin.title)}</h3>"
            + _table(twin, sortable=False)
            + f'<p class="note">{_e(content.TWIN_NOTE)}</p></div>'
        )
    summary.append('<div class="side">' + "".join(side) + "</div>")
    unsupported = content.unsupported_section(report)
    if unsupported is not None:
        summary.append(f"<h3>{_e(unsupported.title)}</h3>" + _table(unsupported))
    sections = [("", "\n".join(summary))]
    if plots:
        sections.append(("Plots", plots_html(report, hardware)))

    costs = content.costs_section(report, by, show_all, depth)
    body = (
        f'<p><input class="filter" type="search" data-table="{costs.table_id}" '
        f'placeholder="Filter rows (name, op, pattern…)" aria-label="Filter rows"></p>'
        + _scrolling(_table(costs))
        + '<p class="note">Click a column heading to sort; exact integers throughout.'
        + (f" {_e(found.hidden)}" if found.hidden else "")
        + "</p>"
    )
    sections.append((content.costs_title(by), body))

    if report.patterns is not None:
        kinds = content.pattern_kinds_section(report)
        if kinds is None:
            sections.append((content.PATTERNS_TITLE, "<p>No lightweight patterns found.</p>"))
        else:
            instances = content.pattern_instances_section(report)
            parts = [_scrolling(_table(kinds))]
            if instances is not None:
                parts.append(f"<h3>{_e(instances.title)}</h3>" + _scrolling(_table(instances)))
            se = se_lines(report)
            if se:
                items = "".join(f"<li>{_e(line)}</li>" for line in se)
                parts.append(
                    f'<h3>Squeeze-and-excitation overheads</h3><ul class="se">{items}</ul>'
                )
            sections.append((content.PATTERNS_TITLE, "\n".join(parts)))

    sections.append(("", f"<script>{_FILTER_JS}</script>"))
    return html_document(
        f"costcalc report: {report.model.name}",
        sections,
        footer=f"costcalc {__version__} · {SCHEMA}",
        css=_CSS,
    )
