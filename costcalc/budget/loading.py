"""Reading a budget: from its own TOML file or a ``pyproject.toml``'s ``[tool.costcalc.*]``,
every key checked, the regression baseline loaded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from costcalc.budget.schema import (
    ALLOW_LOWER_BOUND,
    BUDGET_KEYS,
    MODEL_KEYS,
    REGRESSION_KEYS,
    SECTIONS,
    Budget,
    BudgetError,
    Limit,
    ModelOptions,
)
from costcalc.budget.source import TomlSource, read_toml, suggest
from costcalc.budget.values import absolute_limit, check_hardware, relative_limit
from costcalc.report import Report


def load_budget(path: str | Path) -> Budget:
    """Read and validate a budget TOML file (``[budget]``, ``[regression]``, ``[model]``)."""
    path = Path(path)
    text, data = read_toml(path)
    source = TomlSource(path, text)
    for name, value in data.items():
        if not isinstance(value, dict):
            where = source.where("", name)
            raise BudgetError(
                f"{where}: {name}: a key outside any section (limits go under [budget])"
            )
        if name not in SECTIONS:
            raise BudgetError(
                f"{source.where(name)}: unknown section [{name}] ({suggest(name, SECTIONS)})"
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
        text, data = read_toml(path)
        tool = data.get("tool", {}).get("costcalc", {})
        if isinstance(tool, dict) and ("budget" in tool or "regression" in tool):
            source = TomlSource(path, text, prefix="tool.costcalc.")
            for name in SECTIONS:
                if name in tool and not isinstance(tool[name], dict):
                    raise source.error(name, None, "must be a table")
            return _parse(path, {k: tool[k] for k in SECTIONS if k in tool}, source)
    raise BudgetError(
        "no budget: give --budget FILE, or add [tool.costcalc.budget] to a pyproject.toml "
        f"(searched {searched[0]} and its parents)"
    )


def _parse(path: Path, data: dict[str, Any], source: TomlSource) -> Budget:
    model = _parse_model(data.get("model", {}), source)
    budget_table = data.get("budget", {})
    regression_table = data.get("regression", {})
    limits: list[Limit] = []
    allow_lower_bound = False
    for key, value in budget_table.items():
        if key not in BUDGET_KEYS:
            raise source.error("budget", key, f"unknown key ({suggest(key, BUDGET_KEYS)})")
        if key == ALLOW_LOWER_BOUND:
            if not isinstance(value, bool):
                raise source.error("budget", key, f"{value!r} must be true or false")
            allow_lower_bound = value
            continue
        limits.append(absolute_limit(key, value, model, source))
    baseline_path = baseline = None
    for key, value in regression_table.items():
        if key not in REGRESSION_KEYS:
            suggestion = suggest(key, REGRESSION_KEYS)
            raise source.error("regression", key, f"unknown key ({suggestion})")
        if key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise source.error("regression", key, "must be the path of a JSON report")
            baseline_path = (path.parent / value).resolve()
            continue
        limits.append(relative_limit(key, value, source))
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


def _parse_model(table: dict[str, Any], source: TomlSource) -> ModelOptions:
    def string(key: str) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise source.error("model", key, f"{value!r} must be a string")
        return value

    for key in table:
        if key not in MODEL_KEYS:
            raise source.error("model", key, f"unknown key ({suggest(key, MODEL_KEYS)})")
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
        hardware = check_hardware(hardware, "model", "hardware", source)
    model_source = string("source")
    if model_source is not None and not _is_spec(model_source):
        model_source = str((source.path.parent / model_source).resolve())
    return ModelOptions(model_source, tuple(inputs), dict(dims), string("dtype"), hardware)


def _is_spec(text: str) -> bool:
    """zoo:NAME or package.module:callable (not a path)."""
    return text.startswith("zoo:") or bool(re.fullmatch(r"[\w.]+:[\w.]+", text))


def _load_baseline(path: Path, written: str, source: TomlSource) -> Report:
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
