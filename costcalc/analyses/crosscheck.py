"""Cross-check costcalc against fvcore's FlopCountAnalysis and torch's FlopCounterMode.

The three tools count different things, so their numbers are compared after adjusting for
each one's convention:

- **costcalc**: MACs of conv/linear/matmul only; FLOPs = 2 x MACs + every other arithmetic
  op (bias adds, normalisation, activations, pooling, element-wise).
- **fvcore** (``FlopCountAnalysis``): one "flop" per MAC of conv/linear/matmul/einsum, plus
  its own handles for a few other ops (batch/group/layer norm, upsampling, adaptive
  pooling); ops without a handle are skipped and reported as unsupported; ops it deems
  free (relu, views...) are skipped silently.
- **FlopCounterMode** (``torch.utils.flop_counter``): two flops per MAC of convolution,
  mm/addmm/bmm and attention, and nothing else (no bias, no normalisation, no
  element-wise op).

For each row three differences are attributed op by op from the tools' own per-op counts:
``fvcore - MACs``, ``FlopCounterMode - 2 x MACs`` and ``costcalc FLOPs - 2 x MACs``. An
amount that cannot be attributed is reported as ``unexplained: ...``, never hidden.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costcalc.api import analyze
from costcalc.errors import CostcalcError, InputSpecError
from costcalc.report import Report

FVCORE = "fvcore"
FLOP_COUNTER = "FlopCounterMode"
COSTCALC = "costcalc"
ROOT_LABEL = "(root)"

FVCORE_GAP = "fvcore - MACs"
FLOP_COUNTER_GAP = "FlopCounterMode - 2×MACs"
FLOPS_GAP = "costcalc FLOPs - 2×MACs"

CONV, MATMUL = "conv", "matmul"
_MATMUL_NAMES = frozenset(
    {"linear", "addmm", "matmul", "mm", "bmm", "baddbmm", "einsum", "gemm", "scaledmm"}
)
# External (aten / fvcore) op names, normalised, -> the costcalc canonical ops they become.
_ALIASES: dict[str, frozenset[str]] = {
    "conv": frozenset({"Conv", "ConvTranspose"}),
    "convolution": frozenset({"Conv", "ConvTranspose"}),
    "linear": frozenset({"Gemm", "MatMul"}),
    "addmm": frozenset({"Gemm"}),
    "matmul": frozenset({"MatMul", "Gemm"}),
    "mm": frozenset({"MatMul"}),
    "bmm": frozenset({"MatMul"}),
    "baddbmm": frozenset({"MatMul"}),
    "einsum": frozenset({"Einsum", "MatMul"}),
    "batchnorm": frozenset({"BatchNormalization"}),
    "layernorm": frozenset({"LayerNormalization"}),
    "groupnorm": frozenset({"GroupNormalization"}),
    "instancenorm": frozenset({"InstanceNormalization"}),
    "adaptiveavgpool": frozenset({"GlobalAveragePool", "AveragePool", "ReduceMean"}),
    "avgpool": frozenset({"AveragePool"}),
    "adaptivemaxpool": frozenset({"GlobalMaxPool", "MaxPool"}),
    "maxpool": frozenset({"MaxPool"}),
    "maxpoolwithindices": frozenset({"MaxPool"}),
    "upsample": frozenset({"Resize"}),
    "hardtanh": frozenset({"Clip"}),
    "relu6": frozenset({"Clip"}),
    "clamp": frozenset({"Clip"}),
    "clampmin": frozenset({"Clip"}),
    "clampmax": frozenset({"Clip"}),
    "silu": frozenset({"Swish"}),
    "rsub": frozenset({"Sub"}),
    "rsqrt": frozenset({"Sqrt"}),
    "mean": frozenset({"ReduceMean"}),
    "sum": frozenset({"ReduceSum"}),
    "maximum": frozenset({"Max"}),
    "minimum": frozenset({"Min"}),
    "softmax": frozenset({"Softmax"}),
    "logsoftmax": frozenset({"LogSoftmax"}),
}


class CrossCheckError(CostcalcError):
    """The model cannot be cross-checked (not a PyTorch model, or a tool failed on it)."""


@dataclass(slots=True)
class OpTally:
    """costcalc's layers of one op within a row: how many, their MACs and FLOPs."""

    calls: int = 0
    macs: int = 0
    flops: int = 0
    biased: int = 0  # MAC layers whose FLOPs exceed 2 x MACs (a bias add)


