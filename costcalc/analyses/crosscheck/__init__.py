"""Cross-check costcalc against fvcore's FlopCountAnalysis and torch's FlopCounterMode.

The three tools count different things, so their numbers are compared after adjusting for
each one's convention:

- **costcalc**: MACs of conv/linear/matmul only; FLOPs = 2 x MACs + every other arithmetic
  op (bias adds, normalisation, activations, pooling, element-wise).
- **fvcore** (``FlopCountAnalysis``): one "flop" per MAC of conv/linear/matmul/einsum, plus
  its own handles for a few other ops (batch/group/layer norm, upsampling, adaptive
  pooling); ops without a handle are skipped and reported as unsupported; ops it deems
  free (relu, views...) are skipped silently.
- **FlopCounterMode** (``torch.utils.flop_counter``): two flops per MAC of convolution,
  mm/addmm/bmm and attention, and nothing else (no bias, no normalisation, no
  element-wise op).

For each row three differences are attributed op by op from the tools' own per-op counts:
``fvcore - MACs``, ``FlopCounterMode - 2 x MACs`` and ``costcalc FLOPs - 2 x MACs``. An
amount that cannot be attributed is reported as ``unexplained: ...``, never hidden.

The modules: ``loading`` (the model and its shapes), ``tools`` (running fvcore and
FlopCounterMode), ``collect`` (their counts on costcalc's module paths), ``explanations``
(each row's differences), ``special`` (the ops treated specially), ``op_names`` (op names
across the tools), ``results`` (what a cross-check returns).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from costcalc.analyses.crosscheck.collect import collect, make_row, ordered_rows
from costcalc.analyses.crosscheck.errors import CrossCheckError
from costcalc.analyses.crosscheck.explanations import explain
from costcalc.analyses.crosscheck.loading import load
from costcalc.analyses.crosscheck.op_names import CONV, MATMUL
from costcalc.analyses.crosscheck.results import (
    COSTCALC,
    FLOP_COUNTER,
    FLOP_COUNTER_GAP,
    FLOPS_GAP,
    FVCORE,
    FVCORE_GAP,
    ROOT_LABEL,
    CrossCheck,
    CrossCheckRow,
    OpCounts,
    OpTally,
    SpecialOp,
)
from costcalc.analyses.crosscheck.special import special_ops
from costcalc.analyses.crosscheck.tools import Cumulative, run_tools
from costcalc.api import analyze
from costcalc.errors import InputSpecError

__all__ = [
    "CONV", "COSTCALC", "FLOPS_GAP", "FLOP_COUNTER", "FLOP_COUNTER_GAP", "FVCORE",
    "FVCORE_GAP", "MATMUL", "ROOT_LABEL", "CrossCheck", "CrossCheckError", "CrossCheckRow",
    "Cumulative", "OpCounts", "OpTally", "SpecialOp", "crosscheck", "explain",
]  # fmt: skip


def crosscheck(model: Any, inputs: Sequence[Any] | None = None, depth: int = 1) -> CrossCheck:
    """Run costcalc, fvcore and FlopCounterMode on ``model`` and explain their differences.

    ``model``: an ``nn.Module`` (left as it was: training flags are restored), ``zoo:NAME``
    or ``package.module:callable`` (built on the CPU). ``inputs``: shapes such as
    ``[(1, 3, 224, 224)]`` or ``["1x3x224x224"]``, one per positional input (default: the
    zoo entry's). ``depth``: rows are module paths truncated to this many levels.
    """
    if depth < 1:
        raise InputSpecError(f"--depth {depth}: must be at least 1")
    module, name, shapes = load(model, inputs)
    report = analyze(module, inputs=shapes)
    runs = run_tools(module, shapes, name)
    per_row = collect(report, runs, depth)
    merged = OpCounts()
    for counts in per_row.values():
        merged.merge(counts)
    totals = make_row(
        "total", report.totals.macs, report.totals.flops, runs.fvcore_total,
        runs.counter_total, merged,
    )  # fmt: skip
    return CrossCheck(
        name, [tuple(s) for s in shapes], depth, ordered_rows(per_row, module), totals,
        special_ops(merged, report), report,
    )  # fmt: skip
