"""What a budget may hold: its sections and keys, the limits read from it, its error."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from costcalc.errors import CostcalcError
from costcalc.report import Report, Totals

SECTIONS = ("budget", "regression", "model")
MODEL_KEYS = ("source", "inputs", "dims", "dtype", "hardware")
LATENCY = "latency_ms"
UNSUPPORTED = "unsupported_ops"
LOWER_BOUND = "lower_bound"
ALLOW_LOWER_BOUND = "allow_lower_bound"
_NOT_LIMITS = ("measured_us",)  # measured by `costcalc profile`, not by an analysis


def _numeric_totals() -> tuple[str, ...]:
    numeric = ("int", "float", "int | None", "float | None")
    return tuple(f.name for f in fields(Totals) if f.type in numeric and f.name not in _NOT_LIMITS)


METRICS: tuple[str, ...] = (*_numeric_totals(), LATENCY)  # what a limit may be set on
TIMED = ("est_time_us", LATENCY)  # need a hardware profile
DENSE = tuple(m for m in METRICS if m.startswith("dense_"))  # need --baseline dense
BUDGET_KEYS = (*METRICS, UNSUPPORTED, ALLOW_LOWER_BOUND)
REGRESSION_KEYS = ("baseline", *METRICS)


class BudgetError(CostcalcError):
    """The budget file is unreadable, malformed, or names something that does not exist."""


@dataclass(frozen=True)
class Limit:
    """One limit: ``key`` must stay <= ``amount`` (budget), or <= the baseline's value
    changed by ``amount`` percent or units (regression)."""

    key: str
    section: str  # "budget" | "regression"
    amount: float | int
    text: str  # as written in the file, e.g. "350M" or "+2%"
    percent: bool = False
    hardware: str | None = None  # the profile of a timed limit
    line: int | None = None


@dataclass(frozen=True)
class ModelOptions:
    source: str | None = None
    inputs: tuple[str, ...] = ()
    dims: dict[str, int] = field(default_factory=dict)
    dtype: str | None = None
    hardware: str | None = None


@dataclass
class Budget:
    path: Path  # the budget file (or the pyproject.toml it came from)
    limits: list[Limit]
    model: ModelOptions = field(default_factory=ModelOptions)
    allow_lower_bound: bool = False
    baseline_path: Path | None = None
    baseline: Report | None = None
    prefix: str = ""  # "tool.costcalc." in pyproject.toml

    @property
    def folder(self) -> Path:
        return self.path.parent
