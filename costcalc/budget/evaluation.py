"""Checking a budget: the model analysed (once per hardware profile), each limit against
its value, lower-bound totals refused unless allowed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from costcalc.budget.results import CheckResult, LimitResult, fmt_value
from costcalc.budget.schema import (
    ALLOW_LOWER_BOUND,
    DENSE,
    LATENCY,
    LOWER_BOUND,
    TIMED,
    UNSUPPORTED,
    Budget,
    BudgetError,
    Limit,
)
from costcalc.report import Report


def metric(report: Report, key: str) -> float | int | None:
    if key == LATENCY:
        us = report.totals.est_time_us
        return None if us is None else us / 1000
    return getattr(report.totals, key)


def _profile_for(name: str | None) -> str | None:
    """The shipped profile whose name a report's ``totals.hardware`` records."""
    from costcalc import hardware

    if name is None:
        return None
    for key in hardware.names():
        if hardware.load_hardware(key).name == name or key == name:
            return key
    return None


def evaluate(
    budget: Budget,
    model: Any = None,
    inputs: Sequence[str] | None = None,
    dims: Mapping[str, int] | Sequence[str] | None = None,
    dtype: str | None = None,
) -> CheckResult:
    """Analyse ``model`` (default: the budget's ``[model] source``) and check every limit.

    ``inputs``/``dims``/``dtype`` override the budget's ``[model]`` options: ``inputs``
    replaces its inputs and drops its dims, ``dims`` are merged into its table."""
    from costcalc.api import analyze
    from costcalc.inputs import normalise_dims

    model = model if model is not None else budget.model.source
    if model is None:
        raise BudgetError(
            f"{budget.path}: no model: name one (costcalc check MODEL) or set "
            f"[{budget.prefix}model] source"
        )
    file_dims = {} if inputs else budget.model.dims  # given shapes may have no symbols left
    inputs = list(inputs) if inputs else list(budget.model.inputs)
    merged_dims = {**file_dims, **normalise_dims(dims)}
    dtype = dtype or budget.model.dtype
    hardware_of = {limit: _hardware_for(budget, limit) for limit in budget.limits}
    dense = any(limit.key in DENSE for limit in budget.limits)
    reports: dict[str | None, Report] = {}

    def report_for(hw: str | None) -> Report:
        if hw not in reports:
            if hw is None and reports:  # an estimate does not change the other totals
                return next(iter(reports.values()))
            reports[hw] = analyze(
                model,
                inputs=inputs or None,
                dims=merged_dims,
                dtype=dtype,
                baseline="dense" if dense else None,
                hardware=hw,
            )
        return reports[hw]

    for hw in sorted({h for h in hardware_of.values() if h is not None}):
        report_for(hw)
    first = report_for(None)
    results = [
        _check_limit(budget, limit, report_for(hardware_of[limit]), hardware_of[limit])
        for limit in budget.limits
    ]
    lower_bound, warnings = _lower_bound(budget, first)
    results += lower_bound
    if budget.baseline is not None:
        warnings += _baseline_mismatch(budget.baseline, first)
    name = str(model) if isinstance(model, str | Path) else first.model.name
    return CheckResult(name, budget.path, results, warnings, budget.baseline_path)


def _hardware_for(budget: Budget, limit: Limit) -> str | None:
    """The profile a timed limit is estimated on (a regression's: the baseline's); None
    for the other limits."""
    hw = limit.hardware
    if limit.key in TIMED and limit.section == "regression":
        baseline_report = budget.baseline
        hw = _profile_for(baseline_report.totals.hardware) if baseline_report else None
        if hw is None:
            recorded = baseline_report.totals.hardware if baseline_report else None
            raise BudgetError(
                f"{budget.path}:{limit.line or '?'}: [{budget.prefix}regression] "
                f"{limit.key}: the baseline has no estimate on a shipped hardware profile "
                f"(it records {recorded!r}); save it with --hardware NAME"
            )
    return hw if limit.key in TIMED else None


def _check_limit(budget: Budget, limit: Limit, report: Report, hw: str | None) -> LimitResult:
    """One limit against the report's value (and, for a regression, the baseline's)."""
    hw_name = None if hw is None else (Path(hw).stem if Path(hw).suffix else hw)
    if limit.key == UNSUPPORTED:
        value = sum(u.count for u in report.unsupported)
    else:
        value = metric(report, limit.key)
    if value is None:
        raise BudgetError(
            f"{budget.path}:{limit.line or '?'}: {limit.key}: not computed for this model"
        )
    if limit.section == "budget":
        return LimitResult(
            limit.key,
            "budget",
            value,
            limit.amount,
            value <= limit.amount,
            f"<= {fmt_value(limit.key, limit.amount)}",
            hardware=hw_name,
            line=limit.line,
        )
    assert budget.baseline is not None
    old = metric(budget.baseline, limit.key)
    if old is None:
        raise BudgetError(
            f"{budget.path}:{limit.line or '?'}: [{budget.prefix}regression] {limit.key}: "
            f"the baseline {budget.baseline_path} has no {limit.key} (null: that "
            "analysis was not run when it was saved)"
        )
    exact = _relative(old, limit)
    bound = math.floor(exact) if isinstance(value, int) and isinstance(old, int) else exact
    bound = float(bound) if isinstance(bound, Fraction) else bound
    return LimitResult(
        limit.key,
        "regression",
        value,
        bound,
        value <= exact,
        f"{limit.text} vs baseline {fmt_value(limit.key, old)}",
        baseline=old,
        hardware=hw_name,
        line=limit.line,
        change=limit.text,
    )


def _lower_bound(budget: Budget, report: Report) -> tuple[list[LimitResult], list[str]]:
    """Totals that are a lower bound: a failed row, or a warning where tolerated."""
    if not report.totals.lower_bound:
        return [], []
    uncosted = sum(u.count for u in report.unsupported)
    tolerated = budget.allow_lower_bound or any(lim.key == UNSUPPORTED for lim in budget.limits)
    if tolerated:
        return [], [
            f"totals are a lower bound ({uncosted} uncosted op(s)): limits may pass "
            "while the true cost exceeds them"
        ]
    failed = LimitResult(
        LOWER_BOUND,
        "lower_bound",
        uncosted,
        0,
        False,
        f"totals are a lower bound ({uncosted} uncosted op(s)); "
        f"set {ALLOW_LOWER_BOUND} = true to accept",
    )
    return [failed], []


def _relative(old: float | int, limit: Limit) -> Fraction | float:
    """The largest value a regression limit allows, exactly (Fractions for counts)."""
    if limit.key in TIMED:
        if limit.percent:
            return old * (1 + limit.amount / 100)
        return old + limit.amount
    if limit.percent:
        return Fraction(old) * (1 + Fraction(str(limit.amount)) / 100)
    return Fraction(old) + Fraction(str(limit.amount))


def _baseline_mismatch(baseline: Report, current: Report) -> list[str]:
    notes = []
    if baseline.model.inputs != current.model.inputs:
        notes.append(
            f"the baseline was analysed with inputs {baseline.model.inputs}, "
            f"this run with {current.model.inputs}"
        )
    if baseline.model.dtype != current.model.dtype:
        notes.append(
            f"the baseline was analysed at dtype {baseline.model.dtype}, "
            f"this run at {current.model.dtype}"
        )
    return notes
