"""The error of a model that cannot be cross-checked, and the one line of a tool's failure."""

from __future__ import annotations

from costcalc.errors import CostcalcError


class CrossCheckError(CostcalcError):
    """The model cannot be cross-checked (not a PyTorch model, or a tool failed on it)."""


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
