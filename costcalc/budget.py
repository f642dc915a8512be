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
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from fractions import Fraction
from pathlib import Path
from typing import Any

from costcalc.errors import CostcalcError
from costcalc.report import Report, Totals
from costcalc.units import human_bytes, human_count, parse_quantity

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


# --------------------------------------------------------------------------- the budget


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


class _Source:
    """The text of a TOML file, for error messages that name the line of a key."""

    def __init__(self, path: Path, text: str, prefix: str = "") -> None:
        self.path, self.prefix = path, prefix
        self.lines: dict[tuple[str, str], int] = {}
        self.section_lines: dict[str, int] = {}
        section = ""
        header = re.compile(r"^\s*\[\s*([^\]\[]+?)\s*\]\s*(#.*)?$")
        key = re.compile(r"""^\s*["']?([A-Za-z0-9_-]+)["']?\s*[=.]""")
        for number, line in enumerate(text.splitlines(), start=1):
            if match := header.match(line):
                section = match.group(1).replace('"', "").replace(" ", "")
                section = section.removeprefix(prefix)
                self.section_lines.setdefault(section, number)
            elif match := key.match(line):
                self.lines.setdefault((section, match.group(1)), number)

    def where(self, section: str, key: str | None = None) -> str:
        line = self.lines.get((section, key)) if key else self.section_lines.get(section)
        return f"{self.path}:{line}" if line else str(self.path)

    def line(self, section: str, key: str) -> int | None:
        return self.lines.get((section, key))

    def error(self, section: str, key: str | None, message: str) -> BudgetError:
        name = f"[{self.prefix}{section}]" + (f" {key}" if key else "")
        return BudgetError(f"{self.where(section, key)}: {name}: {message}")


