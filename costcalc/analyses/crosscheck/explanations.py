"""Why the tools differ in one row: each difference attributed op by op in a ledger, the
amount left over reported as ``unexplained: ...``."""

from __future__ import annotations

from collections import Counter

from costcalc.analyses.crosscheck.op_names import (
    ALIASES,
    CONV,
    MATMUL,
    costcalc_family,
    counter_family,
    mac_family,
    normalise,
    same_op,
)
from costcalc.analyses.crosscheck.results import (
    FLOP_COUNTER_GAP,
    FLOPS_GAP,
    FVCORE_GAP,
    OpCounts,
    OpTally,
)


def _n(value: int) -> str:
    return f"{value:+,}"


def _calls(counter: Counter[str]) -> str:
    return ", ".join(f"{op} ×{n}" for op, n in sorted(counter.items(), key=lambda kv: -kv[1]))


class _Ledger:
    """Explanations, each attributing an amount to one of a row's differences."""

    def __init__(self, gaps: dict[str, int]) -> None:
        self.gaps = gaps
        self.attributed: Counter[str] = Counter()
        self.lines: list[str] = []

    def attribute(self, gap: str, amount: int, text: str) -> None:
        self.attributed[gap] += amount
        self.lines.append(text)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def close(self) -> list[str]:
        for gap, actual in self.gaps.items():
            residual = actual - self.attributed[gap]
            if residual:
                self.lines.append(f"unexplained: {gap} {_n(residual)}")
        return self.lines


def explain(macs: int, flops: int, fv: int, fc: int, counts: OpCounts) -> list[str]:
    """Why fvcore, FlopCounterMode and costcalc differ in one row, from per-op counts."""
    ledger = _Ledger(
        {FVCORE_GAP: fv - macs, FLOP_COUNTER_GAP: fc - 2 * macs, FLOPS_GAP: flops - 2 * macs}
    )
    if fv == macs and fc == 2 * macs:
        ledger.note("agree (convention only): fvcore = MACs, FlopCounterMode = 2×MACs")
    _explain_mac_gaps(ledger, counts)
    _explain_fvcore_extras(ledger, counts)
    _explain_costcalc_extras(ledger, counts)
    return ledger.close()


def _costcalc_macs(counts: OpCounts, family: str) -> int:
    return sum(
        t.macs for op, t in counts.costcalc.items() if t.macs and costcalc_family(op) == family
    )


def _explain_mac_gaps(ledger: _Ledger, counts: OpCounts) -> None:
    """Per conv / matmul family: fvcore vs MACs, FlopCounterMode vs 2 x MACs."""
    for family in (CONV, MATMUL):
        cc = _costcalc_macs(counts, family)
        fv = sum(n for op, n in counts.fvcore.items() if mac_family(op) == family)
        fc = sum(n for op, n in counts.flop_counter.items() if counter_family(op) == family)
        fv_skipped = _of_family(counts.fvcore_unsupported, family)
        fc_skipped = _of_family(counts.flop_counter_skipped, family)
        _attribute_mac_gap(ledger, FVCORE_GAP, family, fv - cc, counts, fv_skipped,
                           "fvcore skips {ops} (unsupported)")  # fmt: skip
        _attribute_mac_gap(ledger, FLOP_COUNTER_GAP, family, fc - 2 * cc, counts, fc_skipped,
                           "FlopCounterMode has no formula for {ops}")  # fmt: skip


def _of_family(ops: Counter[str], family: str) -> Counter[str]:
    return Counter({op: n for op, n in ops.items() if mac_family(op) == family})


def _attribute_mac_gap(
    ledger: _Ledger,
    gap: str,
    family: str,
    diff: int,
    counts: OpCounts,
    skipped: Counter[str],
    skip_text: str,
) -> None:
    """Explain a conv/matmul count difference by an op one tool could not cost, if any.

    Less than costcalc: the tool skipped a MAC-like op of this family. More: costcalc
    could not cost an op in this row. Anything else stays unexplained.
    """
    if diff < 0 and skipped:
        text = skip_text.format(ops=_calls(skipped))
        ledger.attribute(gap, diff, f"{text}, a {family} op: {_n(diff)}")
    elif diff > 0 and counts.costcalc_unsupported:
        ops = _calls(counts.costcalc_unsupported)
        ledger.attribute(
            gap, diff, f"costcalc could not cost {ops}, the other tool counts it: {_n(diff)}"
        )


