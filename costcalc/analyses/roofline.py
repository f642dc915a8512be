"""Roofline estimate: each layer's time on a hardware profile.

    time = max(FLOPs / (peak FLOP/s x compute efficiency),
               bytes moved / (bandwidth x memory efficiency)) + per-kernel overhead

Peak FLOP/s is taken at the layer's dtype (the --dtype override, else its output's), the
efficiencies and overhead at the layer's category when the profile is calibrated. A layer
is compute-bound when its arithmetic intensity (FLOPs per byte) is above the ridge point
(peak FLOP/s / bandwidth), memory-bound below it; "overhead" when the fixed per-kernel cost
is more than the rest. Free and constant-folded layers run no kernel: 0.
"""

from __future__ import annotations

from costcalc.hardware import Hardware
from costcalc.ir import Graph
from costcalc.report import LayerRow, Report

NO_KERNEL = ("free", "folded")


def _dtype(row_dtype: str | None, override: str | None) -> str:
    return override or row_dtype or "float32"


def layer_time_us(row: LayerRow, hardware: Hardware, dtype: str) -> tuple[float, str]:
    """Estimated microseconds of one layer and what bounds it."""
    eff = hardware.efficiency_for(row.category, row.op)
    flops = row.flops or 0
    moved = (row.read_bytes or 0) + (row.write_bytes or 0)
    compute_s = flops / (hardware.flops_per_second(dtype) * eff.compute) if flops else 0.0
    memory_s = moved / (hardware.bandwidth * eff.memory) if moved else 0.0
    overhead_us = hardware.overhead_us if eff.overhead_us is None else eff.overhead_us
    work_us = max(compute_s, memory_s) * 1e6
    if overhead_us > work_us:
        bound = "overhead"
    else:
        bound = "compute" if compute_s >= memory_s else "memory"
    return work_us + overhead_us, bound


def apply_roofline(report: Report, graph: Graph, hardware: Hardware) -> None:
    """Fill ``est_time_us`` and ``bound`` of every layer, and the total."""
    total = 0.0
    for node, row in zip(graph.nodes, report.layers, strict=True):
        if row.kind in NO_KERNEL or row.macs is None:
            row.est_time_us, row.bound = (0.0, None) if row.kind in NO_KERNEL else (None, None)
            continue
        out = node.outputs[0] if node.outputs else None
        dtype = _dtype(out.dtype if out is not None else None, report.model.dtype)
        row.est_time_us, row.bound = layer_time_us(row, hardware, dtype)
        row.est_time_us = round(row.est_time_us, 3)
        total += row.est_time_us
    report.totals.est_time_us = round(total, 3)
    report.totals.hardware = hardware.name
