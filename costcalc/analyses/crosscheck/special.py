"""The ops each tool skipped or treated differently from costcalc, over the whole model."""

from __future__ import annotations

from costcalc.analyses.crosscheck.explanations import fvcore_ignored, non_mac_ops
from costcalc.analyses.crosscheck.op_names import mac_family
from costcalc.analyses.crosscheck.results import (
    COSTCALC,
    FLOP_COUNTER,
    FVCORE,
    OpCounts,
    SpecialOp,
)
from costcalc.report import Report


def special_ops(counts: OpCounts, report: Report) -> list[SpecialOp]:
    """What each tool skipped or treated differently, over the whole model."""
    result: list[SpecialOp] = []
    others = non_mac_ops(counts)
    for op, n in counts.fvcore_unsupported.most_common():
        result.append(SpecialOp(FVCORE, op, "unsupported: skipped and reported", n, None))
    for op, n in fvcore_ignored(counts, others).most_common():
        result.append(
            SpecialOp(FVCORE, op, "ignored: neither counted nor reported", n, others[op].flops)
        )
    for op, amount in counts.fvcore.most_common():
        if mac_family(op) is None and amount:
            result.append(SpecialOp(FVCORE, op, "counted though not a MAC", None, amount))
    for op, n in counts.flop_counter_skipped.most_common():
        result.append(
            SpecialOp(FLOP_COUNTER, op, "MAC-like op without a formula: skipped", n, None)
        )
    for op, t in others.items():
        result.append(SpecialOp(FLOP_COUNTER, op, "not counted (no formula)", t.calls, t.flops))
    bias = sum(t.flops - 2 * t.macs for t in counts.costcalc.values() if t.macs)
    if bias:
        result.append(SpecialOp(f"{FVCORE}, {FLOP_COUNTER}", "bias add", "not counted", None, bias))
    for item in report.unsupported:
        result.append(SpecialOp(COSTCALC, item.op, f"not costed ({item.reason})", item.count, None))
    return result
