"""What a check returns: each limit's result, the whole check, values in their units."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costcalc.budget.schema import LATENCY, LOWER_BOUND, UNSUPPORTED
from costcalc.units import human_bytes, human_count


@dataclass(frozen=True)
class LimitResult:
    """One limit checked: ``value`` against ``limit`` (both in the key's unit)."""

    key: str
    section: str  # "budget" | "regression" | "lower_bound"
    value: float | int
    limit: float | int
    passed: bool
    rule: str  # how the limit was set, e.g. "<= 350M" or "+2% over 300.77M"
    baseline: float | int | None = None
    hardware: str | None = None
    line: int | None = None
    change: str | None = None  # a regression limit as written, e.g. "+2%"

    @property
    def margin(self) -> float | int:
        """How far below the limit the value is (negative: over it)."""
        return self.limit - self.value

    @property
    def margin_percent(self) -> float | None:
        return None if not self.limit else 100 * self.margin / self.limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "section": self.section, "value": self.value,
            "limit": self.limit, "margin": self.margin,
            "margin_percent": self.margin_percent, "passed": self.passed,
            "rule": self.rule, "baseline": self.baseline, "change": self.change,
            "hardware": self.hardware, "line": self.line,
        }  # fmt: skip


@dataclass
class CheckResult:
    model: str
    budget: Path
    results: list[LimitResult]
    warnings: list[str] = field(default_factory=list)
    baseline: Path | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[LimitResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "costcalc.check/1",
            "model": self.model,
            "budget": str(self.budget),
            "baseline": None if self.baseline is None else str(self.baseline),
            "passed": self.passed,
            "results": [r.to_dict() for r in self.results],
            "warnings": list(self.warnings),
        }


def fmt_value(key: str, value: float | int | None, signed: bool = False) -> str:
    """A value in its key's unit: 3.50M, 9.76MiB, 793.0 µs, 0.793 ms, 2 ops."""
    if value is None:
        return "?"
    sign = "+" if signed and value > 0 else ""
    if key == LATENCY:
        return f"{sign}{value:.3f} ms"
    if key.endswith("_us"):
        return f"{sign}{value:,.1f} µs"
    if key.endswith("_bytes"):
        return sign + human_bytes(round(value))
    if key in (UNSUPPORTED, LOWER_BOUND):
        return f"{sign}{value:g} op" + ("" if value == 1 else "s")
    return sign + human_count(round(value))
