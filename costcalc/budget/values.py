"""The value of each limit: absolute amounts ("350M", "32MiB"), changes ("+2%", "+1M"),
and hardware profiles for the timed ones."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from costcalc.budget.schema import TIMED, UNSUPPORTED, Limit, ModelOptions
from costcalc.budget.source import TomlSource, suggest
from costcalc.errors import CostcalcError
from costcalc.units import parse_quantity

_PERCENT = re.compile(r"^\s*([+-]?)\s*([0-9]*\.?[0-9]+)\s*%\s*$")
_DELTA = re.compile(r"^\s*([+-]?)\s*(\S.*)$")


def check_hardware(name: str, section: str, key: str, source: TomlSource) -> str:
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


def _number(key: str, value: Any, source: TomlSource, section: str = "budget") -> float | int:
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


def absolute_limit(key: str, value: Any, model: ModelOptions, source: TomlSource) -> Limit:
    """A ``[budget]`` limit: value <= amount."""
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
                suggestion = suggest(sub, ("value", "hardware"))
                raise source.error("budget", key, f"unknown key {sub!r} ({suggestion})")
        if "value" not in value:
            raise source.error("budget", key, "missing `value`, e.g. { value = 2.0, ... }")
        if "hardware" in value:
            if not isinstance(value["hardware"], str):
                raise source.error("budget", key, "hardware must be a profile name or file")
            hardware = check_hardware(value["hardware"], "budget", key, source)
        value = value["value"]
    if key in TIMED and hardware is None:
        raise source.error(
            "budget", key, 'needs a hardware profile: { value = 2.0, hardware = "h200" }'
        )
    amount = _number(key, value, source)
    return Limit(key, "budget", amount, str(value), hardware=hardware, line=line)


def relative_limit(key: str, value: Any, source: TomlSource) -> Limit:
    """A ``[regression]`` limit: a change in percent or in units over the baseline."""
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
