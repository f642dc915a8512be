"""Markdown renderer: the summary, the per-layer (or grouped) table, the dense twin and the
pattern summary as GitHub-flavoured Markdown, every cost an exact integer.

The report's content is built here once, as plain tables (``Section``); the HTML renderer
lays the same sections out as a page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from costcalc.renderers.console_baseline import se_lines
from costcalc.renderers.tables import Cell, Value, markdown_table
from costcalc.report import LayerRow, PatternRow, Report
from costcalc.units import human_bytes, human_count

HIDDEN_KINDS = ("free", "folded")
PATTERNS_TITLE = "Lightweight patterns against their baselines"
GROUP_TITLES = {"module": "module", "op": "kind of op", "optype": "op type"}


@dataclass
class Section:
    """A table of the report: its columns, rows, which columns are numbers and which hold
    names (set as code in Markdown), and a CSS class per row for HTML."""

    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)
    code: set[int] = field(default_factory=set)
    row_classes: list[str] = field(default_factory=list)
    table_id: str = ""


# --- cells -------------------------------------------------------------------------------


def unknown() -> Value:
    return Value("?", css="bad")


def exact(value: int | None) -> Cell:
    """An exact integer (thousands separators), or '?' when it could not be costed."""
    return unknown() if value is None else int(value)


def ratio(dense: int | None, actual: int | None) -> Value:
    """dense / actual, as the console's saving column: '8.72x', 'overhead', '–'."""
    if dense is None or actual is None or dense == actual:
        return Value("–", css="dim")
    if dense == 0:  # the baseline leaves the block out (SE, shuffle): pure overhead
        return Value("overhead", sort=0, css="warn")
    if actual == 0:
        return Value("∞", sort=float("1e300"), css="good")
    value = dense / actual
    text = f"{value:.2f}x" if value < 10 else f"{value:.1f}x"
    return Value(text, sort=value, css="good" if value > 1 else "bad")


def micros(value: float | None) -> Cell:
    return unknown() if value is None else Value(f"{value:,.2f}", sort=value)


def shapes(values: list[list[int] | None]) -> str:
    return ", ".join("x".join(map(str, s)) if s is not None else "?" for s in values)


def moved(row: LayerRow) -> int | None:
    if row.read_bytes is None or row.write_bytes is None:
        return None
    return row.read_bytes + row.write_bytes


def _int(value: object) -> int | None:
    """A pandas cell as an int; NA/NaN -> None."""
    import pandas as pd

    return None if value is None or pd.isna(value) else int(value)


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


# --- sections ----------------------------------------------------------------------------


def inputs_text(report: Report, name=str) -> str:
    """'input_0 1x3x224x224, ...'; ``name`` formats each input's name."""
    return ", ".join(
        f"{name(key)} {'x'.join(map(str, shape)) if shape else '?'}"
        for key, shape in report.model.inputs.items()
    )


def summary_section(report: Report) -> Section:
    """Totals: each quantity in human units and exact."""
    t = report.totals
    bound = "≥ " if t.lower_bound else ""
    section = Section("Summary", ["Quantity", "Value", "Exact"], numeric=[False, True, True])
    rows = section.rows

    def count(label: str, value: int | None, human: str, lower: bool = True) -> None:
        prefix = bound if lower else ""
        rows.append([label, Value(prefix + human, sort=value), exact(value)])

    count("Params", t.params, human_count(t.params))
    count("Parameter memory (bytes)", t.param_bytes, human_bytes(t.param_bytes))
    count("MACs", t.macs, human_count(t.macs))
    count("FLOPs", t.flops, human_count(t.flops))
    count("Bytes read", t.read_bytes, human_bytes(t.read_bytes))
    count("Bytes written", t.write_bytes, human_bytes(t.write_bytes))
    total_moved = t.read_bytes + t.write_bytes
    count("Bytes moved (memory access cost)", total_moved, human_bytes(total_moved))
    count("Activations (all outputs, bytes)", t.activation_bytes, human_bytes(t.activation_bytes))
    if t.peak_activation_bytes is not None:
        count("Peak activation memory (bytes)", t.peak_activation_bytes,
              human_bytes(t.peak_activation_bytes), lower=False)  # fmt: skip
        if t.peak_layer:
            rows.append(["Peak reached during", t.peak_layer, ""])
            section.code = {1}  # the layer name
    if t.training_bytes is not None:
        for key, value in t.training_bytes.items():
            label = "Training memory" if key == "total" else f"Training: {key.replace('_', ' ')}"
            count(label + " (bytes)", value, human_bytes(value), lower=False)
    if t.est_time_us is not None:
        rows.append([
            "Estimated latency",
            Value(f"{bound}{t.est_time_us:,.1f} µs on {t.hardware}", sort=t.est_time_us),
            Value(f"{t.est_time_us:,.3f} µs", sort=t.est_time_us),
        ])  # fmt: skip
    if t.measured_us is not None:
        rows.append([
            "Measured latency (median)",
            Value(f"{t.measured_us:,.1f} µs", sort=t.measured_us),
            Value(f"{t.measured_us:,.3f} µs", sort=t.measured_us),
        ])  # fmt: skip
    return section


