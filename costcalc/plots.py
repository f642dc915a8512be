"""Plots of a Report: a roofline of the layers on a hardware profile, and per-layer bars of
MACs, bytes moved and estimated time.

matplotlib is imported here only (the CLI imports this module lazily), and figures are
plain ``matplotlib.figure.Figure`` objects drawn with the Agg canvas: no pyplot, no global
backend switch, nothing left open.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from pathlib import Path

from matplotlib import rc_context
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter

from costcalc.errors import OutputError
from costcalc.hardware import Hardware
from costcalc.output import write_bytes
from costcalc.report import LayerRow, Report, module_prefix

FORMATS = {".png": "png", ".svg": "svg"}
DPI = 150

# One colour per kind of work (ops/categories.py), the same in every plot.
CATEGORY_COLOURS = {
    "conv-dense": "#1f77b4",
    "conv-pointwise": "#17becf",
    "conv-depthwise": "#ff7f0e",
    "conv-group": "#9467bd",
    "conv-transpose": "#393b79",
    "linear": "#d62728",
    "norm": "#2ca02c",
    "activation": "#bcbd22",
    "pool": "#8c564b",
    "reduction": "#e377c2",
    "elementwise": "#7f7f7f",
    "resample": "#dbb40c",
    "data movement": "#000000",
}
OTHER_COLOUR = "#c7c7c7"
BOUND_MARKERS = {"compute": "o", "memory": "s", "overhead": "^"}
LABEL_GAP = 9  # points between a roof and its label: clear of the largest marker on it

DTYPE_LABELS = {
    "float64": "fp64", "float32": "fp32", "float16": "fp16", "bfloat16": "bf16",
    "float8e4m3fn": "fp8", "float8e5m2": "fp8", "int8": "int8", "int4": "int4",
}  # fmt: skip
_BYTES_TO_DTYPE = {8: "float64", 4: "float32", 2: "float16", 1: "int8"}


def category_colour(category: str) -> str:
    return CATEGORY_COLOURS.get(category, OTHER_COLOUR)


def dtype_label(dtype: str) -> str:
    return DTYPE_LABELS.get(dtype, dtype)


def analysed_dtype(report: Report) -> str:
    """The --dtype of the report, else the element type most layer outputs are stored at
    (from bytes written per output element), else float32."""
    if report.model.dtype:
        return report.model.dtype
    votes: dict[str, int] = {}
    for row in report.layers:
        if row.kind != "compute" or not row.write_bytes or len(row.outputs) != 1:
            continue
        shape = row.outputs[0]
        if not shape or any(d <= 0 for d in shape):
            continue
        size = row.write_bytes / math.prod(shape)
        if size in _BYTES_TO_DTYPE:
            name = _BYTES_TO_DTYPE[size]
            votes[name] = votes.get(name, 0) + 1
    return max(votes, key=votes.get) if votes else "float32"


def _moved(row: LayerRow) -> int:
    return (row.read_bytes or 0) + (row.write_bytes or 0)


def _timed_layers(report: Report) -> list[LayerRow]:
    """Layers that run a kernel: not free or folded, with a cost."""
    return [
        row
        for row in report.layers
        if row.kind not in ("free", "folded") and row.macs is not None and row.flops is not None
    ]


def _roofline_points(report: Report) -> list[tuple[LayerRow, float, float]]:
    """(row, FLOPs per byte, attained FLOP/s) of every layer with FLOPs, bytes and a time."""
    points = []
    for row in _timed_layers(report):
        moved = _moved(row)
        if not row.flops or not moved or not row.est_time_us:
            continue
        points.append((row, row.flops / moved, row.flops / (row.est_time_us * 1e-6)))
    return points


def _title(report: Report, what: str, hardware: str | None, dtype: str) -> str:
    where = f" on {hardware}" if hardware else ""
    return f"{report.model.name} · {what}{where} · {dtype_label(dtype)}"


def _human_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3g} s"
    if us >= 1e3:
        return f"{us / 1e3:.3g} ms"
    return f"{us:.3g} µs"


def _rate(flops_per_second: float) -> str:
    """67e12 -> '67 TFLOP/s', 9.6e10 -> '96 GFLOP/s'."""
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if flops_per_second >= scale:
            return f"{flops_per_second / scale:,.4g} {prefix}FLOP/s"
    return f"{flops_per_second:,.4g} FLOP/s"


def _roofs(hardware: Hardware) -> list[tuple[float, list[str]]]:
    """Distinct flat roofs, highest first: (FLOP/s, dtypes sharing it)."""
    by_value: dict[float, list[str]] = {}
    for dtype, peak in hardware.peak_flops.items():
        if peak > 0:
            by_value.setdefault(peak, []).append(dtype)
    return sorted(by_value.items(), reverse=True)


def plot_roofline(report: Report, hardware: Hardware, dtype: str | None = None) -> Figure:
    """Roofline of ``report``'s layers on ``hardware``: log-log, the bandwidth slope and a
    flat roof per dtype of the profile (the analysed dtype's in bold); each layer with
    FLOPs at (FLOPs / byte, FLOPs / estimated time), coloured by its kind of work, sized
    by its share of the estimated time, shaped by what bounds it.

    The report must carry roofline estimates (``costcalc.analyze(..., hardware=...)``).
    """
    dtype = dtype or analysed_dtype(report)
    points = _roofline_points(report)
    if not points:
        raise OutputError(
            f"{report.model.name}: no layer has FLOPs, bytes and an estimated time to plot "
            "(analyse with a hardware profile)"
        )
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    ax = fig.add_subplot()
    bandwidth = hardware.bandwidth
    active_peak = hardware.flops_per_second(dtype)
    roofs = _roofs(hardware)

    xs = [p[1] for p in points]
    ys = [p[2] for p in points]
    top_peak = roofs[0][0]
    x_lo = min(min(xs), active_peak / bandwidth, 1.0) / 3
    x_hi = max(max(xs), top_peak / bandwidth) * 12  # room for the roofs' labels
    y_lo = min(min(ys), bandwidth * x_lo) / 3
    y_hi = top_peak * 3
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)

    # the roofs: the bandwidth slope up to the highest ridge, a flat line per peak
    ax.plot([x_lo, top_peak / bandwidth], [bandwidth * x_lo, top_peak], color="#444", lw=1.6)
    for peak, dtypes in roofs:
        active = dtype in dtypes or (dtype not in hardware.peak_flops and peak == active_peak)
        ridge = peak / bandwidth
        ax.plot(
            [ridge, x_hi], [peak, peak],
            color="#222" if active else "#888", lw=2.2 if active else 1.0,
            ls="-" if active else "--", zorder=1,
        )  # fmt: skip
        names = "/".join(dict.fromkeys(dtype_label(d) for d in dtypes))
        ax.annotate(
            f"{names} {_rate(peak)}" + ("  (analysed)" if active else ""),
            (x_hi, peak), xytext=(-4, LABEL_GAP if active else 2), textcoords="offset points",
            ha="right", va="bottom", fontsize=8.5, color="#222" if active else "#666",
            fontweight="bold" if active else "normal",
        )  # fmt: skip
        if active:
            ax.axvline(ridge, color="#222", ls=":", lw=0.8, zorder=0)
            ax.annotate(
                f"ridge {ridge:,.3g} FLOP/B", (ridge, y_lo), xytext=(3, 4),
                textcoords="offset points", fontsize=8, color="#444", rotation=90,
                va="bottom",
            )  # fmt: skip
    # the slope's label, turned to lie along it (angle in display space, axes now fixed)
    x_label = x_lo * 2
    (x0, y0), (x1, y1) = ax.transData.transform(
        [(x_label, bandwidth * x_label), (x_label * 10, bandwidth * x_label * 10)]
    )
    angle = math.atan2(y1 - y0, x1 - x0)
    ax.annotate(
        f"memory {bandwidth / 1e9:,.4g} GB/s", (x_label, bandwidth * x_label),
        xytext=(-math.sin(angle) * LABEL_GAP, math.cos(angle) * LABEL_GAP),
        textcoords="offset points", fontsize=8.5, color="#444",
        rotation=math.degrees(angle), rotation_mode="anchor",
    )  # fmt: skip

    # the layers
    total_us = sum(p[0].est_time_us for p in points)
    largest_us = max(p[0].est_time_us for p in points)
    categories: list[str] = []
    for row, _, _ in points:
        if row.category not in categories:
            categories.append(row.category)
    order = list(CATEGORY_COLOURS) + sorted(set(categories) - set(CATEGORY_COLOURS))
    categories.sort(key=order.index)
    for bound, marker in (*BOUND_MARKERS.items(), (None, "D")):
        chosen = [
            p for p in points if (p[0].bound if p[0].bound in BOUND_MARKERS else None) == bound
        ]
        if not chosen:
            continue
        ax.scatter(
            [p[1] for p in chosen], [p[2] for p in chosen],
            s=[16 + 280 * p[0].est_time_us / largest_us for p in chosen],
            c=[category_colour(p[0].category) for p in chosen],
            marker=marker, alpha=0.75, edgecolors="white", linewidths=0.5, zorder=3,
        )  # fmt: skip

    ax.set_xlabel("arithmetic intensity (FLOPs per byte moved)")
    ax.set_ylabel("attained FLOP/s (FLOPs / estimated time)")
    ax.yaxis.set_major_formatter(EngFormatter(unit="FLOP/s", sep=" "))
    ax.grid(True, which="major", color="#ddd", lw=0.6)
    ax.grid(True, which="minor", color="#f2f2f2", lw=0.4)
    ax.set_axisbelow(True)
    ax.set_title(_title(report, "roofline", hardware.name, dtype), fontsize=12, loc="left")

    kinds = [
        Line2D([], [], ls="", marker="o", markersize=8, color=category_colour(c), label=c)
        for c in categories
    ]
    first = ax.legend(
        handles=kinds, title="kind of layer", loc="upper left", bbox_to_anchor=(1.01, 1.0),
        fontsize=8.5, title_fontsize=9, frameon=False,
    )  # fmt: skip
    ax.add_artist(first)
    present = {p[0].bound for p in points}
    shapes = [
        Line2D([], [], ls="", marker=m, markersize=7, color="#555", label=f"{b}-bound")
        for b, m in BOUND_MARKERS.items()
        if b in present
    ]
    ax.legend(
        handles=shapes, title="marker: what bounds it\nsize: share of the time",
        loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8.5, title_fontsize=8.5,
        frameon=False, alignment="left",
    )  # fmt: skip
    counts = [(b, sum(1 for p in points if p[0].bound == b)) for b in BOUND_MARKERS]
    bounds = ", ".join(f"{n} {b}-bound" for b, n in counts if n)
    note = (
        f"{len(points)} layers, {_human_time(total_us)} estimated: {bounds}"
        f" (overhead {hardware.overhead_us:g} µs per kernel)"
    )
    ax.text(
        0.01, 0.985, note, transform=ax.transAxes, fontsize=8.5, va="top", color="#333",
        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "none", "alpha": 0.85},
        zorder=5,
    )  # fmt: skip
    return fig


def _tick_plan(rows: list[LayerRow], limit: int = 40) -> tuple[list[int], list[str]]:
    """Where to label the x axis: every layer when few, else the first layer of each
    module group (the module path cut to 2 levels, then 1), else evenly spaced indices."""
    if len(rows) <= limit:
        return list(range(len(rows))), [row.name for row in rows]
    for depth in (2, 1):
        starts, labels, last = [], [], None
        for i, row in enumerate(rows):
            key = module_prefix(row.module, depth)
            if key != last:
                starts.append(i)
                labels.append(key)
                last = key
        if 1 < len(starts) <= limit:
            gap = len(rows) / 60  # drop a label that would run into the previous one
            kept = [0]
            for j in range(1, len(starts)):
                if starts[j] - starts[kept[-1]] >= gap:
                    kept.append(j)
            return [starts[j] for j in kept], [labels[j] for j in kept]
    step = max(1, math.ceil(len(rows) / 20))
    ticks = list(range(0, len(rows), step))
    return ticks, [str(i) for i in ticks]


def _overhead_us(row: LayerRow, hardware: Hardware) -> float:
    eff = hardware.efficiency_for(row.category)
    return hardware.overhead_us if eff.overhead_us is None else eff.overhead_us


def _bars(ax, heights: list[float], bottoms: list[float], colours: list[str]) -> None:
    """Bars at x = 0, 1, 2... as one PolyCollection (``ax.bar`` adds one patch per bar,
    slow for models with hundreds of layers)."""
    half = 0.4
    boxes = [
        [(i - half, b), (i - half, b + h), (i + half, b + h), (i + half, b)]
        for i, (h, b) in enumerate(zip(heights, bottoms, strict=True))
    ]
    ax.add_collection(PolyCollection(boxes, facecolors=colours, linewidths=0))
    ax.set_xlim(-0.5 - 0.005 * len(heights), len(heights) - 0.5 + 0.005 * len(heights))


_SECONDS = EngFormatter(unit="s", sep=" ")


def _micro_seconds(value: float, _pos: int | None = None) -> str:
    return _SECONDS(value * 1e-6)


def _eng(value: float, unit: str = "") -> str:
    return EngFormatter(unit=unit, places=1, sep=" ")(value)


def plot_bars(report: Report, hardware: Hardware | None = None, dtype: str | None = None) -> Figure:
    """Per-layer bars in execution order, three aligned panels: MACs, bytes moved (read +
    written) and estimated time (when the report has roofline estimates), coloured by the
    layer's kind of work. Free and constant-folded layers are left out. With the
    ``hardware`` of the estimate, each time bar shows its fixed per-kernel overhead in grey
    under the work."""
    dtype = dtype or analysed_dtype(report)
    rows = _timed_layers(report)
    if not rows:
        raise OutputError(f"{report.model.name}: no costed layer to plot")
    timed = report.totals.est_time_us is not None
    panels: list[tuple[str, list[float], str]] = [
        ("MACs", [row.macs or 0 for row in rows], ""),
        ("bytes moved\n(read + written)", [_moved(row) for row in rows], "B"),
    ]
    if timed:
        panels.append(("estimated time", [row.est_time_us or 0.0 for row in rows], "µs"))
    width = max(10.0, min(16.0, 0.065 * len(rows) + 6))
    fig = Figure(figsize=(width, 2.3 * len(panels) + 1.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True)
    colours = [category_colour(row.category) for row in rows]
    for ax, (label, values, unit) in zip(axes, panels, strict=True):
        if unit == "µs" and hardware is not None:
            floor = [
                min(_overhead_us(row, hardware), v) for row, v in zip(rows, values, strict=True)
            ]
            work = [v - f for v, f in zip(values, floor, strict=True)]
            _bars(ax, floor, [0.0] * len(rows), ["#d0d0d0"])
            _bars(ax, work, floor, colours)
        else:
            _bars(ax, values, [0.0] * len(rows), colours)
        ax.set_ylim(0, max(values) * 1.15 or 1.0)  # headroom for the total's label
        ax.set_ylabel(label)
        if unit == "µs":  # plotted in µs, labelled in seconds
            ax.yaxis.set_major_formatter(_micro_seconds)
        else:
            ax.yaxis.set_major_formatter(EngFormatter(unit=unit, sep=" "))
        ax.grid(True, axis="y", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        total, top = sum(values), max(values)
        shown = _human_time(total) if unit == "µs" else _eng(total, unit)
        share = 100 * top / total if total else 0.0
        ax.text(
            0.995, 0.97, f"total {shown} · largest layer {share:.0f}%",
            transform=ax.transAxes, ha="right", va="top", fontsize=8.5, color="#333",
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85},
        )  # fmt: skip
    ticks, labels = _tick_plan(rows)
    bottom = axes[-1]
    bottom.set_xticks(ticks)
    if len(ticks) <= 12 and all(len(label) <= 12 for label in labels):
        bottom.set_xticklabels(labels, fontsize=8)
    else:
        bottom.set_xticklabels(
            labels, rotation=60, ha="right", rotation_mode="anchor", fontsize=7.5
        )
    grouped = len(rows) > 40 and bool(labels) and not labels[0].isdigit()
    bottom.set_xlabel(
        f"{len(rows)} layers in execution order"
        + (", labelled at the first layer of each module" if grouped else "")
    )
    if grouped:
        for tick in ticks[1:]:
            for ax in axes:
                ax.axvline(tick - 0.5, color="#e0e0e0", lw=0.6, zorder=0)
    categories: list[str] = []
    for row in rows:
        if row.category not in categories:
            categories.append(row.category)
    order = list(CATEGORY_COLOURS) + sorted(set(categories) - set(CATEGORY_COLOURS))
    categories.sort(key=order.index)
    handles = [
        Line2D([], [], ls="", marker="s", markersize=8, color=category_colour(c), label=c)
        for c in categories
    ]
    if timed and hardware is not None:
        handles.append(
            Line2D([], [], ls="", marker="s", markersize=8, color="#d0d0d0",
                   label=f"per-kernel overhead\n({hardware.overhead_us:g} µs)")
        )  # fmt: skip
    axes[0].legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5,
        frameon=False, title="kind of layer", title_fontsize=9, alignment="left",
    )  # fmt: skip
    what = "per-layer MACs, bytes and estimated time" if timed else "per-layer MACs and bytes"
    where = report.totals.hardware if timed else None
    fig.suptitle(_title(report, what, where, dtype), fontsize=12, x=0.01, ha="left")
    return fig


def image_format(path: str | Path) -> str:
    """'png' or 'svg' from the file's extension; anything else is an error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(
            f"{path}: cannot tell the image format from {suffix or 'no extension'!r} "
            "(use .png or .svg)"
        )
    return FORMATS[suffix]


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure rendered as PNG or SVG (no timestamps: the same plot, the same bytes)."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": "costcalc (matplotlib)"}
    with rc_context({"svg.hashsalt": "costcalc"}):  # stable element ids
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def save_figure(
    fig: Figure, path: str | Path, force: bool = False, protected: Iterable[str | Path] = ()
) -> None:
    """Write ``fig`` to ``path`` as PNG or SVG (by the extension), atomically, never over
    an existing file without ``force`` nor over a ``protected`` one."""
    write_bytes(path, figure_bytes(fig, image_format(path)), force=force, protected=protected)