@dataclass(slots=True)
class OpCounts:
    """Per-op counts of the three tools within one row (a module, or the whole model)."""

    costcalc: dict[str, OpTally] = field(default_factory=dict)
    costcalc_unsupported: Counter[str] = field(default_factory=Counter)
    fvcore: Counter[str] = field(default_factory=Counter)
    fvcore_unsupported: Counter[str] = field(default_factory=Counter)
    flop_counter: Counter[str] = field(default_factory=Counter)
    flop_counter_skipped: Counter[str] = field(default_factory=Counter)

    def merge(self, other: OpCounts) -> None:
        for op, tally in other.costcalc.items():
            mine = self.costcalc.setdefault(op, OpTally())
            mine.calls += tally.calls
            mine.macs += tally.macs
            mine.flops += tally.flops
            mine.biased += tally.biased
        self.costcalc_unsupported.update(other.costcalc_unsupported)
        self.fvcore.update(other.fvcore)
        self.fvcore_unsupported.update(other.fvcore_unsupported)
        self.flop_counter.update(other.flop_counter)
        self.flop_counter_skipped.update(other.flop_counter_skipped)


@dataclass(slots=True)
class CrossCheckRow:
    """One module (or the totals): the four numbers and why they differ."""

    module: str  # dotted module path truncated to the depth; ROOT_LABEL for the model's own ops
    costcalc_macs: int
    costcalc_flops: int
    fvcore: int
    flop_counter: int
    explanations: list[str]
    ops: OpCounts

    @property
    def agrees(self) -> bool:
        """fvcore = MACs and FlopCounterMode = 2 x MACs: only the conventions differ."""
        return self.fvcore == self.costcalc_macs and self.flop_counter == 2 * self.costcalc_macs

    @property
    def unexplained(self) -> list[str]:
        return [text for text in self.explanations if text.startswith("unexplained")]


@dataclass(frozen=True, slots=True)
class SpecialOp:
    """An op one tool skips or counts differently from costcalc's convention."""

    tool: str
    op: str
    treatment: str
    calls: int | None  # None where the tool reports an amount but not a call count
    amount: int | None  # the flops (or MACs) concerned, where known


@dataclass(slots=True)
class CrossCheck:
    """costcalc, fvcore and FlopCounterMode side by side on one model, per module."""

    model: str
    inputs: list[tuple[int, ...]]
    depth: int
    rows: list[CrossCheckRow]
    totals: CrossCheckRow
    special: list[SpecialOp]
    report: Report

    @property
    def unexplained(self) -> list[str]:
        return [f"{r.module}: {t}" for r in [*self.rows, self.totals] for t in r.unexplained]


# --------------------------------------------------------------------------- the entry point


def crosscheck(model: Any, inputs: Sequence[Any] | None = None, depth: int = 1) -> CrossCheck:
    """Run costcalc, fvcore and FlopCounterMode on ``model`` and explain their differences.

    ``model``: an ``nn.Module`` (left as it was: training flags are restored), ``zoo:NAME``
    or ``package.module:callable`` (built on the CPU). ``inputs``: shapes such as
    ``[(1, 3, 224, 224)]`` or ``["1x3x224x224"]``, one per positional input (default: the
    zoo entry's). ``depth``: rows are module paths truncated to this many levels.
    """
    if depth < 1:
        raise InputSpecError(f"--depth {depth}: must be at least 1")
    module, name, shapes = _load(model, inputs)
    report = analyze(module, inputs=shapes)
    runs = _run_tools(module, shapes, name)
    per_row = _collect(report, runs, depth)
    merged = OpCounts()
    for counts in per_row.values():
        merged.merge(counts)
    totals = _make_row(
        "total", report.totals.macs, report.totals.flops, runs.fvcore_total,
        runs.counter_total, merged,
    )  # fmt: skip
    return CrossCheck(
        name, [tuple(s) for s in shapes], depth, _rows(per_row, module), totals,
        _special(merged, report), report,
    )  # fmt: skip