def twin_section(report: Report) -> Section | None:
    """This model against its dense twin (with --baseline dense)."""
    t = report.totals
    if report.patterns is None or t.dense_macs is None:
        return None
    section = Section(
        "Against the dense twin",
        ["", "This model", "Dense twin", "Saving"],
        numeric=[False, True, True, True],
    )
    total_moved = t.read_bytes + t.write_bytes
    for label, actual, dense in (
        ("Params", t.params, t.dense_params),
        ("MACs", t.macs, t.dense_macs),
        ("Bytes moved", total_moved, t.dense_bytes),
    ):
        section.rows.append([label, exact(actual), exact(dense), ratio(dense, actual)])
    return section


TWIN_NOTE = (
    "The dense twin: every depthwise-separable block as the standard conv it replaces, "
    "every other grouped conv with groups=1."
)


def unsupported_section(report: Report) -> Section | None:
    if not report.unsupported:
        return None
    section = Section("Not costed", ["Op", "Count", "Reason", "Nodes"], numeric=[0, 1, 0, 0])
    section.code = {0, 3}
    for u in report.unsupported:
        nodes = ", ".join(u.nodes[:5]) + (
            f", … ({len(u.nodes) - 5} more)" if len(u.nodes) > 5 else ""
        )
        section.rows.append([u.op, u.count, u.reason, nodes])
        section.row_classes.append("bad")
    return section


def hidden_count(report: Report, by: str, show_all: bool) -> int:
    if show_all or by in ("op", "optype"):
        return 0
    return sum(r.kind in HIDDEN_KINDS for r in report.layers)


@dataclass
class Notes:
    """What the reader must know before the numbers."""

    lower_bound: str | None = None
    warnings: list[str] = field(default_factory=list)
    hidden: str | None = None


def notes(report: Report, by: str = "layer", show_all: bool = False) -> Notes:
    result = Notes(warnings=list(report.warnings))
    if report.is_lower_bound:
        ops = ", ".join(f"{u.op} ×{u.count}" for u in report.unsupported) or "some layers"
        result.lower_bound = f"{ops} could not be costed: the totals are a lower bound."
    if report.uncalled_modules:
        names = ", ".join(report.uncalled_modules[:10])
        more = len(report.uncalled_modules) - 10
        result.warnings.append(
            f"modules never called: {names}" + (f" … ({more} more)" if more > 0 else "")
        )
    hidden = hidden_count(report, by, show_all)
    if hidden:
        result.hidden = f"{hidden} free or constant-folded node(s) hidden (--all shows them)."
    return result


