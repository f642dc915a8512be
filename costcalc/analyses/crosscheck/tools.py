"""Running fvcore's FlopCountAnalysis and torch's FlopCounterMode: each module's own
counts per op, and the MAC-like ops FlopCounterMode ran without a formula."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from costcalc.analyses.crosscheck.errors import CrossCheckError
from costcalc.analyses.crosscheck.op_names import mac_family, op_name
from costcalc.errors import CostcalcError, first_line

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
class Runs:
    """What fvcore and FlopCounterMode returned, per module (each module's own ops)."""

    fvcore_total: int
    fvcore_ops: Cumulative
    fvcore_skipped: Cumulative  # fvcore's unsupported ops: calls
    counter_total: int
    counter_ops: Cumulative
    counter_skipped: Cumulative  # MAC-like ops FlopCounterMode ran without a formula: calls


def run_tools(module: Any, shapes: list[tuple[int, ...]], name: str) -> Runs:
    """Run fvcore and FlopCounterMode on zero inputs of ``shapes``, in inference mode."""
    import torch

    args = tuple(torch.zeros(shape) for shape in shapes)
    with _inference(module):
        try:
            fv_total, fv_ops, fv_skipped = _run_fvcore(module, args)
        except CostcalcError:
            raise
        except Exception as exc:
            raise CrossCheckError(f"fvcore could not trace {name}: {first_line(exc)}") from exc
        try:
            fc_total, fc_ops, fc_skipped = _run_flop_counter(module, args)
        except Exception as exc:
            raise CrossCheckError(
                f"FlopCounterMode could not run {name}: {first_line(exc)}"
            ) from exc
    return Runs(fv_total, fv_ops, fv_skipped, fc_total, fc_ops, fc_skipped)


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
        counted[path] = Counter({op_name(op): int(n) for op, n in ops.items()})
    return int(mode.get_total_flops()), _exclusive(counted), recorder.skipped


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
        name = op_name(packet)
        if packet not in self.registry and mac_family(name) is not None:
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