def _rows(per_row: dict[str, OpCounts], module: Any) -> list[CrossCheckRow]:
    """Rows in the model's module order, the model's own ops last; empty ones dropped."""
    order = {path: index for index, (path, _) in enumerate(module.named_modules())}
    ranked = sorted(per_row.items(), key=lambda kv: _rank(kv[0], order))
    return [_row(path, counts) for path, counts in ranked if _has_content(counts)]


# --------------------------------------------------------------------------- loading the model


def _load(model: Any, inputs: Sequence[Any] | None) -> tuple[Any, str, list[tuple[int, ...]]]:
    """The nn.Module (built on the CPU from a spec), its name and the input shapes."""
    from costcalc import specs

    source = None
    if isinstance(model, str | Path):
        text = str(model)
        if not (isinstance(model, str) and specs.is_torch_spec(text)):
            what = "an ONNX file" if text.lower().endswith(".onnx") else "a file"
            raise CrossCheckError(
                f"{text}: crosscheck needs a PyTorch model (zoo:NAME or "
                f"package.module:callable), not {what}"
            )
        source = specs.resolve(text)
        module, name = _build(source), source.name
    else:
        module, name = model, type(model).__name__
        if not _is_torch_module(module):
            raise CrossCheckError(
                f"cannot cross-check a {type(model).__name__}: crosscheck needs a PyTorch "
                "model (an nn.Module, zoo:NAME or package.module:callable)"
            )
    return module, name, _shapes(inputs, source.default_inputs if source else None)


def _build(source: Any) -> Any:
    """The model on the CPU: fvcore traces it with real tensors."""
    from costcalc import specs

    try:
        return specs.build(source, "cpu")
    except CostcalcError:
        raise
    except Exception as exc:
        raise CrossCheckError(f"{source.name}: construction failed: {_first_line(exc)}") from exc


def _is_torch_module(model: Any) -> bool:
    from torch import nn

    return isinstance(model, nn.Module)


def _shapes(inputs: Sequence[Any] | None, default: Any) -> list[tuple[int, ...]]:
    from costcalc.inputs import normalise_inputs

    if not inputs:
        if default:
            return [tuple(s) for s in default]
        raise InputSpecError("a PyTorch model needs its input shape: give --input 1x3x224x224")
    named = normalise_inputs(list(inputs))
    if any(name is not None for name, _ in named):
        raise InputSpecError("PyTorch inputs are positional: give --input 1x3x224x224 per input")
    return [tuple(shape) for _, shape in named]


# --------------------------------------------------------------------------- running the tools

Cumulative = dict[str, Counter[str]]


@contextmanager
def _inference(module: Any) -> Iterator[None]:
    """eval() and no_grad() for the duration; every module's training flag restored after."""
    import torch

    modes = {m: m.training for m in module.modules()}
    try:
        module.eval()
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for mod, training in modes.items():
            mod.training = training


@dataclass(slots=True)
class _Runs:
    """What fvcore and FlopCounterMode returned, per module (each module's own ops)."""

    fvcore_total: int
    fvcore_ops: Cumulative
    fvcore_skipped: Cumulative  # fvcore's unsupported ops: calls
    counter_total: int
    counter_ops: Cumulative
    counter_skipped: Cumulative  # MAC-like ops FlopCounterMode ran without a formula: calls


def _run_tools(module: Any, shapes: list[tuple[int, ...]], name: str) -> _Runs:
    """Run fvcore and FlopCounterMode on zero inputs of ``shapes``, in inference mode."""
    import torch

    args = tuple(torch.zeros(shape) for shape in shapes)
    with _inference(module):
        try:
            fv_total, fv_ops, fv_skipped = _run_fvcore(module, args)
        except CostcalcError:
            raise
        except Exception as exc:
            raise CrossCheckError(f"fvcore could not trace {name}: {_first_line(exc)}") from exc
        try:
            fc_total, fc_ops, fc_skipped = _run_flop_counter(module, args)
        except Exception as exc:
            raise CrossCheckError(
                f"FlopCounterMode could not run {name}: {_first_line(exc)}"
            ) from exc
    return _Runs(fv_total, fv_ops, fv_skipped, fc_total, fc_ops, fc_skipped)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _whole(value: float) -> int | float:
    """fvcore's counts are floats for some handles (einsum): keep them exact."""
    return int(value) if float(value).is_integer() else value