def layer_section(report: Report, show_all: bool = False) -> Section:
    """One row per layer, as the console's table, with exact integers."""
    t = report.totals
    estimates = t.est_time_us is not None
    measured = t.measured_us is not None
    baseline = report.patterns is not None
    columns = ["#", "Layer", "Op", "Category", "Output", "Params", "MACs", "FLOPs", "Bytes"]
    if estimates:
        columns += ["Est. µs", "Bound"]
    if measured:
        columns += ["Measured µs"]
    if baseline:
        columns += ["FLOP/B", "Dense MACs", "× MACs", "× bytes", "Pattern"]
    numeric = [
        c in ("#", "Params", "MACs", "FLOPs", "Bytes", "Est. µs", "Measured µs", "FLOP/B",
              "Dense MACs", "× MACs", "× bytes")
        for c in columns
    ]  # fmt: skip
    section = Section(
        f"{report.model.name}: per-layer costs", columns, numeric=numeric, table_id="layers"
    )
    section.code = {1, columns.index("Pattern")} if baseline else {1}
    for index, row in enumerate(report.layers):
        if row.kind in HIDDEN_KINDS and not show_all:
            continue
        cells: list[Cell] = [
            index, row.name, row.op, row.category or row.kind, shapes(row.outputs),
            exact(row.params), exact(row.macs), exact(row.flops), exact(moved(row)),
        ]  # fmt: skip
        if estimates:
            cells += [micros(row.est_time_us), row.bound or ""]
        if measured:
            cells += [micros(row.measured_us) if row.measured_us is not None else ""]
        if baseline:
            cells += [
                unknown() if row.intensity is None
                else Value(f"{row.intensity:,.1f}", sort=row.intensity),
                exact(row.dense_macs), ratio(row.dense_macs, row.macs),
                ratio(row.dense_bytes, moved(row)), row.pattern or "",
            ]  # fmt: skip
        section.rows.append(cells)
        section.row_classes.append("bad" if row.kind in ("unsupported", "unresolved") else "")
    return section


def group_section(report: Report, by: str, depth: int | None = None) -> Section:
    """Costs summed per module, kind of op or op type (``Report.group_by``)."""
    frame = report.group_by(by, depth)
    title = GROUP_TITLES.get(by, by)
    baseline = "dense_macs" in frame.columns
    columns = [title.capitalize(), "Layers", "Params", "MACs", "FLOPs", "Bytes"]
    if baseline:
        columns += ["Dense MACs", "× MACs", "× bytes"]
    section = Section(
        f"{report.model.name}: costs by {title}",
        columns,
        numeric=[False] + [True] * (len(columns) - 1),
        table_id="layers",
    )
    section.code = {0} if by in ("module", "optype") else set()
    key = frame.columns[0]
    for record in frame.to_dict("records"):
        total = _sum(_int(record["read_bytes"]), _int(record["write_bytes"]))
        cells: list[Cell] = [
            str(record[key]), int(record["layers"]), exact(_int(record["params"])),
            exact(_int(record["macs"])), exact(_int(record["flops"])), exact(total),
        ]  # fmt: skip
        if baseline:
            dense_macs, dense_bytes = _int(record["dense_macs"]), _int(record["dense_bytes"])
            cells += [
                exact(dense_macs),
                ratio(dense_macs, _int(record["macs"])),
                ratio(dense_bytes, total),
            ]
        section.rows.append(cells)
    return section


def costs_title(by: str) -> str:
    return "Per-layer costs" if by == "layer" else f"Costs by {GROUP_TITLES.get(by, by)}"


def costs_section(report: Report, by: str = "layer", show_all: bool = False,
                  depth: int | None = None) -> Section:  # fmt: skip
    return layer_section(report, show_all) if by == "layer" else group_section(report, by, depth)


def _generic_baseline(kind: str) -> str:
    return "the standard KxK conv Cin->Cout" if kind == "depthwise-separable" else "dense"


def pattern_kinds_section(report: Report) -> Section | None:
    """Per pattern kind: count, costs, the baseline's costs and the savings."""
    if not report.patterns:
        return None
    columns = ["Pattern", "Count", "Baseline", "Params", "MACs", "Bytes", "Dense params",
               "Dense MACs", "Dense bytes", "× params", "× MACs", "× bytes"]  # fmt: skip
    section = Section(
        PATTERNS_TITLE,
        columns,
        numeric=[c not in ("Pattern", "Baseline") for c in columns],
        table_id="patterns",
    )
    groups: dict[str, list[PatternRow]] = defaultdict(list)
    for pattern in report.patterns:
        groups[pattern.kind].append(pattern)
    for kind, patterns in groups.items():
        params, macs = sum(p.params for p in patterns), sum(p.macs for p in patterns)
        total = sum(p.bytes for p in patterns)
        d_params = _dense_sum(p.dense_params for p in patterns)
        d_macs = _dense_sum(p.dense_macs for p in patterns)
        d_bytes = _dense_sum(p.dense_bytes for p in patterns)
        baselines = {p.baseline for p in patterns}
        baseline = baselines.pop() if len(baselines) == 1 else _generic_baseline(kind)
        section.rows.append([
            kind, len(patterns), baseline, params, macs, total,
            exact(d_params), exact(d_macs), exact(d_bytes),
            ratio(d_params, params), ratio(d_macs, macs), ratio(d_bytes, total),
        ])  # fmt: skip
    return section


