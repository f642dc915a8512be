"""What a what-if returns: the alternatives, each costed with its formulas, as JSON/CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA = "costcalc.whatif/1"
METRICS = ("params", "macs", "flops", "bytes")


@dataclass(frozen=True)
class Alternative:
    """One way of building the layer, costed by the calculator, with its formulas.

    ``formulas`` maps params / macs / flops / bytes to ``symbolic = substituted = value``.
    ``bytes_moved`` is read + written bytes; ``param_bytes`` the weights' share of it.
    """

    name: str
    description: str
    params: int
    macs: int
    flops: int
    bytes_moved: int
    formulas: dict[str, str]
    read_bytes: int = 0
    write_bytes: int = 0
    param_bytes: int = 0
    given: bool = False

    @property
    def activation_bytes(self) -> int:
        """Bytes of activations read and written (bytes moved less the weights)."""
        return self.bytes_moved - self.param_bytes

    def value(self, metric: str) -> int:
        return self.bytes_moved if metric == "bytes" else getattr(self, metric)


@dataclass(frozen=True)
class WhatIf:
    """A layer's alternatives, the given one first, and notes (ratios, closed forms)."""

    layer: str
    title: str
    settings: dict[str, Any]
    dtype: str
    alternatives: list[Alternative]
    notes: list[str] = field(default_factory=list)

    def ratio(self, alternative: Alternative, metric: str) -> float | None:
        """``alternative``'s ``metric`` over the first (given) one's; None when that is 0."""
        base = self.alternatives[0].value(metric)
        return alternative.value(metric) / base if base else None

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for alt in self.alternatives:
            row = asdict(alt)
            row["activation_bytes"] = alt.activation_bytes
            row["vs_first"] = {m: _rounded(self.ratio(alt, m)) for m in METRICS}
            rows.append(row)
        return {
            "schema": SCHEMA, "layer": self.layer, "title": self.title,
            "settings": self.settings, "dtype": self.dtype,
            "alternatives": rows, "notes": list(self.notes),
        }  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([
            "name", "given", "params", "macs", "flops", "read_bytes", "write_bytes",
            "bytes", "param_bytes", *(f"{m}_formula" for m in METRICS), "description",
        ])  # fmt: skip
        for alt in self.alternatives:
            writer.writerow([
                alt.name, alt.given, alt.params, alt.macs, alt.flops, alt.read_bytes,
                alt.write_bytes, alt.bytes_moved, alt.param_bytes,
                *(alt.formulas[m] for m in METRICS), alt.description,
            ])  # fmt: skip
        return buffer.getvalue()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