def _run_fvcore(module: Any, args: tuple) -> tuple[int, Cumulative, Cumulative]:
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError as exc:  # pragma: no cover - fvcore is a dependency
        raise CrossCheckError("crosscheck needs fvcore: pip install fvcore") from exc
    analysis = FlopCountAnalysis(module, args)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    total = _whole(analysis.total())
    counted = {
        path: Counter({op: _whole(n) for op, n in ops.items()})
        for path, ops in analysis.by_module_and_operator().items()
    }
    skipped = {path: Counter(analysis.unsupported_ops(path)) for path in counted}
    return total, _exclusive(counted), _exclusive(skipped)


def _run_flop_counter(module: Any, args: tuple) -> tuple[int, Cumulative, Cumulative]:
    from torch.utils.flop_counter import FlopCounterMode

    mode = FlopCounterMode(display=False)
    # Below FlopCounterMode, the recorder sees the ops it runs after its own decompositions.
    recorder = _SkipRecorder(module, mode.flop_registry)
    with recorder, mode:
        module(*args)
    root = type(module).__name__
    counted: Cumulative = {}
    for key, ops in mode.get_flop_counts().items():
        if key == "Global":  # everything, whichever module ran it: the root's share
            path = ""
        elif key.startswith(f"{root}."):  # keys are "<root class>.<dotted module path>"
            path = key.removeprefix(f"{root}.")
        else:
            continue  # the root module itself (the same as Global)
        counted[path] = Counter({_op_name(op): int(n) for op, n in ops.items()})
    return int(mode.get_total_flops()), _exclusive(counted), recorder.skipped


def _op_name(op: Any) -> str:
    return str(getattr(op, "__name__", op)).removeprefix("aten.")


class _SkipRecorder:
    """Records, per innermost module, MAC-like aten ops that have no FlopCounterMode formula."""

    def __init__(self, module: Any, registry: Any) -> None:
        self.names = {id(m): n for n, m in module.named_modules(remove_duplicate=False)}
        self.registry = registry
        self.stack: list[str] = [""]
        self.skipped: Cumulative = {}
        self.mode = _recording_mode(self.see)
        self.hooks: list[Any] = []

    def see(self, packet: Any) -> None:
        name = _op_name(packet)
        if packet not in self.registry and _family(name) is not None:
            self.skipped.setdefault(self.stack[-1], Counter())[name] += 1

    def __enter__(self) -> _SkipRecorder:
        from torch.nn.modules import module as hooks

        self.hooks = [
            hooks.register_module_forward_pre_hook(self._enter),
            hooks.register_module_forward_hook(self._leave, always_call=True),
        ]
        self.mode.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.mode.__exit__(*exc)
        for hook in self.hooks:
            hook.remove()

    def _enter(self, mod: Any, _inputs: Any) -> None:
        self.stack.append(self.names.get(id(mod), self.stack[-1]))

    def _leave(self, _mod: Any, _inputs: Any, _output: Any) -> None:
        if len(self.stack) > 1:
            self.stack.pop()


def _recording_mode(see: Callable[[Any], None]) -> Any:
    """A dispatch mode that shows each aten op's overload packet to ``see``, then runs it."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class _Recording(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            see(func.overloadpacket)
            return func(*args, **(kwargs or {}))

    return _Recording()


def _exclusive(cumulative: Cumulative) -> Cumulative:
    """Per-module counts that include submodules -> each module's own counts."""
    own = {path: Counter(counts) for path, counts in cumulative.items()}
    own.setdefault("", Counter())
    for path, counts in cumulative.items():
        if path:
            own[_nearest_ancestor(path, own)].subtract(counts)
    return {path: Counter({k: v for k, v in c.items() if v}) for path, c in own.items()}


def _nearest_ancestor(path: str, known: dict[str, Any]) -> str:
    parent = path.rpartition(".")[0]
    while parent and parent not in known:
        parent = parent.rpartition(".")[0]
    return parent


# --------------------------------------------------------------------------- grouping rows


def _truncate(path: str | None, depth: int) -> str:
    return ".".join(path.split(".")[:depth]) if path else ""


