"""The difference between two Reports: per-layer and total params, MACs, FLOPs and bytes.

Layers are matched in three steps:

1. **by name**: the k-th layer named X in A with the k-th layer named X in B (the op may
   differ; the row then shows both);
2. **by position**: the name matches that keep the execution order on both sides
   (their longest increasing run) are anchors; between two consecutive anchors, the
   layers still unmatched in A and in B are aligned in execution order, pairing only
   layers of the same op (a longest common subsequence of their ops, ``difflib``);
   such a pair is a layer renamed (``matched_by == "position"``);
3. what remains is **removed** (only in A) or **added** (only in B).

A row is ``same`` when op, params, MACs, FLOPs, bytes read and bytes written are all
equal, else ``changed``. Deltas are B - A; a missing side (added/removed) counts as 0,
a cost not computed (``None``) on either side gives ``None``. Percentages are relative
to A (``None`` when A is 0 and B is not). Totals come from the reports' own totals.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, fields
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from costcalc.errors import ModelLoadError
from costcalc.report import SCHEMA, LayerRow, Report

DIFF_SCHEMA = "costcalc.diff/1"

METRICS = ("params", "macs", "flops", "bytes")  # per layer; bytes = read + write
HIDDEN_KINDS = ("free", "folded")
STATUSES = ("same", "changed", "added", "removed")

# Totals compared, in display order: (key, label, always shown).
TOTAL_METRICS = (
    ("params", "params", True),
    ("macs", "MACs", True),
    ("flops", "FLOPs", True),
    ("bytes", "bytes moved (read + written)", True),
    ("read_bytes", "bytes read", True),
    ("write_bytes", "bytes written", True),
    ("param_bytes", "param bytes", True),
    ("activation_bytes", "activation bytes", True),
    ("peak_activation_bytes", "peak activation bytes", True),
    ("dense_params", "dense params", False),
    ("dense_macs", "dense MACs", False),
    ("dense_bytes", "dense bytes", False),
    ("training_bytes", "training memory", False),
    ("est_time_us", "estimated µs", False),
    ("measured_us", "measured µs", False),
)


@dataclass(slots=True)
class LayerDiff:
    """One matched pair of layers, or a layer only in A (removed) or only in B (added)."""

    status: str  # same | changed | added | removed
    matched_by: str | None  # name | position | None (added/removed)
    a_index: int | None  # position in A's layers
    b_index: int | None
    a_name: str | None
    b_name: str | None
    a_op: str | None
    b_op: str | None
    kind: str  # B's kind if the layer is in B, else A's (compute, free, folded...)
    a_params: int | None
    b_params: int | None
    delta_params: int | None
    pct_params: float | None
    a_macs: int | None
    b_macs: int | None
    delta_macs: int | None
    pct_macs: float | None
    a_flops: int | None
    b_flops: int | None
    delta_flops: int | None
    pct_flops: float | None
    a_bytes: int | None
    b_bytes: int | None
    delta_bytes: int | None
    pct_bytes: float | None

    @property
    def name(self) -> str:
        """'x' when both sides agree, 'x → y' for a layer matched by position."""
        if self.a_name is None or self.b_name is None:
            return self.a_name or self.b_name or ""
        return self.a_name if self.a_name == self.b_name else f"{self.a_name} → {self.b_name}"

    @property
    def op(self) -> str:
        if self.a_op is None or self.b_op is None or self.a_op == self.b_op:
            return self.a_op or self.b_op or ""
        return f"{self.a_op} → {self.b_op}"

    @property
    def hidden_kind(self) -> bool:
        """Free or constant-folded on every side it exists on (hidden without --all)."""
        return self.kind in HIDDEN_KINDS


@dataclass(slots=True)
class TotalDiff:
    metric: str
    label: str
    a: int | float | None
    b: int | float | None
    delta: int | float | None
    pct: float | None


@dataclass(slots=True)
class Side:
    """What the diff keeps of each report: where it came from."""

    name: str
    source: str
    inputs: dict[str, list[int] | None]
    dtype: str | None
    lower_bound: bool
    layers: int


@dataclass(slots=True)
class ReportDiff:
    a: Side
    b: Side
    rows: list[LayerDiff]
    totals: list[TotalDiff]
    notes: list[str]

    def counts(self) -> dict[str, int]:
        """How many rows of each status (free and folded layers included)."""
        result = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            result[row.status] += 1
        return result

    @property
    def unchanged(self) -> bool:
        """No layer changed, added or removed, and every total delta is 0 (or unknown)."""
        return all(r.status == "same" for r in self.rows) and all(not t.delta for t in self.totals)

    def total(self, metric: str) -> TotalDiff:
        for entry in self.totals:
            if entry.metric == metric:
                return entry
        raise KeyError(metric)

    def visible_rows(self, show_all: bool = False) -> list[LayerDiff]:
        """The rows a reader wants: changed, added and removed layers that cost something;
        ``show_all``: every row, unchanged, free and folded ones included."""
        if show_all:
            return list(self.rows)
        return [r for r in self.rows if r.status != "same" and not r.hidden_kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": DIFF_SCHEMA,
            "a": asdict(self.a),
            "b": asdict(self.b),
            "summary": {**self.counts(), "unchanged": self.unchanged},
            "totals": {
                t.metric: {"a": t.a, "b": t.b, "delta": t.delta, "pct": t.pct} for t in self.totals
            },
            "layers": [asdict(r) for r in self.rows],
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer pair; integer columns are exact (nullable Int64)."""
        columns = [f.name for f in fields(LayerDiff)]
        import pandas as pd  # on use: a quarter of a second at start-up

        frame = pd.DataFrame([asdict(r) for r in self.rows], columns=columns)
        for column in ("a_index", "b_index"):
            frame[column] = frame[column].astype("Int64")
        for metric in METRICS:
            for side in ("a", "b", "delta"):
                frame[f"{side}_{metric}"] = frame[f"{side}_{metric}"].astype("Int64")
            frame[f"pct_{metric}"] = frame[f"pct_{metric}"].astype("Float64")
        return frame


