"""PyTorch frontend: an ``nn.Module`` -> ``costcalc.ir.Graph``, traced at the dispatch level.

A ``TorchDispatchMode`` sees every aten op the forward runs, functional calls included
(``F.conv2d``, ``x @ w``, ``x.mean((2, 3))``), and module hooks (global ones, removed
afterwards) attribute each op to the innermost module running. The forward runs on the
meta device: parameters and buffers are swapped for meta copies with
``torch.func.functional_call`` (tied weights stay tied), so no weights are allocated and
no arithmetic is done, and the module itself is left exactly as it was. When meta
execution is impossible (``.item()``, ``nonzero``, data-dependent control flow), the error
names the op and the module; the caller may then run on the CPU with real tensors.
"""

from __future__ import annotations

import inspect
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from costcalc.errors import CostcalcError, InputSpecError, first_line
from costcalc.ir import Graph, Node, TensorSpec
from costcalc.parsers.aten import ADAPTERS, Canonical


class MetaExecutionError(CostcalcError):
    """The forward cannot run without real data (it read a tensor's values)."""


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _spec(
    name: str, tensor: torch.Tensor, storage: str | None = None, trainable=None
) -> TensorSpec:
    return TensorSpec(name, tuple(tensor.shape), dtype_name(tensor.dtype), storage, trainable)


class _Recorder(TorchDispatchMode):
    """Records each aten call as a Node in the canonical op vocabulary."""

    def __init__(self, known: dict[int, TensorSpec]) -> None:
        super().__init__()
        self.known = known
        self.alive: list[torch.Tensor] = []  # keeps ids unique while tracing
        self.nodes: list[Node] = []
        self.scopes: list[str | None] = []
        self.called: set[str] = set()
        self.last_op = ""
        self.failed_in: str | None = None  # the module running when an aten op failed
        self._tensor_ids = itertools.count()
        self._node_names: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        # custom ops keep their own namespace (mylib.op), never taken for an aten op
        self.last_op = f"{func.namespace}.{func.overloadpacket.__name__}"
        try:
            out = func(*args, **kwargs)
        except Exception:
            # noted now: the module hooks unwind the scopes before the error reaches trace()
            if self.failed_in is None and self.scopes:
                self.failed_in = self.scopes[-1] or None
            raise
        self._record(self.last_op, args, kwargs, out)
        return out

    def spec_of(self, tensor: torch.Tensor) -> TensorSpec:
        spec = self.known.get(id(tensor))
        if spec is None:  # a tensor created outside the trace (a plain attribute): constant
            name = f"const_{next(self._tensor_ids)}"
            spec = _spec(name, tensor, storage=name, trainable=False)
            self.known[id(tensor)] = spec
            self.alive.append(tensor)
        return spec

    def _record(self, qualified: str, args: tuple, kwargs: dict, out: Any) -> None:
        namespace, _, aten = qualified.partition(".")
        adapter = ADAPTERS.get(aten) if namespace == "aten" else None
        if adapter is None:
            tensors = [a for a in tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)]
            call = Canonical(qualified, tensors)
        else:
            call = adapter(args, kwargs)
        inputs = tuple(
            self.spec_of(t) if isinstance(t, torch.Tensor) else None for t in call.inputs
        )
        results = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
        results = results[: call.outputs] if call.outputs is not None else results
        # an in-place op (relu_, add_) returns its input: it writes into that tensor
        attrs = dict(call.attrs)
        for slot, arg in enumerate(call.inputs):
            if isinstance(arg, torch.Tensor) and any(r is arg for r in results):
                attrs["inplace_of"] = slot
                break
        present = [t for t in inputs if t is not None]
        folded = bool(present) and all(t.is_const for t in present)
        creates_constant = call.op == "Constant"
        outputs = []
        for tensor in results:
            name = f"t{next(self._tensor_ids)}"
            if folded:
                origin = _single_store(present)
                spec = _spec(name, tensor, origin.storage if origin else name,
                             origin.trainable if origin else False)  # fmt: skip
            elif creates_constant:
                spec = _spec(name, tensor, name, False)
            else:
                spec = _spec(name, tensor)
            self.known[id(tensor)] = spec
            self.alive.append(tensor)
            outputs.append(spec)
        # the root module's path is '': an op at the top level has no module (None),
        # as the ONNX frontend says of an exported '/ReduceMean'
        module = (self.scopes[-1] if self.scopes else None) or None
        base = f"{module or 'model'}/{call.op}"
        self._node_names[base] += 1
        count = self._node_names[base]
        name = base if count == 1 else f"{base}_{count}"
        self.nodes.append(
            Node(name, call.op, inputs, tuple(outputs), attrs, "aten", module, folded)
        )

    def enter(self, name: str | None) -> None:
        if name is not None:
            self.called.add(name)
        self.scopes.append(name if name is not None else (self.scopes[-1] if self.scopes else None))

    def leave(self) -> None:
        if self.scopes:
            self.scopes.pop()


def _single_store(inputs: list[TensorSpec]) -> TensorSpec | None:
    """The one stored tensor a folded op transforms (``weight.t()``), if it is one."""
    stores = {t.storage: t for t in inputs if t.numel != 1}
    return next(iter(stores.values())) if len(stores) == 1 else None