def _collect(report: Report, runs: _Runs, depth: int) -> dict[str, OpCounts]:
    """Every tool's per-op counts, grouped by module path truncated to ``depth``."""
    rows: dict[str, OpCounts] = {}

    def row(path: str) -> OpCounts:
        return rows.setdefault(_truncate(path, depth), OpCounts())

    for layer in report.layers:
        counts = row(layer.module or "")
        if layer.kind in ("unsupported", "unresolved"):
            counts.costcalc_unsupported[layer.op] += 1
        elif layer.kind == "compute" or layer.macs or layer.flops:
            tally = counts.costcalc.setdefault(layer.op, OpTally())
            tally.calls += 1
            tally.macs += layer.macs or 0
            tally.flops += layer.flops or 0
            tally.biased += bool(layer.macs and (layer.flops or 0) > 2 * layer.macs)
    for path, ops in runs.fvcore_ops.items():
        row(path).fvcore.update(ops)
    for path, ops in runs.fvcore_skipped.items():
        row(path).fvcore_unsupported.update(ops)
    for path, ops in runs.counter_ops.items():
        row(path).flop_counter.update(ops)
    for path, ops in runs.counter_skipped.items():
        row(path).flop_counter_skipped.update(ops)
    return rows


def _rank(path: str, order: dict[str, int]) -> tuple[int, ...]:
    if not path:
        return (1, 0)  # the model's own ops after its modules
    return (0, order.get(path, len(order)))


def _has_content(counts: OpCounts) -> bool:
    return any(
        (
            counts.costcalc,
            counts.costcalc_unsupported,
            +counts.fvcore,
            counts.fvcore_unsupported,
            +counts.flop_counter,
        )
    )


def _row(path: str, counts: OpCounts) -> CrossCheckRow:
    macs = sum(t.macs for t in counts.costcalc.values())
    flops = sum(t.flops for t in counts.costcalc.values())
    fv, fc = sum(counts.fvcore.values()), sum(counts.flop_counter.values())
    return _make_row(path or ROOT_LABEL, macs, flops, fv, fc, counts)


def _make_row(
    label: str, macs: int, flops: int, fv: int, fc: int, counts: OpCounts
) -> CrossCheckRow:
    explanations = explain(macs, flops, fv, fc, counts)
    return CrossCheckRow(label, macs, flops, fv, fc, explanations, counts)


# --------------------------------------------------------------------------- op names


def _normalise(name: str) -> str:
    """'aten::adaptive_avg_pool2d' -> 'adaptiveavgpool', 'aten.hardswish_' -> 'hardswish'."""
    text = name.lower().removeprefix("aten::").removeprefix("aten.").replace("_", "")
    text = re.sub(r"[123]d", "", text)
    return "upsample" if text.startswith("upsample") else text


def _same_op(external: str, costcalc_op: str) -> bool:
    """Whether an aten/fvcore op name is (one of the ops that become) costcalc's op."""
    key = _normalise(external)
    return costcalc_op in _ALIASES.get(key, ()) or key == _normalise(costcalc_op)


def _family(external: str) -> str | None:
    """conv / matmul for an external op name that multiplies-accumulates, else None."""
    key = _normalise(external)
    if key.startswith("conv"):
        return CONV
    if key in _MATMUL_NAMES or "attention" in key:
        return MATMUL
    return None


def _counter_family(op: str) -> str:
    """FlopCounterMode has formulas only for convolution and matmul-like ops."""
    return CONV if _family(op) == CONV else MATMUL


def _costcalc_family(op: str) -> str:
    return CONV if op.lower().startswith("conv") else MATMUL


def _n(value: int) -> str:
    return f"{value:+,}"


def _calls(counter: Counter[str]) -> str:
    return ", ".join(f"{op} ×{n}" for op, n in sorted(counter.items(), key=lambda kv: -kv[1]))


# --------------------------------------------------------------------------- explanations


class _Ledger:
    """Explanations, each attributing an amount to one of a row's differences."""

    def __init__(self, gaps: dict[str, int]) -> None:
        self.gaps = gaps
        self.attributed: Counter[str] = Counter()
        self.lines: list[str] = []

    def attribute(self, gap: str, amount: int, text: str) -> None:
        self.attributed[gap] += amount
        self.lines.append(text)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def close(self) -> list[str]:
        for gap, actual in self.gaps.items():
            residual = actual - self.attributed[gap]
            if residual:
                self.lines.append(f"unexplained: {gap} {_n(residual)}")
        return self.lines


