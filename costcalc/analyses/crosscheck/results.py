"""What a cross-check returns: per-op counts, rows, the ops treated specially, the whole."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from costcalc.report import Report

FVCORE = "fvcore"
FLOP_COUNTER = "FlopCounterMode"
COSTCALC = "costcalc"
ROOT_LABEL = "(root)"

FVCORE_GAP = "fvcore - MACs"
FLOP_COUNTER_GAP = "FlopCounterMode - 2×MACs"
FLOPS_GAP = "costcalc FLOPs - 2×MACs"


@dataclass(slots=True)
class OpTally:
    """costcalc's layers of one op within a row: how many, their MACs and FLOPs."""

    calls: int = 0
    macs: int = 0
    flops: int = 0
    biased: int = 0  # MAC layers whose FLOPs exceed 2 x MACs (a bias add)


@dataclass(slots=True)
class OpCounts:
    """Per-op counts of the three tools within one row (a module, or the whole model)."""

    costcalc: dict[str, OpTally] = field(default_factory=dict)
    costcalc_unsupported: Counter[str] = field(default_factory=Counter)
    fvcore: Counter[str] = field(default_factory=Counter)
    fvcore_unsupported: Counter[str] = field(default_factory=Counter)
    flop_counter: Counter[str] = field(default_factory=Counter)
    flop_counter_skipped: Counter[str] = field(default_factory=Counter)

    def merge(self, other: OpCounts) -> None:
        for op, tally in other.costcalc.items():
            mine = self.costcalc.setdefault(op, OpTally())
            mine.calls += tally.calls
            mine.macs += tally.macs
            mine.flops += tally.flops
            mine.biased += tally.biased
        self.costcalc_unsupported.update(other.costcalc_unsupported)
        self.fvcore.update(other.fvcore)
        self.fvcore_unsupported.update(other.fvcore_unsupported)
        self.flop_counter.update(other.flop_counter)
        self.flop_counter_skipped.update(other.flop_counter_skipped)


@dataclass(slots=True)
class CrossCheckRow:
    """One module (or the totals): the four numbers and why they differ."""

    module: str  # dotted module path truncated to the depth; ROOT_LABEL for the model's own ops
    costcalc_macs: int
    costcalc_flops: int
    fvcore: int
    flop_counter: int
    explanations: list[str]
    ops: OpCounts

    @property
    def agrees(self) -> bool:
        """fvcore = MACs and FlopCounterMode = 2 x MACs: only the conventions differ."""
        return self.fvcore == self.costcalc_macs and self.flop_counter == 2 * self.costcalc_macs

    @property
    def unexplained(self) -> list[str]:
        return [text for text in self.explanations if text.startswith("unexplained")]


@dataclass(frozen=True, slots=True)
class SpecialOp:
    """An op one tool skips or counts differently from costcalc's convention."""

    tool: str
    op: str
    treatment: str
    calls: int | None  # None where the tool reports an amount but not a call count
    amount: int | None  # the flops (or MACs) concerned, where known


@dataclass(slots=True)
class CrossCheck:
    """costcalc, fvcore and FlopCounterMode side by side on one model, per module."""

    model: str
    inputs: list[tuple[int, ...]]
    depth: int
    rows: list[CrossCheckRow]
    totals: CrossCheckRow
    special: list[SpecialOp]
    report: Report

    @property
    def unexplained(self) -> list[str]:
        return [f"{r.module}: {t}" for r in [*self.rows, self.totals] for t in r.unexplained]