def _explain_fvcore_extras(ledger: _Ledger, counts: OpCounts) -> None:
    """fvcore's counts for ops that are not MACs (normalisation, pooling, upsampling)."""
    for op, amount in sorted(counts.fvcore.items(), key=lambda kv: -kv[1]):
        if mac_family(op) is not None or amount == 0:
            continue
        mine = _matching(op, counts)
        ours = sum(counts.costcalc[name].flops for name in mine)
        if not mine:
            compare = "costcalc has no matching op"
        elif ours == amount:
            compare = f"the same as costcalc's {'/'.join(mine)} FLOPs"
        else:
            compare = f"costcalc's {'/'.join(mine)}: {ours:,} FLOPs"
        ledger.attribute(
            FVCORE_GAP, amount, f"fvcore counts {op}, not a MAC: {_n(amount)} ({compare})"
        )


def _matching(external: str, counts: OpCounts) -> list[str]:
    """costcalc's ops in the row that ``external`` became, less those another fvcore op
    names unambiguously (avg_pool2d's AveragePool is not adaptive_avg_pool2d's)."""
    others = [op for op in (*counts.fvcore, *counts.fvcore_unsupported) if op != external]
    claimed = {
        name
        for other in others
        for name in counts.costcalc
        if same_op(other, name) and len(ALIASES.get(normalise(other), ())) <= 1
    }
    candidates = [name for name in counts.costcalc if same_op(external, name)]
    return [name for name in candidates if name not in claimed] or candidates


def _explain_costcalc_extras(ledger: _Ledger, counts: OpCounts) -> None:
    """costcalc FLOPs beyond 2 x MACs (bias adds, non-MAC ops), and who skips them."""
    bias_ops = {op: t for op, t in counts.costcalc.items() if t.macs and t.flops != 2 * t.macs}
    if bias_ops:
        amount = sum(t.flops - 2 * t.macs for t in bias_ops.values())
        names = ", ".join(f"{op} ×{t.biased}" for op, t in bias_ops.items())
        ledger.attribute(
            FLOPS_GAP,
            amount,
            f"bias adds of {names}: {_n(amount)} in costcalc FLOPs "
            "(fvcore and FlopCounterMode count no bias)",
        )
    others = non_mac_ops(counts)
    if others:
        items = ", ".join(f"{op} {_n(t.flops)}" for op, t in others.items())
        ledger.attribute(
            FLOPS_GAP,
            sum(t.flops for t in others.values()),
            f"costcalc FLOPs of non-MAC ops (FlopCounterMode counts none of them): {items}",
        )
    if counts.fvcore_unsupported:
        ledger.note(f"fvcore skips (unsupported): {_calls(counts.fvcore_unsupported)}")
    ignored = fvcore_ignored(counts, others)
    if ignored:
        ledger.note(f"fvcore ignores (neither counts nor reports): {_calls(ignored)}")
    if counts.costcalc_unsupported:
        ledger.note(
            f"costcalc could not cost {_calls(counts.costcalc_unsupported)} "
            "(its totals are a lower bound)"
        )


def non_mac_ops(counts: OpCounts) -> dict[str, OpTally]:
    """costcalc's ops with FLOPs but no MACs, largest first."""
    found = [(op, t) for op, t in counts.costcalc.items() if not t.macs and t.flops]
    return dict(sorted(found, key=lambda kv: -kv[1].flops))


def fvcore_ignored(counts: OpCounts, others: dict[str, OpTally]) -> Counter[str]:
    """costcalc's non-MAC ops that fvcore neither counted nor reported as unsupported."""
    seen = [*counts.fvcore, *counts.fvcore_unsupported]
    return Counter(
        {op: t.calls for op, t in others.items() if not any(same_op(name, op) for name in seen)}
    )