def _suggest(word: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, valid, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "valid: " + ", ".join(valid)


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BudgetError(f"{path}: budget file not found") from None
    except IsADirectoryError:
        raise BudgetError(f"{path}: is a directory, not a budget file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BudgetError(f"{path}: cannot read the budget file ({exc})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # the message names the line and column
        raise BudgetError(f"{path}: not valid TOML: {exc}") from None


def load_budget(path: str | Path) -> Budget:
    """Read and validate a budget TOML file (``[budget]``, ``[regression]``, ``[model]``)."""
    path = Path(path)
    text, data = _read_toml(path)
    source = _Source(path, text)
    for name, value in data.items():
        if not isinstance(value, dict):
            where = source.where("", name)
            raise BudgetError(
                f"{where}: {name}: a key outside any section (limits go under [budget])"
            )
        if name not in SECTIONS:
            raise BudgetError(
                f"{source.where(name)}: unknown section [{name}] ({_suggest(name, SECTIONS)})"
            )
    return _parse(path, data, source)


def find_pyproject_budget(start: str | Path | None = None) -> Budget:
    """The budget in ``[tool.costcalc.budget]`` / ``[tool.costcalc.regression]`` of the
    first ``pyproject.toml`` that has one, in ``start`` (default: the current folder) or
    its parents."""
    folder = Path(start or Path.cwd()).resolve()
    searched = []
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        searched.append(str(candidate))
        if not path.is_file():
            continue
        text, data = _read_toml(path)
        tool = data.get("tool", {}).get("costcalc", {})
        if isinstance(tool, dict) and ("budget" in tool or "regression" in tool):
            source = _Source(path, text, prefix="tool.costcalc.")
            for name in SECTIONS:
                if name in tool and not isinstance(tool[name], dict):
                    raise source.error(name, None, "must be a table")
            return _parse(path, {k: tool[k] for k in SECTIONS if k in tool}, source)
    raise BudgetError(
        "no budget: give --budget FILE, or add [tool.costcalc.budget] to a pyproject.toml "
        f"(searched {searched[0]} and its parents)"
    )


def _parse(path: Path, data: dict[str, Any], source: _Source) -> Budget:
    model = _parse_model(data.get("model", {}), source)
    budget_table = data.get("budget", {})
    regression_table = data.get("regression", {})
    limits: list[Limit] = []
    allow_lower_bound = False
    for key, value in budget_table.items():
        if key not in BUDGET_KEYS:
            raise source.error("budget", key, f"unknown key ({_suggest(key, BUDGET_KEYS)})")
        if key == ALLOW_LOWER_BOUND:
            if not isinstance(value, bool):
                raise source.error("budget", key, f"{value!r} must be true or false")
            allow_lower_bound = value
            continue
        limits.append(_absolute_limit(key, value, model, source))
    baseline_path = baseline = None
    for key, value in regression_table.items():
        if key not in REGRESSION_KEYS:
            suggestion = _suggest(key, REGRESSION_KEYS)
            raise source.error("regression", key, f"unknown key ({suggestion})")
        if key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise source.error("regression", key, "must be the path of a JSON report")
            baseline_path = (path.parent / value).resolve()
            continue
        limits.append(_relative_limit(key, value, source))
    regression = [limit for limit in limits if limit.section == "regression"]
    if regression and baseline_path is None:
        raise source.error("regression", None, 'relative limits need `baseline = "report.json"`')
    if baseline_path is not None and not regression:
        raise source.error("regression", "baseline", "a baseline but no limit against it")
    if baseline_path is not None:  # read once every key is known to be valid
        baseline = _load_baseline(baseline_path, regression_table["baseline"], source)
    if not limits:
        raise BudgetError(
            f'{path}: no limits: set at least one, e.g. [{source.prefix}budget] macs = "300M"'
        )
    return Budget(
        path=path,
        limits=limits,
        model=model,
        allow_lower_bound=allow_lower_bound,
        baseline_path=baseline_path,
        baseline=baseline,
        prefix=source.prefix,
    )


def _parse_model(table: dict[str, Any], source: _Source) -> ModelOptions:
    def string(key: str) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise source.error("model", key, f"{value!r} must be a string")
        return value

    for key in table:
        if key not in MODEL_KEYS:
            raise source.error("model", key, f"unknown key ({_suggest(key, MODEL_KEYS)})")
    inputs = table.get("inputs", [])
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not all(isinstance(s, str) for s in inputs):
        raise source.error("model", "inputs", 'must be a list of shapes like ["1x3x224x224"]')
    dims = table.get("dims", {})
    if not isinstance(dims, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in dims.values()
    ):
        raise source.error("model", "dims", "must be a table of positive integers, e.g. { N = 1 }")
    hardware = string("hardware")
    if hardware is not None:
        hardware = _check_hardware(hardware, "model", "hardware", source)
    model_source = string("source")
    if model_source is not None and not _is_spec(model_source):
        model_source = str((source.path.parent / model_source).resolve())
    return ModelOptions(model_source, tuple(inputs), dict(dims), string("dtype"), hardware)


def _is_spec(text: str) -> bool:
    """zoo:NAME or package.module:callable (not a path)."""
    return text.startswith("zoo:") or bool(re.fullmatch(r"[\w.]+:[\w.]+", text))


def _check_hardware(name: str, section: str, key: str, source: _Source) -> str:
    """A shipped profile name, or a TOML path (relative to the budget file's folder)."""
    from costcalc.hardware import load_hardware

    candidate = name
    if Path(name).suffix:
        candidate = str((source.path.parent / name).resolve())
    try:
        load_hardware(candidate)
    except CostcalcError as exc:
        message = str(exc).removeprefix(f"--hardware {candidate}: ")
        raise source.error(section, key, f"hardware {name!r}: {message}") from None
    return candidate


def _number(key: str, value: Any, source: _Source, section: str = "budget") -> float | int:
    """A positive limit: a number or a quantity string ("4M", "32MiB")."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        kind = type(value).__name__
        raise source.error(
            section, key, f'{value!r} ({kind}) is not a number or a quantity like "4M"'
        )
    if isinstance(value, str):
        try:
            value = float(value) if key in TIMED else parse_quantity(value)
        except ValueError:
            hint = "a number" if key in TIMED else "use e.g. 4M, 350M, 1.5G, 32MiB"
            raise source.error(section, key, f"{value!r} is not a quantity ({hint})") from None
    if not math.isfinite(value) or value <= 0:
        raise source.error(section, key, f"{value!r}: a limit must be a positive number")
    return value


def _absolute_limit(key: str, value: Any, model: ModelOptions, source: _Source) -> Limit:
    line = source.line("budget", key)
    if key == UNSUPPORTED:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise source.error("budget", key, f"{value!r} must be a count (0, 1, 2...)")
        return Limit(key, "budget", value, str(value), line=line)
    hardware = model.hardware
    if isinstance(value, dict):
        if key not in TIMED:
            raise source.error("budget", key, "a table only for est_time_us and latency_ms")
        for sub in value:
            if sub not in ("value", "hardware"):
                suggestion = _suggest(sub, ("value", "hardware"))
                raise source.error("budget", key, f"unknown key {sub!r} ({suggestion})")
        if "value" not in value:
            raise source.error("budget", key, "missing `value`, e.g. { value = 2.0, ... }")
        if "hardware" in value:
            if not isinstance(value["hardware"], str):
                raise source.error("budget", key, "hardware must be a profile name or file")
            hardware = _check_hardware(value["hardware"], "budget", key, source)
        value = value["value"]
    if key in TIMED and hardware is None:
        raise source.error(
            "budget", key, 'needs a hardware profile: { value = 2.0, hardware = "h200" }'
        )
    amount = _number(key, value, source)
    return Limit(key, "budget", amount, str(value), hardware=hardware, line=line)


_PERCENT = re.compile(r"^\s*([+-]?)\s*([0-9]*\.?[0-9]+)\s*%\s*$")
_DELTA = re.compile(r"^\s*([+-]?)\s*(\S.*)$")


def _relative_limit(key: str, value: Any, source: _Source) -> Limit:
    line = source.line("regression", key)
    if not isinstance(value, str):
        raise source.error(
            "regression", key, f'{value!r}: write a change like "+2%", "-5%" or "+1M"'
        )
    if match := _PERCENT.match(value):
        percent = float(match.group(2)) * (-1 if match.group(1) == "-" else 1)
        if percent <= -100:
            raise source.error("regression", key, f"{value!r}: a drop of 100% or more")
        return Limit(key, "regression", percent, value.strip(), percent=True, line=line)
    match = _DELTA.match(value)
    try:
        if match is None:
            raise ValueError(value)
        text = match.group(2)
        delta: float | int = float(text) if key in TIMED else parse_quantity(text)
    except ValueError:
        raise source.error(
            "regression", key, f'{value!r}: write a change like "+2%", "-5%" or "+1M"'
        ) from None
    delta = -delta if match.group(1) == "-" else delta
    return Limit(key, "regression", delta, value.strip(), line=line)


def _load_baseline(path: Path, written: str, source: _Source) -> Report:
    where = source.where("regression", "baseline")
    name = f"[{source.prefix}regression] baseline {written!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BudgetError(
            f"{where}: {name}: no such file ({path}); save one with "
            "`costcalc analyze MODEL --format json -o FILE`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BudgetError(f"{where}: {name}: cannot read it ({exc})") from None
    try:
        return Report.from_json(text)
    except ValueError as exc:  # JSON errors and a wrong schema
        raise BudgetError(f"{where}: {name}: not a costcalc JSON report ({exc})") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise BudgetError(
            f"{where}: {name}: not a costcalc JSON report (bad or missing field {exc})"
        ) from None


# --------------------------------------------------------------------------- evaluation


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
    baseline_report = budget.baseline
    hardware_of: dict[Limit, str | None] = {}
    for limit in budget.limits:
        hw = limit.hardware
        if limit.key in TIMED and limit.section == "regression":
            hw = _profile_for(baseline_report.totals.hardware) if baseline_report else None
            if hw is None:
                recorded = baseline_report.totals.hardware if baseline_report else None
                raise BudgetError(
                    f"{budget.path}:{limit.line or '?'}: [{budget.prefix}regression] "
                    f"{limit.key}: the baseline has no estimate on a shipped hardware profile "
                    f"(it records {recorded!r}); save it with --hardware NAME"
                )
        hardware_of[limit] = hw if limit.key in TIMED else None
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
    results: list[LimitResult] = []
    warnings: list[str] = []
    for limit in budget.limits:
        hw = hardware_of[limit]
        report = report_for(hw)
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
            results.append(
                LimitResult(
                    limit.key,
                    "budget",
                    value,
                    limit.amount,
                    value <= limit.amount,
                    f"<= {fmt_value(limit.key, limit.amount)}",
                    hardware=hw_name,
                    line=limit.line,
                )
            )
            continue
        assert baseline_report is not None
        old = metric(baseline_report, limit.key)
        if old is None:
            raise BudgetError(
                f"{budget.path}:{limit.line or '?'}: [{budget.prefix}regression] {limit.key}: "
                f"the baseline {budget.baseline_path} has no {limit.key} (null: that "
                "analysis was not run when it was saved)"
            )
        exact = _relative(old, limit)
        bound = math.floor(exact) if isinstance(value, int) and isinstance(old, int) else exact
        bound = float(bound) if isinstance(bound, Fraction) else bound
        results.append(
            LimitResult(
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
        )
    uncosted = sum(u.count for u in first.unsupported)
    tolerated = budget.allow_lower_bound or any(lim.key == UNSUPPORTED for lim in budget.limits)
    if first.totals.lower_bound:
        if tolerated:
            warnings.append(
                f"totals are a lower bound ({uncosted} uncosted op(s)): limits may pass "
                "while the true cost exceeds them"
            )
        else:
            results.append(
                LimitResult(
                    LOWER_BOUND,
                    "lower_bound",
                    uncosted,
                    0,
                    False,
                    f"totals are a lower bound ({uncosted} uncosted op(s)); "
                    f"set {ALLOW_LOWER_BOUND} = true to accept",
                )
            )
    if baseline_report is not None:
        warnings += _baseline_mismatch(baseline_report, first)
    name = str(model) if isinstance(model, str | Path) else first.model.name
    return CheckResult(name, budget.path, results, warnings, budget.baseline_path)


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