def explain(macs: int, flops: int, fv: int, fc: int, counts: OpCounts) -> list[str]:
    """Why fvcore, FlopCounterMode and costcalc differ in one row, from per-op counts."""
    ledger = _Ledger(
        {FVCORE_GAP: fv - macs, FLOP_COUNTER_GAP: fc - 2 * macs, FLOPS_GAP: flops - 2 * macs}
    )
    if fv == macs and fc == 2 * macs:
        ledger.note("agree (convention only): fvcore = MACs, FlopCounterMode = 2×MACs")
    _explain_mac_gaps(ledger, counts)
    _explain_fvcore_extras(ledger, counts)
    _explain_costcalc_extras(ledger, counts)
    return ledger.close()


def _costcalc_macs(counts: OpCounts, family: str) -> int:
    return sum(
        t.macs for op, t in counts.costcalc.items() if t.macs and _costcalc_family(op) == family
    )


def _explain_mac_gaps(ledger: _Ledger, counts: OpCounts) -> None:
    """Per conv / matmul family: fvcore vs MACs, FlopCounterMode vs 2 x MACs."""
    for family in (CONV, MATMUL):
        cc = _costcalc_macs(counts, family)
        fv = sum(n for op, n in counts.fvcore.items() if _family(op) == family)
        fc = sum(n for op, n in counts.flop_counter.items() if _counter_family(op) == family)
        fv_skipped = _of_family(counts.fvcore_unsupported, family)
        fc_skipped = _of_family(counts.flop_counter_skipped, family)
        _attribute_mac_gap(ledger, FVCORE_GAP, family, fv - cc, counts, fv_skipped,
                           "fvcore skips {ops} (unsupported)")  # fmt: skip
        _attribute_mac_gap(ledger, FLOP_COUNTER_GAP, family, fc - 2 * cc, counts, fc_skipped,
                           "FlopCounterMode has no formula for {ops}")  # fmt: skip


def _of_family(ops: Counter[str], family: str) -> Counter[str]:
    return Counter({op: n for op, n in ops.items() if _family(op) == family})


def _attribute_mac_gap(
    ledger: _Ledger,
    gap: str,
    family: str,
    diff: int,
    counts: OpCounts,
    skipped: Counter[str],
    skip_text: str,
) -> None:
    """Explain a conv/matmul count difference by an op one tool could not cost, if any.

    Less than costcalc: the tool skipped a MAC-like op of this family. More: costcalc
    could not cost an op in this row. Anything else stays unexplained.
    """
    if diff < 0 and skipped:
        text = skip_text.format(ops=_calls(skipped))
        ledger.attribute(gap, diff, f"{text}, a {family} op: {_n(diff)}")
    elif diff > 0 and counts.costcalc_unsupported:
        ops = _calls(counts.costcalc_unsupported)
        ledger.attribute(
            gap, diff, f"costcalc could not cost {ops}, the other tool counts it: {_n(diff)}"
        )


def _explain_fvcore_extras(ledger: _Ledger, counts: OpCounts) -> None:
    """fvcore's counts for ops that are not MACs (normalisation, pooling, upsampling)."""
    for op, amount in sorted(counts.fvcore.items(), key=lambda kv: -kv[1]):
        if _family(op) is not None or amount == 0:
            continue
        mine = _matching(op, counts)
        ours = sum(counts.costcalc[name].flops for name in mine)
        if not mine:
            compare = "costcalc has no matching op"
        elif ours == amount:
            compare = f"the same as costcalc's {'/'.join(mine)} FLOPs"
        else:
            compare = f"costcalc's {'/'.join(mine)}: {ours:,} FLOPs"
        ledger.attribute(
            FVCORE_GAP, amount, f"fvcore counts {op}, not a MAC: {_n(amount)} ({compare})"
        )


