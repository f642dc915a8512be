"""Memory: peak activation memory by liveness, and a training-memory estimate.

Inference (always):

- A **buffer** is memory one kernel allocates: each activation (non-constant) output of
  a node. Outputs of free ops (View, Reshape, Flatten, Squeeze, Identity, Dropout...: no
  kernel runs) and of in-place ops (``attrs["inplace_of"]``, e.g. ``relu_``) are
  **aliases** of their input's buffer: they add no bytes, and a buffer lives until the
  last use of any of its aliases. ``Shape``/``Size`` outputs are metadata (no buffer).
  Constants (initializers, parameters, outputs of folded nodes) are weights, not
  activations.
- Graph inputs are held for the whole run; graph outputs from the layer that produces
  them to the end. Any other buffer is freed after its last consumer (a buffer nobody
  reads, such as an unused second output, lives only while its producer runs).
- While a layer runs, its inputs and its outputs are both alive: ``row.live_bytes`` is
  the sum of the buffers alive at that moment (after the layer allocates its outputs,
  before the buffers it was the last to read are freed). ``totals.peak_activation_bytes``
  is the largest, ``totals.peak_layer`` the first layer reaching it.
- Bytes are counted at the analysed dtype (``--dtype`` re-types floating tensors). A
  tensor of unknown shape counts 0 bytes, and a warning says the peak is a lower bound.

Training (``training=True``), ``totals.training_bytes``:

- ``params``: the parameter bytes (``totals.param_bytes``, at the analysed dtype);
- ``gradients``: one gradient per parameter, at the parameters' dtype (= ``params``);
- ``optimizer_state``: ``sgd`` keeps none; ``sgd-momentum`` one momentum buffer; ``adam``
  (and ``adamw``) two moments. Optimizer state is counted in fp32 (4 bytes per parameter
  element) whatever ``--dtype`` says, as mixed-precision training keeps it. An fp32
  master copy of fp16/bf16 weights is not included;
- ``activations_kept``: every activation buffer of the forward (graph inputs included),
  each counted once: an upper bound on what autograd saves for backward without
  recomputation (checkpointing) or freeing. An in-place op's output shares its input's
  buffer, so it adds nothing; free ops (views) add nothing;
- ``total``: the sum of the four.

One linear pass over the nodes (last use of each buffer), then one sweep: fine for
graphs of a million nodes.
"""

from __future__ import annotations

from costcalc.errors import InputSpecError
from costcalc.ir import Graph, TensorSpec
from costcalc.ops import REGISTRY, OpKind
from costcalc.report import Report
from costcalc.units import analysed_bits

# Copies of the parameters (in fp32) each optimizer keeps between steps.
OPTIMIZER_STATE_COPIES: dict[str, int] = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}
OPTIMIZER_STATE_BYTES_PER_ELEMENT = 4  # fp32 moments / momentum

# Free ops whose output describes the input rather than views it.
_METADATA_OPS = frozenset({"Shape", "Size"})


class Liveness:
    """Buffers of a graph and where each one lives (node indices, inclusive)."""

    __slots__ = ("bits", "end", "size", "start", "unknown")

    def __init__(self, override: str | None = None) -> None:
        self.start: list[int] = []
        self.end: list[int] = []
        self.size: list[int] = []
        self.unknown = 0  # activation tensors of unknown shape (counted as 0 bytes)
        self.bits = analysed_bits(override)

    def new(self, tensor: TensorSpec, start: int, end: int) -> int:
        numel = tensor.numel
        if numel is None:
            self.unknown += 1
            nbytes = 0
        else:  # units.tensor_bytes, with the type's bits looked up once
            nbytes = (numel * self.bits.get(tensor.dtype, 32) + 7) // 8
        self.start.append(start)
        self.end.append(end)
        self.size.append(nbytes)
        return len(self.size) - 1

    def live_per_node(self, count: int) -> list[int]:
        """Bytes alive while each of ``count`` nodes runs (a difference array, O(n))."""
        delta = [0] * (count + 2)  # a graph without nodes still holds its inputs at 0
        for start, end, size in zip(self.start, self.end, self.size, strict=True):
            delta[start] += size
            delta[end + 1] -= size
        live, running = [], 0
        for i in range(count):
            running += delta[i]
            live.append(running)
        return live

    @property
    def total_bytes(self) -> int:
        return sum(self.size)


