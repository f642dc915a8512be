"""The Report: per-layer rows, totals, unsupported ops and warnings; JSON and pandas views.

JSON schema ``costcalc.report/1`` (see DESIGN.md). A field whose analysis was not run is
``None`` (JSON ``null``), never a made-up 0.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from costcalc.gc_pause import paused_gc

if TYPE_CHECKING:
    import pandas as pd


SCHEMA = "costcalc.report/1"

COST_FIELDS = (
    "params", "macs", "flops", "read_bytes", "write_bytes", "dense_params", "dense_macs",
    "dense_bytes",
)  # fmt: skip


@dataclass(slots=True)
class LayerRow:
    name: str
    op: str
    kind: str  # compute | movement | free | folded | unsupported | unresolved
    module: str | None
    inputs: list[list[int] | None]
    outputs: list[list[int] | None]
    params: int | None
    macs: int | None
    flops: int | None
    read_bytes: int | None
    write_bytes: int | None
    dense_params: int | None = None
    dense_macs: int | None = None
    category: str = ""  # conv-depthwise, norm, data movement... (see ops/categories.py)
    intensity: float | None = None  # FLOPs per byte moved
    dense_bytes: int | None = None  # bytes read + written by the dense baseline
    pattern: str | None = None  # the block pattern the layer belongs to, e.g. "se#2"
    live_bytes: int | None = None  # activation bytes alive while it runs (inputs + outputs)
    est_time_us: float | None = None  # roofline estimate on the chosen hardware
    bound: str | None = None  # what limits the estimate: compute | memory | overhead
    measured_us: float | None = None  # median measured time (costcalc profile)


@dataclass(slots=True)
class Totals:
    params: int
    macs: int
    flops: int
    param_bytes: int
    activation_bytes: int
    read_bytes: int
    write_bytes: int
    peak_activation_bytes: int | None = None
    dense_params: int | None = None
    dense_macs: int | None = None
    dense_bytes: int | None = None
    peak_layer: str | None = None  # the layer during which peak_activation_bytes is reached
    training_bytes: dict[str, int] | None = None  # --training: the parts of the estimate
    est_time_us: float | None = None
    hardware: str | None = None  # the hardware profile of the estimate
    measured_us: float | None = None
    lower_bound: bool = False  # some layers could not be costed: the true totals are larger


@dataclass(slots=True)
class UnsupportedOp:
    op: str
    count: int
    nodes: list[str]
    reason: str = "no cost formula"


@dataclass(slots=True)
class PatternRow:
    """One block pattern: its layers, their costs, and its own baseline."""

    id: str  # e.g. "depthwise-separable#3"
    kind: str
    layers: list[str]
    module: str | None
    attrs: dict[str, Any]
    params: int
    macs: int
    flops: int
    bytes: int
    baseline: str  # what it is compared with, e.g. "standard 3x3 conv 32->64"
    dense_params: int | None
    dense_macs: int | None
    dense_bytes: int | None
    block: str | None = None  # squeeze-excitation: the enclosing block
    share_of_block_params: float | None = None
    share_of_block_macs: float | None = None
    share_of_model_params: float | None = None
    share_of_model_macs: float | None = None


@dataclass(slots=True)
class ModelInfo:
    name: str
    source: str
    inputs: dict[str, list[int] | None]
    dtype: str | None = None  # the --dtype override, if any


@dataclass(slots=True)
class Report:
    model: ModelInfo
    totals: Totals
    layers: list[LayerRow]
    unsupported: list[UnsupportedOp] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uncalled_modules: list[str] = field(default_factory=list)
    patterns: list[PatternRow] | None = None  # None: the baseline analysis was not run

    @property
    def is_lower_bound(self) -> bool:
        return self.totals.lower_bound

    def to_dict(self) -> dict[str, Any]:
        data = self._head_dict()
        data["layers"] = [_row_dict(row) for row in self.layers]
        return {key: data[key] for key in _REPORT_KEYS}

    def _head_dict(self) -> dict[str, Any]:
        """Everything but the layers."""
        return {
            "schema": SCHEMA,
            "model": asdict(self.model),
            "totals": asdict(self.totals),
            "unsupported": [asdict(u) for u in self.unsupported],
            "warnings": list(self.warnings),
            "uncalled_modules": list(self.uncalled_modules),
            "patterns": None if self.patterns is None else [asdict(p) for p in self.patterns],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON; with ``indent``, one layer per line (an indented document
        of a million layers would take minutes)."""
        with paused_gc():
            if indent is None:
                return json.dumps(self.to_dict())
            head = json.dumps(self._head_dict(), indent=indent)
            pad = " " * indent
            rows = f",\n{pad}{pad}".join(_layer_lines(self.layers))
            body = f"[\n{pad}{pad}{rows}\n{pad}]" if self.layers else "[]"
            return f'{head[:-2]},\n{pad}"layers": {body}\n}}'

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        schema = data.get("schema")
        if schema != SCHEMA:
            raise ValueError(f"not a costcalc report (schema {schema!r}, expected {SCHEMA!r})")
        return cls(
            model=_build(ModelInfo, data["model"]),
            totals=_build(Totals, data["totals"]),
            layers=[_build(LayerRow, row) for row in data["layers"]],
            unsupported=[_build(UnsupportedOp, u) for u in data.get("unsupported", [])],
            warnings=list(data.get("warnings", [])),
            uncalled_modules=list(data.get("uncalled_modules", [])),
            patterns=None
            if data.get("patterns") is None
            else [_build(PatternRow, p) for p in data["patterns"]],
        )

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))

    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer; integer cost columns keep exact values (nullable Int64)."""
        import pandas as pd  # imported on use: it costs a quarter of a second at start-up

        frame = pd.DataFrame([_row_dict(row) for row in self.layers], columns=list(_LAYER_FIELDS))
        for column in COST_FIELDS:
            frame[column] = frame[column].astype("Int64")
        return frame

    def group_by(self, key: str, depth: int | None = None) -> pd.DataFrame:
        """Costs summed per ``module`` (paths cut to ``depth`` levels; layers outside any
        module: '(root)'), per ``op`` kind (the layers' category) or per ``optype``."""
        frame = self.to_dataframe()
        frame["module"] = frame["module"].map(lambda m: module_prefix(m, depth))
        if key == "op":  # the kind of work; "optype" keeps the op names
            key = "category"
        elif key == "optype":
            key = "op"
        summed = ["params", "macs", "flops", "read_bytes", "write_bytes"]
        if self.patterns is not None:
            summed += ["dense_params", "dense_macs", "dense_bytes"]
        grouped = frame.groupby(key, sort=False)
        result = grouped[summed].sum(min_count=1)
        result.insert(0, "layers", grouped.size())
        return result.reset_index()


ROOT_MODULE = "(root)"


def module_prefix(module: str | None, depth: int | None = None) -> str:
    """'features.3.conv.0' at depth 2 -> 'features.3'; no module -> '(root)'."""
    if not isinstance(module, str) or not module:  # None reaches here as pandas' NaN
        return ROOT_MODULE
    if depth is None:
        return module
    return ".".join(module.split(".")[:depth])


_LAYER_FIELDS = tuple(f.name for f in fields(LayerRow))


_REPORT_KEYS = (
    "schema", "model", "totals", "layers", "unsupported", "warnings", "uncalled_modules",
    "patterns",
)  # fmt: skip


def _layer_lines(layers: list[LayerRow]) -> list[str]:
    """Each layer as one line of JSON (orjson writes a dataclass in its field order, ten
    times faster than json; json takes a row with an integer past 64 bits)."""
    import orjson

    dumps, lines = orjson.dumps, []
    for row in layers:
        try:
            lines.append(dumps(row).decode())
        except orjson.JSONEncodeError:
            lines.append(json.dumps(_row_dict(row), separators=(",", ":")))
    return lines


def _row_dict(row: LayerRow) -> dict[str, Any]:
    """A row as a plain dict (``asdict`` would deep-copy every shape list)."""
    return {name: getattr(row, name) for name in _LAYER_FIELDS}


def _build(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