# --------------------------------------------------------------------------- matching


def match_layers(
    a: list[LayerRow], b: list[LayerRow]
) -> list[tuple[int | None, int | None, str | None]]:
    """(a index, b index, matched_by) for every layer of A and B, in B's execution order,
    removed layers where they stood in A."""
    pairs: dict[int, tuple[int, str]] = {}  # a index -> (b index, how)
    queues: dict[str, deque[int]] = defaultdict(deque)
    for j, row in enumerate(b):
        queues[row.name].append(j)
    for i, row in enumerate(a):
        if queues.get(row.name):
            pairs[i] = (queues[row.name].popleft(), "name")
    anchors = _increasing_run(sorted((i, j) for i, (j, _) in pairs.items()))
    matched_b = {j for j, _ in pairs.values()}
    a_free = [i for i in range(len(a)) if i not in pairs]
    b_free = [j for j in range(len(b)) if j not in matched_b]
    a_cuts = [i for i, _ in anchors]
    b_cuts = [j for _, j in anchors]
    a_gaps: dict[int, list[int]] = defaultdict(list)
    b_gaps: dict[int, list[int]] = defaultdict(list)
    for i in a_free:
        a_gaps[bisect.bisect(a_cuts, i)].append(i)
    for j in b_free:
        b_gaps[bisect.bisect(b_cuts, j)].append(j)
    for gap, a_items in a_gaps.items():
        b_items = b_gaps.get(gap, [])
        if not b_items:
            continue
        matcher = SequenceMatcher(
            None, [a[i].op for i in a_items], [b[j].op for j in b_items], autojunk=False
        )
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                pairs[a_items[block.a + k]] = (b_items[block.b + k], "position")
    return _ordered(len(a), len(b), pairs)


