"""Cost budgets: limits on a model's totals, read from TOML, checked against an analysis.

A budget file (or ``[tool.costcalc.*]`` in ``pyproject.toml``)::

    [model]                          # optional: what to analyse and how
    source = "zoo:mobilenet_v2"      #   the model when the command names none
    inputs = ["1x3x224x224"]         #   --input, --dim, --dtype override these
    dims = { N = 1 }
    dtype = "fp32"
    hardware = "h200"                #   profile for est_time_us / latency_ms

    [budget]                         # absolute limits (value <= limit); keys: the totals
    params = "4M"                    #   numbers, or strings with K/M/G/T (decimal) or
    macs = "350M"                    #   KiB/MiB/GiB/TiB (binary)
    peak_activation_bytes = "32MiB"
    latency_ms = { value = 2.0, hardware = "h200" }   # roofline estimate / 1000
    unsupported_ops = 0              #   most uncosted ops tolerated (implies
    allow_lower_bound = false        #   allow_lower_bound); see below

    [regression]                     # relative limits against a saved JSON report
    baseline = "reports/model.json"  #   relative to the budget file's folder
    macs = "+2%"                     #   new <= old * 1.02
    params = "+0%"                   #   new <= old
    flops = "-5%"                    #   new <= old * 0.95 (must shrink by 5%)
    read_bytes = "+1MiB"             #   new <= old + 1 MiB

Totals that are a lower bound (some layers could not be costed) fail the check with a
``lower_bound`` row unless ``allow_lower_bound = true`` or ``unsupported_ops`` is set: a
budget met by a lower bound proves nothing.

Every problem with the budget (bad TOML, unknown key, bad value, missing or invalid
baseline) is a ``BudgetError``: one line naming the file, the line and the key.

The modules: ``schema`` (sections, keys, the parsed budget), ``source`` (the TOML text and
its lines), ``values`` (each limit's value), ``loading`` (a budget file or pyproject.toml),
``evaluation`` (the limits checked on an analysis), ``results`` (what a check returns),
``render`` (a check's results as a table, JSON, Markdown, HTML, GitHub annotations, JUnit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from costcalc.budget.evaluation import evaluate, metric
from costcalc.budget.loading import find_pyproject_budget, load_budget
from costcalc.budget.results import CheckResult, LimitResult, fmt_value
from costcalc.budget.schema import (
    ALLOW_LOWER_BOUND,
    BUDGET_KEYS,
    DENSE,
    LATENCY,
    LOWER_BOUND,
    METRICS,
    MODEL_KEYS,
    REGRESSION_KEYS,
    SECTIONS,
    TIMED,
    UNSUPPORTED,
    Budget,
    BudgetError,
    Limit,
    ModelOptions,
)

__all__ = [
    "ALLOW_LOWER_BOUND", "BUDGET_KEYS", "DENSE", "LATENCY", "LOWER_BOUND", "METRICS",
    "MODEL_KEYS", "REGRESSION_KEYS", "SECTIONS", "TIMED", "UNSUPPORTED", "Budget",
    "BudgetError", "CheckResult", "Limit", "LimitResult", "ModelOptions", "check",
    "evaluate", "find_pyproject_budget", "fmt_value", "load_budget", "metric",
]  # fmt: skip


def check(
    model: Any = None,
    budget: str | Path | Budget | None = None,
    inputs: Sequence[str] | None = None,
    dims: Mapping[str, int] | Sequence[str] | None = None,
    dtype: str | None = None,
) -> CheckResult:
    """Load the budget (a file; None: ``pyproject.toml``) and evaluate it on ``model``."""
    if not isinstance(budget, Budget):
        budget = find_pyproject_budget() if budget is None else load_budget(budget)
    return evaluate(budget, model, inputs=inputs, dims=dims, dtype=dtype)
