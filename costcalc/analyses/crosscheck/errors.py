"""The error of a model that cannot be cross-checked."""

from __future__ import annotations

from costcalc.errors import CostcalcError


class CrossCheckError(CostcalcError):
    """The model cannot be cross-checked (not a PyTorch model, or a tool failed on it)."""