def _dense_sum(values) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def pattern_instances_section(report: Report) -> Section | None:
    """Every pattern found: where it is, its costs and its own baseline."""
    if not report.patterns:
        return None
    columns = ["Pattern", "Module", "Layers", "Baseline", "Params", "MACs", "Bytes",
               "Dense MACs", "× params", "× MACs", "× bytes"]  # fmt: skip
    section = Section(
        "Pattern instances",
        columns,
        numeric=[c in ("Layers", "Params", "MACs", "Bytes", "Dense MACs") or c.startswith("×")
                 for c in columns],
        table_id="pattern-instances",
    )  # fmt: skip
    section.code = {0, 1}
    for p in report.patterns:
        section.rows.append([
            p.id, p.module or "", len(p.layers), p.baseline, p.params, p.macs, p.bytes,
            exact(p.dense_macs), ratio(p.dense_params, p.params), ratio(p.dense_macs, p.macs),
            ratio(p.dense_bytes, p.bytes),
        ])  # fmt: skip
    return section


# --- Markdown ----------------------------------------------------------------------------


def code(text: object) -> str:
    """``text`` as an inline code span (safe for names like ``__mul__``)."""
    text = str(text)
    if not text:
        return ""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str) -> str:
    """Free text in Markdown: no accidental HTML, emphasis or links."""
    for char in ("\\", "`", "*", "_", "[", "]", "<", ">"):
        text = text.replace(char, "\\" + char)
    return text


def section_markdown(section: Section, level: int = 2, title: str | None = None) -> str:
    rows = [
        [code(v) if i in section.code and isinstance(v, str) else v for i, v in enumerate(row)]
        for row in section.rows
    ]
    heading = title if title is not None else section.title
    text = markdown_table(section.columns, rows, section.numeric)
    return f"{'#' * level} {escape(heading)}\n\n{text}" if heading else text


def render(
    report: Report,
    by: str = "layer",
    show_all: bool = False,
    depth: int | None = None,
    **_: object,
) -> str:
    """The report as one GitHub-flavoured Markdown document."""
    m = report.model
    out = [f"# costcalc report: {code(m.name)}\n"]
    meta = [f"- **Model:** {code(m.name)}"]
    if m.source and m.source != m.name:
        meta.append(f"- **Source:** {code(m.source)}")
    meta.append(f"- **Inputs:** {inputs_text(report, code) or 'none'}")
    if m.dtype:
        meta.append(f"- **Counted at:** {code(m.dtype)}")
    out.append("\n".join(meta) + "\n")
    found = notes(report, by, show_all)
    if found.lower_bound:
        out.append(f"> **Lower bound:** {escape(found.lower_bound)}\n")
    if found.warnings:
        out.append("\n".join(f"- **Warning:** {escape(w)}" for w in found.warnings) + "\n")
    out.append(section_markdown(summary_section(report)))
    for extra in (unsupported_section(report), twin_section(report)):
        if extra is not None:
            out.append(section_markdown(extra, level=3))
            if extra.title == "Against the dense twin":
                out.append(f"_{escape(TWIN_NOTE)}_\n")
    out.append(section_markdown(costs_section(report, by, show_all, depth), title=costs_title(by)))
    if found.hidden:
        out.append(f"_{escape(found.hidden)}_\n")
    if report.patterns is not None:
        kinds = pattern_kinds_section(report)
        if kinds is None:
            out.append(f"## {PATTERNS_TITLE}\n\nNo lightweight patterns found.\n")
        else:
            out.append(section_markdown(kinds))
            out.append(section_markdown(pattern_instances_section(report), level=3))
        se = se_lines(report)
        if se:
            out.append(
                "### Squeeze-and-excitation overheads\n\n"
                + "\n".join(f"- {escape(line)}" for line in se)
                + "\n"
            )
    return "\n".join(out)