def _increasing_run(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by a) whose b indices increase."""
    tails: list[int] = []  # tails[k]: the b of the best run of length k + 1 so far
    tail_at: list[int] = []  # ... and its position in pairs
    previous = [-1] * len(pairs)
    for position, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(position)
        else:
            tails[k] = j
            tail_at[k] = position
        previous[position] = tail_at[k - 1] if k else -1
    run: list[tuple[int, int]] = []
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        run.append(pairs[position])
        position = previous[position]
    return run[::-1]


def _ordered(
    n_a: int, n_b: int, pairs: dict[int, tuple[int, str]]
) -> list[tuple[int | None, int | None, str | None]]:
    """B's order; each removed layer goes before whatever of B follows it in A (the next
    matched layer, or the added layers in its gap), as a textual diff shows it."""
    by_b = {j: (i, how) for i, (j, how) in pairs.items()}
    next_a = [n_a] * (n_b + 1)  # next_a[j]: A index of the first matched layer at or after j
    for j in range(n_b - 1, -1, -1):
        next_a[j] = by_b[j][0] if j in by_b else next_a[j + 1]
    removed = deque(i for i in range(n_a) if i not in pairs)
    result: list[tuple[int | None, int | None, str | None]] = []
    for j in range(n_b):
        while removed and removed[0] < next_a[j]:
            result.append((removed.popleft(), None, None))
        if j in by_b:
            result.append((by_b[j][0], j, by_b[j][1]))
        else:
            result.append((None, j, None))
    result.extend((i, None, None) for i in removed)
    return result


# --------------------------------------------------------------------------- the diff


def diff_reports(a: Report, b: Report) -> ReportDiff:
    """Per-layer and total differences B - A of two reports (see the module docstring)."""
    rows = [
        _row(
            None if i is None else a.layers[i],
            None if j is None else b.layers[j],
            i,
            j,
            how,
        )
        for i, j, how in match_layers(a.layers, b.layers)
    ]
    return ReportDiff(_side(a), _side(b), rows, _totals(a, b), _notes(a, b))


def _side(report: Report) -> Side:
    model = report.model
    return Side(
        model.name,
        model.source,
        dict(model.inputs),
        model.dtype,
        report.totals.lower_bound,
        len(report.layers),
    )


def _moved(row: LayerRow) -> int | None:
    if row.read_bytes is None or row.write_bytes is None:
        return None
    return row.read_bytes + row.write_bytes


def _value(row: LayerRow | None, metric: str) -> int | None:
    if row is None:
        return None
    return _moved(row) if metric == "bytes" else getattr(row, metric)


def delta_of(a: float | None, b: float | None, a_present: bool = True, b_present: bool = True):
    """B - A with an absent side counted as 0; None when a present side is unknown."""
    if (a_present and a is None) or (b_present and b is None):
        return None
    return (b or 0) - (a or 0)


def pct_of(a: float | None, delta: float | None) -> float | None:
    """delta as a percentage of A; None when it has no meaning (A unknown, or 0 and B not)."""
    if delta is None:
        return None
    base = a or 0
    if base == 0:
        return 0.0 if delta == 0 else None
    return 100.0 * delta / base


def _row(
    a: LayerRow | None, b: LayerRow | None, i: int | None, j: int | None, how: str | None
) -> LayerDiff:
    values: dict[str, Any] = {}
    for metric in METRICS:
        av, bv = _value(a, metric), _value(b, metric)
        delta = delta_of(av, bv, a is not None, b is not None)
        values |= {
            f"a_{metric}": av,
            f"b_{metric}": bv,
            f"delta_{metric}": delta,
            f"pct_{metric}": pct_of(av, delta),
        }
    if a is None:
        status = "added"
    elif b is None:
        status = "removed"
    else:
        keys = ("op", "params", "macs", "flops", "read_bytes", "write_bytes")
        same = all(getattr(a, k) == getattr(b, k) for k in keys)
        status = "same" if same else "changed"
    kind = b.kind if b is not None else a.kind if a is not None else ""
    if a is not None and b is not None and (a.kind in HIDDEN_KINDS) != (b.kind in HIDDEN_KINDS):
        kind = a.kind if b.kind in HIDDEN_KINDS else b.kind  # shown if it costs on one side
    return LayerDiff(
        status=status,
        matched_by=how,
        a_index=i,
        b_index=j,
        a_name=None if a is None else a.name,
        b_name=None if b is None else b.name,
        a_op=None if a is None else a.op,
        b_op=None if b is None else b.op,
        kind=kind,
        **values,
    )


def _total_value(report: Report, metric: str) -> int | float | None:
    t = report.totals
    if metric == "bytes":
        return t.read_bytes + t.write_bytes
    if metric == "training_bytes":
        return None if t.training_bytes is None else t.training_bytes.get("total")
    return getattr(t, metric)


def _totals(a: Report, b: Report) -> list[TotalDiff]:
    result = []
    for metric, label, always in TOTAL_METRICS:
        av, bv = _total_value(a, metric), _total_value(b, metric)
        if not always and av is None and bv is None:
            continue
        delta = delta_of(av, bv)
        result.append(TotalDiff(metric, label, av, bv, delta, pct_of(av, delta)))
    return result


def _notes(a: Report, b: Report) -> list[str]:
    notes = []
    if a.model.inputs != b.model.inputs:
        notes.append(f"the inputs differ: A {_shapes(a)}, B {_shapes(b)}")
    if a.model.dtype != b.model.dtype:
        notes.append(f"the --dtype differs: A {a.model.dtype}, B {b.model.dtype}")
    for label, report in (("A", a), ("B", b)):
        if report.totals.lower_bound:
            ops = ", ".join(u.op for u in report.unsupported)
            notes.append(f"{label}'s totals are a lower bound (not costed: {ops})")
    if (a.patterns is None) != (b.patterns is None):
        notes.append("only one side has the dense baseline: dense totals are n/a")
    return notes


def _shapes(report: Report) -> str:
    return ", ".join(
        f"{name} {'x'.join(map(str, shape)) if shape else '?'}"
        for name, shape in report.model.inputs.items()
    )


# --------------------------------------------------------------------------- loading


def is_report_path(source: object) -> bool:
    """A path to a saved JSON report: a .json name, or a file whose text starts with '{'."""
    if not isinstance(source, str | Path) or str(source).startswith("zoo:"):
        return False
    path = Path(source)
    if path.suffix.lower() == ".json":
        return True
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    return head.startswith(b"{")


def load_report_file(path: str | Path) -> Report:
    """A saved ``costcalc.report/1`` JSON; anything else is one clear ModelLoadError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: cannot read the report ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path}: not valid JSON ({exc})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema == DIFF_SCHEMA:
        raise ModelLoadError(f"{path}: is a costcalc diff, not a report ({SCHEMA})")
    if schema != SCHEMA:
        found = "no schema" if schema is None else f"schema {schema!r}"
        raise ModelLoadError(f"{path}: not a costcalc report ({found}; expected {SCHEMA!r})")
    try:
        return Report.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: malformed costcalc report ({exc!r})") from None


def load_side(source: Any, **analyze_options: Any) -> Report:
    """A Report as is, a saved JSON report, or anything ``costcalc.analyze`` accepts
    (analysed with ``analyze_options``: inputs, dims, dtype, baseline)."""
    if isinstance(source, Report):
        return source
    if is_report_path(source):
        return load_report_file(source)
    from costcalc.api import analyze

    return analyze(source, **analyze_options)


def diff(a: Any, b: Any, **analyze_options: Any) -> ReportDiff:
    """``diff_reports`` of two models, saved reports or Reports, in any combination."""
    return diff_reports(load_side(a, **analyze_options), load_side(b, **analyze_options))