def _meta_state(model: nn.Module, known: dict[int, TensorSpec]) -> dict[str, torch.Tensor]:
    """Meta copies of parameters and buffers, tied ones sharing one copy."""
    state: dict[str, torch.Tensor] = {}
    copies: dict[int, torch.Tensor] = {}
    named = [(n, t, True) for n, t in model.named_parameters(remove_duplicate=False)]
    named += [(n, t, False) for n, t in model.named_buffers(remove_duplicate=False)]
    for name, tensor, trainable in named:
        if id(tensor) not in copies:
            copy = torch.empty_like(tensor, device="meta", requires_grad=False)
            copies[id(tensor)] = copy
            known[id(copy)] = _spec(name, copy, name, trainable and tensor.requires_grad)
        state[name] = copies[id(tensor)]
    return state


def _as_input(item: Sequence[int] | torch.Tensor, device: str) -> torch.Tensor:
    if isinstance(item, torch.Tensor):
        return torch.empty_like(item, device=device) if device == "meta" else item
    return torch.zeros(tuple(item), device=device)


def trace(
    model: nn.Module,
    inputs: Sequence[Sequence[int] | torch.Tensor],
    *,
    name: str | None = None,
    real: bool = False,
) -> Graph:
    """Trace ``model``'s forward on ``inputs`` (shapes or example tensors) into a Graph.

    ``real=False`` (the default) runs on meta copies of the weights; ``real=True`` runs the
    module as it is, with real tensors (the fallback for data-dependent models). The trace
    leaves ``torch.inference_mode`` if the caller is in it: under it, composite ops
    (``linear``, ``conv2d``) reach the dispatcher undecomposed.
    """
    _check_signature(model, len(inputs))
    with torch.inference_mode(False):
        return _trace(model, inputs, name=name, real=real)


def _check_signature(model: nn.Module, count: int) -> None:
    """The forward must accept ``count`` positional tensors and nothing else required."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):  # a builtin or C++ forward: let the call decide
        return
    try:
        signature.bind(*range(count))
    except TypeError as exc:
        plain = [p.replace(annotation=p.empty) for p in signature.parameters.values()]
        signature = signature.replace(parameters=plain, return_annotation=signature.empty)
        raise InputSpecError(
            f"{type(model).__name__}.forward{signature}: {exc} (costcalc passes one tensor "
            "per --input, positionally; wrap the model in a module to set other arguments)"
        ) from None


def _trace(model: nn.Module, inputs, *, name: str | None, real: bool) -> Graph:
    known: dict[int, TensorSpec] = {}
    recorder = _Recorder(known)
    device = "cpu" if real else "meta"
    args = tuple(_as_input(item, device) for item in inputs)
    graph_inputs = []
    for index, tensor in enumerate(args):
        spec = _spec(f"input_{index}", tensor)
        known[id(tensor)] = spec
        graph_inputs.append(spec)
    if real:
        for pname, tensor in model.named_parameters(remove_duplicate=False):
            known.setdefault(id(tensor), _spec(pname, tensor, pname, tensor.requires_grad))
        for bname, tensor in model.named_buffers(remove_duplicate=False):
            known.setdefault(id(tensor), _spec(bname, tensor, bname, False))
        run: Callable[[], Any] = lambda: model(*args)  # noqa: E731
    else:
        state = _meta_state(model, known)
        run = lambda: torch.func.functional_call(model, state, args)  # noqa: E731
    output = _run(model, recorder, run)
    outputs = tuple(recorder.spec_of(t) for t in tree_leaves(output) if isinstance(t, torch.Tensor))
    warnings = []
    unused = _unused_params(model, recorder)
    if unused:
        warnings.append(f"{unused:,} parameter elements are never used by the forward")
    title = name or type(model).__name__
    return Graph(
        title, tuple(recorder.nodes), tuple(graph_inputs), outputs, title, tuple(warnings),
        tuple(_uncalled(model, recorder.called)),
    )  # fmt: skip


def _run(model: nn.Module, recorder: _Recorder, run: Callable[[], Any]) -> Any:
    names = {id(m): n for n, m in model.named_modules(remove_duplicate=False)}
    modes = {m: m.training for m in model.modules()}
    pre = module_hooks.register_module_forward_pre_hook(
        lambda mod, _: recorder.enter(names.get(id(mod)))
    )
    post = module_hooks.register_module_forward_hook(
        lambda mod, _, __: recorder.leave(), always_call=True
    )
    try:
        model.eval()
        with torch.no_grad(), recorder:
            return run()
    except CostcalcError:
        raise
    except Exception as exc:
        where = recorder.failed_in or type(model).__name__
        message = first_line(exc)
        at = f"at {recorder.last_op}" if recorder.last_op else "before its first op"
        raise MetaExecutionError(f"the forward of {where!r} failed {at}: {message}") from exc
    finally:
        pre.remove()
        post.remove()
        for mod, training in modes.items():
            mod.training = training


def _uncalled(model: nn.Module, called: set[str]) -> list[str]:
    containers = (nn.ModuleList, nn.ModuleDict)
    return [
        n
        for n, m in model.named_modules()
        if n and n not in called and not isinstance(m, containers)
    ]


def _unused_params(model: nn.Module, recorder: _Recorder) -> int:
    used = {spec.storage for node in recorder.nodes for spec in node.inputs if spec is not None}
    return sum(p.numel() for n, p in model.named_parameters() if n not in used)
