"""Every tool's per-op counts mapped onto costcalc's module paths, truncated to a depth,
and the rows made of them."""

from __future__ import annotations

from typing import Any

from costcalc.analyses.crosscheck.explanations import explain
from costcalc.analyses.crosscheck.results import ROOT_LABEL, CrossCheckRow, OpCounts, OpTally
from costcalc.analyses.crosscheck.tools import Runs
from costcalc.report import Report


def _truncate(path: str | None, depth: int) -> str:
    return ".".join(path.split(".")[:depth]) if path else ""


def collect(report: Report, runs: Runs, depth: int) -> dict[str, OpCounts]:
    """Every tool's per-op counts, grouped by module path truncated to ``depth``."""
    rows: dict[str, OpCounts] = {}

    def row(path: str) -> OpCounts:
        return rows.setdefault(_truncate(path, depth), OpCounts())

    for layer in report.layers:
        counts = row(layer.module or "")
        if layer.kind in ("unsupported", "unresolved"):
            counts.costcalc_unsupported[layer.op] += 1
        elif layer.kind == "compute" or layer.macs or layer.flops:
            tally = counts.costcalc.setdefault(layer.op, OpTally())
            tally.calls += 1
            tally.macs += layer.macs or 0
            tally.flops += layer.flops or 0
            tally.biased += bool(layer.macs and (layer.flops or 0) > 2 * layer.macs)
    for path, ops in runs.fvcore_ops.items():
        row(path).fvcore.update(ops)
    for path, ops in runs.fvcore_skipped.items():
        row(path).fvcore_unsupported.update(ops)
    for path, ops in runs.counter_ops.items():
        row(path).flop_counter.update(ops)
    for path, ops in runs.counter_skipped.items():
        row(path).flop_counter_skipped.update(ops)
    return rows


def ordered_rows(per_row: dict[str, OpCounts], module: Any) -> list[CrossCheckRow]:
    """Rows in the model's module order, the model's own ops last; empty ones dropped."""
    order = {path: index for index, (path, _) in enumerate(module.named_modules())}
    ranked = sorted(per_row.items(), key=lambda kv: _rank(kv[0], order))
    return [_row(path, counts) for path, counts in ranked if _has_content(counts)]


def _rank(path: str, order: dict[str, int]) -> tuple[int, ...]:
    if not path:
        return (1, 0)  # the model's own ops after its modules
    return (0, order.get(path, len(order)))


def _has_content(counts: OpCounts) -> bool:
    return any(
        (
            counts.costcalc,
            counts.costcalc_unsupported,
            +counts.fvcore,
            counts.fvcore_unsupported,
            +counts.flop_counter,
        )
    )


def _row(path: str, counts: OpCounts) -> CrossCheckRow:
    macs = sum(t.macs for t in counts.costcalc.values())
    flops = sum(t.flops for t in counts.costcalc.values())
    fv, fc = sum(counts.fvcore.values()), sum(counts.flop_counter.values())
    return make_row(path or ROOT_LABEL, macs, flops, fv, fc, counts)


def make_row(
    label: str, macs: int, flops: int, fv: int, fc: int, counts: OpCounts
) -> CrossCheckRow:
    explanations = explain(macs, flops, fv, fc, counts)
    return CrossCheckRow(label, macs, flops, fv, fc, explanations, counts)