def _matching(external: str, counts: OpCounts) -> list[str]:
    """costcalc's ops in the row that ``external`` became, less those another fvcore op
    names unambiguously (avg_pool2d's AveragePool is not adaptive_avg_pool2d's)."""
    others = [op for op in (*counts.fvcore, *counts.fvcore_unsupported) if op != external]
    claimed = {
        name
        for other in others
        for name in counts.costcalc
        if _same_op(other, name) and len(_ALIASES.get(_normalise(other), ())) <= 1
    }
    candidates = [name for name in counts.costcalc if _same_op(external, name)]
    return [name for name in candidates if name not in claimed] or candidates


def _explain_costcalc_extras(ledger: _Ledger, counts: OpCounts) -> None:
    """costcalc FLOPs beyond 2 x MACs (bias adds, non-MAC ops), and who skips them."""
    bias_ops = {op: t for op, t in counts.costcalc.items() if t.macs and t.flops != 2 * t.macs}
    if bias_ops:
        amount = sum(t.flops - 2 * t.macs for t in bias_ops.values())
        names = ", ".join(f"{op} ×{t.biased}" for op, t in bias_ops.items())
        ledger.attribute(
            FLOPS_GAP,
            amount,
            f"bias adds of {names}: {_n(amount)} in costcalc FLOPs "
            "(fvcore and FlopCounterMode count no bias)",
        )
    others = _non_mac_ops(counts)
    if others:
        items = ", ".join(f"{op} {_n(t.flops)}" for op, t in others.items())
        ledger.attribute(
            FLOPS_GAP,
            sum(t.flops for t in others.values()),
            f"costcalc FLOPs of non-MAC ops (FlopCounterMode counts none of them): {items}",
        )
    if counts.fvcore_unsupported:
        ledger.note(f"fvcore skips (unsupported): {_calls(counts.fvcore_unsupported)}")
    ignored = _fvcore_ignored(counts, others)
    if ignored:
        ledger.note(f"fvcore ignores (neither counts nor reports): {_calls(ignored)}")
    if counts.costcalc_unsupported:
        ledger.note(
            f"costcalc could not cost {_calls(counts.costcalc_unsupported)} "
            "(its totals are a lower bound)"
        )


def _non_mac_ops(counts: OpCounts) -> dict[str, OpTally]:
    """costcalc's ops with FLOPs but no MACs, largest first."""
    found = [(op, t) for op, t in counts.costcalc.items() if not t.macs and t.flops]
    return dict(sorted(found, key=lambda kv: -kv[1].flops))


def _fvcore_ignored(counts: OpCounts, others: dict[str, OpTally]) -> Counter[str]:
    """costcalc's non-MAC ops that fvcore neither counted nor reported as unsupported."""
    seen = [*counts.fvcore, *counts.fvcore_unsupported]
    return Counter(
        {op: t.calls for op, t in others.items() if not any(_same_op(name, op) for name in seen)}
    )


# --------------------------------------------------------------------------- whole-model notes


def _special(counts: OpCounts, report: Report) -> list[SpecialOp]:
    """What each tool skipped or treated differently, over the whole model."""
    result: list[SpecialOp] = []
    others = _non_mac_ops(counts)
    for op, n in counts.fvcore_unsupported.most_common():
        result.append(SpecialOp(FVCORE, op, "unsupported: skipped and reported", n, None))
    for op, n in _fvcore_ignored(counts, others).most_common():
        result.append(
            SpecialOp(FVCORE, op, "ignored: neither counted nor reported", n, others[op].flops)
        )
    for op, amount in counts.fvcore.most_common():
        if _family(op) is None and amount:
            result.append(SpecialOp(FVCORE, op, "counted though not a MAC", None, amount))
    for op, n in counts.flop_counter_skipped.most_common():
        result.append(
            SpecialOp(FLOP_COUNTER, op, "MAC-like op without a formula: skipped", n, None)
        )
    for op, t in others.items():
        result.append(SpecialOp(FLOP_COUNTER, op, "not counted (no formula)", t.calls, t.flops))
    bias = sum(t.flops - 2 * t.macs for t in counts.costcalc.values() if t.macs)
    if bias:
        result.append(SpecialOp(f"{FVCORE}, {FLOP_COUNTER}", "bias add", "not counted", None, bias))
    for item in report.unsupported:
        result.append(SpecialOp(COSTCALC, item.op, f"not costed ({item.reason})", item.count, None))
    return result
