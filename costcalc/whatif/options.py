"""A what-if's options: checked positive, the dtype resolved, the settings it records."""

from __future__ import annotations

from typing import Any

from costcalc.api import resolve_dtype
from costcalc.errors import InputSpecError
from costcalc.units import DTYPE_BITS


def check_positive(**values: int | None) -> None:
    """Each option given is a positive integer (``--cin`` and so on otherwise)."""
    for option, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            flag = "--" + option.replace("_", "-")
            raise InputSpecError(f"{flag} must be a positive integer, got {value!r}")


def element_type(dtype: str) -> tuple[str, int]:
    """The element type's name and bits per element."""
    name = resolve_dtype(dtype)  # the same names and message as `costcalc analyze --dtype`
    return name, DTYPE_BITS[name]


def recorded_settings(**values: Any) -> dict[str, Any]:
    """The options given (None: not given)."""
    return {k: v for k, v in values.items() if v is not None}