def liveness(graph: Graph, override: str | None = None) -> Liveness:
    """The buffers of ``graph`` with their lifetimes; ``override`` re-types floating ones."""
    last = max(len(graph.nodes) - 1, 0)
    lv = Liveness(override)
    buffer_of: dict[str, int] = {}
    for tensor in graph.inputs:
        if not tensor.is_const and tensor.name not in buffer_of:
            buffer_of[tensor.name] = lv.new(tensor, 0, last)
    end = lv.end
    for i, node in enumerate(graph.nodes):
        if node.folded:  # computes constants only
            continue
        for tensor in node.inputs:
            if tensor is None or tensor.is_const:
                continue
            b = buffer_of.get(tensor.name)
            if b is None:  # read but never produced: treat it as an input, alive from 0
                buffer_of[tensor.name] = lv.new(tensor, 0, i)
            elif end[b] < i:
                end[b] = i
        spec = REGISTRY.get(node.op)
        inplace = node.attrs.get("inplace_of")
        if spec is not None and spec.kind is OpKind.FREE:
            if node.op in _METADATA_OPS:
                continue
            source = node.input(0)
            aliased = node.outputs
        elif inplace is not None:
            source = node.input(inplace)
            aliased = node.outputs[:1]
        else:
            source, aliased = None, ()
        b = None if source is None or source.is_const else buffer_of.get(source.name)
        for tensor in aliased:  # a view of (or a write into) a constant is no activation
            if b is not None:
                buffer_of[tensor.name] = b
        for tensor in node.outputs[len(aliased) :]:
            if not tensor.is_const:
                buffer_of[tensor.name] = lv.new(tensor, i, i)
    for tensor in graph.outputs:
        b = buffer_of.get(tensor.name)
        if b is not None:
            end[b] = last
    return lv


def training_bytes(
    params: int, param_bytes: int, activations_kept: int, optimizer: str
) -> dict[str, int]:
    """The parts of the training-memory estimate (see the module docstring)."""
    copies = _optimizer_copies(optimizer)
    parts = {
        "params": param_bytes,
        "gradients": param_bytes,
        "optimizer_state": copies * params * OPTIMIZER_STATE_BYTES_PER_ELEMENT,
        "activations_kept": activations_kept,
    }
    parts["total"] = sum(parts.values())
    return parts


def _optimizer_copies(optimizer: str) -> int:
    try:
        return OPTIMIZER_STATE_COPIES[optimizer.lower()]
    except (KeyError, AttributeError):
        choices = "|".join(OPTIMIZER_STATE_COPIES)
        raise InputSpecError(f"--optimizer {optimizer!r}: unknown (choose {choices})") from None


def apply_memory(
    report: Report, graph: Graph, *, training: bool = False, optimizer: str = "adam"
) -> None:
    """Fill ``live_bytes`` per row, the peak activation memory and its layer, and with
    ``training`` the training estimate, into ``report`` (rows aligned with graph.nodes)."""
    _optimizer_copies(optimizer)  # a bad name fails even without training
    if len(report.layers) != len(graph.nodes):
        raise ValueError("the report's rows do not match the graph's nodes")
    lv = liveness(graph, report.model.dtype)
    live = lv.live_per_node(len(graph.nodes))
    for row, nbytes in zip(report.layers, live, strict=True):
        row.live_bytes = nbytes
    totals = report.totals
    if live:
        peak = max(live)
        totals.peak_activation_bytes = peak
        totals.peak_layer = report.layers[live.index(peak)].name
    else:  # no nodes: only the inputs
        totals.peak_activation_bytes = lv.total_bytes
        totals.peak_layer = None
    if lv.unknown:
        warning = (
            f"memory: {lv.unknown} activation tensor(s) of unknown shape counted as 0 bytes: "
            "the peak activation memory is a lower bound"
        )
        if warning not in report.warnings:
            report.warnings.append(warning)
    if training:
        totals.training_bytes = training_bytes(
            totals.params, totals.param_bytes, lv.total_bytes, optimizer
        )
