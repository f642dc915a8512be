"""The calculator: Graph + op registry -> Report.

Formulas give each node's arithmetic; this module adds what every op counts the same
way: parameters (weights in the op's weight slots, each stored tensor counted once, at
its first use), and bytes read (data inputs and weights) and written (outputs) at the
analysed dtype. A weight's bytes (``param_bytes``) are those of its stored form: an int8
tensor dequantized, or an fp16 one cast to fp32, before use is int8 or fp16 on disk.

Control flow (ONNX If/Loop/Scan, whose subgraphs the frontend gives as IR graphs in the
node's attributes) is costed from its subgraphs' nodes, with the same registry:

- If: the branch a constant condition takes; otherwise the most expensive branch (by
  FLOPs), with a warning giving the cheapest and the dearest;
- Loop: the body times a constant trip count (a warning when its condition may end it
  sooner: the cost is then an upper bound); without a constant count it is not costed
  and is listed (``trip count unknown``);
- Scan: the body times the length of the scan axis.

Parameters a subgraph uses count once, whichever branch runs. Nodes in a subgraph that
cannot be costed are listed like any other, and the totals say they are a lower bound.
"""

from __future__ import annotations

from collections import defaultdict

from costcalc.errors import InvalidModelError
from costcalc.ir import Graph, Node, TensorSpec
from costcalc.ops import REGISTRY, OpKind, OpSpec, Registry
from costcalc.ops.categories import SHAPED_CATEGORIES, category
from costcalc.ops.common import FormulaError
from costcalc.report import LayerRow, ModelInfo, Report, Totals, UnsupportedOp
from costcalc.units import FLOATING, analysed_bits, total_flops

CONTROL_FLOW = ("If", "Loop", "Scan")
_KIND_NAMES = {kind: kind.value for kind in OpKind}


class _Accumulator:
    def __init__(self, dtype: str | None, graph: Graph) -> None:
        self.dtype = dtype
        self.graph = graph
        self._stored: dict[str, TensorSpec] | None = None
        self.seen_storage: set[str] = set()
        self.param_bytes = 0
        self._bytes: dict[str, int] = {}
        self._bits = analysed_bits(dtype)
        self.unsupported: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.warnings: list[str] = []
        self._categories: dict[str, str] = {}

    def nbytes(self, tensor: TensorSpec | None) -> int:
        """Bytes of ``tensor`` at the analysed type (sub-byte types packed); 0 if unknown."""
        return self.total_bytes((tensor,))

    def category(self, node: Node, spec: OpSpec | None) -> str:
        """``ops.categories.category``, remembered per op where the shapes do not matter."""
        if node.folded or node.op in SHAPED_CATEGORIES:
            return category(node, spec)
        known = self._categories.get(node.op)
        if known is None:
            known = self._categories[node.op] = category(node, spec)
        return known

    def total_bytes(self, tensors: tuple[TensorSpec | None, ...]) -> int:
        """``nbytes`` summed; each tensor's count is kept (a tensor is read by every
        consumer). The loop is written out: it runs for every tensor of every node."""
        cache, bits, total = self._bytes, self._bits, 0
        for tensor in tensors:
            if tensor is None:
                continue
            known = cache.get(tensor.name)
            if known is None:
                numel = tensor.numel
                if numel is None:
                    continue
                known = cache[tensor.name] = (numel * bits.get(tensor.dtype, 32) + 7) // 8
            total += known
        return total

    def new_params(self, node: Node, spec: OpSpec | None) -> int:
        """Elements of weights first used by ``node`` (each stored tensor counts once)."""
        count = 0
        for slot, tensor in enumerate(node.inputs):
            if tensor is None or tensor.storage is None or tensor.storage in self.seen_storage:
                continue
            if self._is_weight(tensor, slot, spec):
                self.seen_storage.add(tensor.storage)
                count += tensor.numel or 0
                self.param_bytes += self.nbytes(self.stored_form(tensor))
        return count

    def stored_form(self, tensor: TensorSpec) -> TensorSpec:
        """The stored tensor ``tensor`` derives from (itself, unless it is a transform of
        stored weights, such as Transpose(W) or a dequantized int8 tensor)."""
        if tensor.storage == tensor.name:
            return tensor
        if self._stored is None:  # derived weights are rare: the graph is scanned then
            self._stored = _stored_tensors(self.graph)
        return self._stored.get(tensor.storage, tensor)

    @staticmethod
    def _is_weight(tensor: TensorSpec, slot: int, spec: OpSpec | None) -> bool:
        if tensor.trainable is not None:  # the frontend knows (PyTorch parameters)
            return tensor.trainable
        if spec is None:
            return False
        # a constant float operand of an element-wise op is a learned bias or scale,
        # unless it is a scalar (the 6 of ReLU6); integer/bool masks never are
        learned = spec.learned_operands and (tensor.numel or 0) > 1 and tensor.dtype in FLOATING
        return slot in spec.weights or learned


def calculate(graph: Graph, dtype: str | None = None, registry: Registry = REGISTRY) -> Report:
    """Cost every node of ``graph``; ``dtype`` re-types floating tensors for byte counts."""
    acc = _Accumulator(dtype, graph)
    rows = [_row(node, registry, acc) for node in graph.nodes]
    params = macs = flops = read = written = activations = 0
    for r in rows:  # one pass: a graph may have a million rows
        params += r.params or 0
        if r.macs is not None:
            macs += r.macs
            flops += r.flops
        read += r.read_bytes or 0
        write = r.write_bytes or 0
        written += write
        if r.kind in ("compute", "movement"):  # what kernels write: activations
            activations += write
    totals = Totals(
        params=params,
        macs=macs,
        flops=flops,
        param_bytes=acc.param_bytes,
        activation_bytes=sum(acc.nbytes(t) for t in graph.inputs) + activations,
        read_bytes=read,
        write_bytes=written,
        lower_bound=bool(acc.unsupported),
    )
    unsupported = [
        UnsupportedOp(op, len(names), names, reason)
        for (op, reason), names in sorted(acc.unsupported.items())
    ]
    warnings = list(graph.warnings) + acc.warnings
    if unsupported:
        count = sum(u.count for u in unsupported)
        ops = ", ".join(sorted({u.op for u in unsupported}))
        warnings.append(f"{count} node(s) could not be costed ({ops}): totals are a lower bound")
    info = ModelInfo(
        name=graph.name,
        source=graph.source,
        inputs={t.name: list(t.shape) if t.shape is not None else None for t in graph.inputs},
        dtype=dtype,
    )
    return Report(info, totals, rows, unsupported, warnings, list(graph.uncalled_modules))


def _subgraphs(node: Node) -> list[tuple[str, Graph]]:
    found: list[tuple[str, Graph]] = []
    for key, value in node.attrs.items():
        if isinstance(value, Graph):
            found.append((key, value))
        elif isinstance(value, tuple) and value and all(isinstance(v, Graph) for v in value):
            found.extend((f"{key}.{i}", g) for i, g in enumerate(value))
    return found


def _stored_tensors(graph: Graph) -> dict[str, TensorSpec]:
    """Every stored constant as it is stored (the tensor whose name is its storage)."""
    stored: dict[str, TensorSpec] = {}
    graphs = [graph]
    while graphs:
        current = graphs.pop()
        for node in current.nodes:
            for tensor in node.inputs:
                if tensor is not None and tensor.storage == tensor.name:
                    stored.setdefault(tensor.name, tensor)
            graphs.extend(g for _, g in _subgraphs(node))
    return stored


def _only_known_weights(node: Node) -> bool:
    """True when every constant input's role is known (so no weight can be missed)."""
    return all(t.trainable is not None for t in node.inputs if t is not None and t.is_const)


def _shapes(tensors: tuple[TensorSpec | None, ...]) -> list[list[int] | None]:
    return [None if t.shape is None else list(t.shape) for t in tensors if t is not None]


def _row(node: Node, registry: Registry, acc: _Accumulator) -> LayerRow:
    op = node.op
    spec = registry.get(op)
    ins, outs = node.inputs, node.outputs
    in_shapes, out_shapes = _shapes(ins), _shapes(outs)
    kind_of_work = acc.category(node, spec)
    if node.folded or (spec is not None and spec.kind is OpKind.FREE):
        kind = "folded" if node.folded else "free"
        return LayerRow(node.name, op, kind, node.module, in_shapes, out_shapes, 0, 0, 0, 0, 0,
                        category=kind_of_work)  # fmt: skip
    row = LayerRow(node.name, op, "", node.module, in_shapes, out_shapes, 0, 0, 0, 0, 0,
                   category=kind_of_work)  # fmt: skip
    if op in CONTROL_FLOW and _subgraphs(node):
        return _control_row(node, row, registry, acc)
    shapes_known = None not in in_shapes and None not in out_shapes
    if spec is None or not shapes_known:
        reason = "no cost formula" if spec is None else "shape unknown"
        acc.unsupported[(op, reason)].append(node.name)
        row.kind = "unsupported" if spec is None else "unresolved"
        row.macs = row.flops = None
        # parameters the frontend knows are counted; for ONNX an unknown op's roles are not
        known_params = acc.new_params(node, None)
        row.params = known_params or (0 if _only_known_weights(node) else None)
        row.read_bytes = acc.total_bytes(ins) if shapes_known else None
        row.write_bytes = acc.total_bytes(outs) if shapes_known else None
        return row
    try:
        work = spec.formula(node)
    except FormulaError as exc:
        raise InvalidModelError(str(exc)) from exc
    macs = work.macs
    flops = total_flops(macs, work.other_flops)
    written = acc.total_bytes(outs)
    data = ins if spec.data_slots is None else ins[: spec.data_slots]
    # a selection (Slice, Gather) reads of input 0 only what it writes
    read = written + acc.total_bytes(data[1:]) if spec.reads_selection else acc.total_bytes(data)
    moved = read + written
    row.kind = _KIND_NAMES[spec.kind]
    row.params = acc.new_params(node, spec)
    row.macs, row.flops, row.read_bytes, row.write_bytes = macs, flops, read, written
    row.intensity = round(flops / moved, 4) if moved else None
    return row


class _Cost:
    """What a subgraph's nodes add up to; ``complete`` is False when one is not costed."""

    def __init__(self, rows: list[LayerRow]) -> None:
        self.params = sum(r.params or 0 for r in rows)
        self.macs = sum(r.macs or 0 for r in rows)
        self.flops = sum(r.flops or 0 for r in rows)
        self.read_bytes = sum(r.read_bytes or 0 for r in rows)
        self.write_bytes = sum(r.write_bytes or 0 for r in rows)
        self.complete = all(r.macs is not None for r in rows)


def _control_row(node: Node, row: LayerRow, registry: Registry, acc: _Accumulator) -> LayerRow:
    """An If/Loop/Scan costed from its subgraphs (see the module docstring)."""
    costs = {key: _Cost([_row(n, registry, acc) for n in g.nodes]) for key, g in _subgraphs(node)}
    row.kind = "compute"
    row.category = "control flow"
    row.params = sum(c.params for c in costs.values())  # weights of every branch exist
    if node.op == "If":
        taken = node.attr("costcalc.branch")
        if taken in costs:
            chosen, times = costs[taken], 1
        else:
            ranked = sorted(costs.values(), key=lambda c: (c.flops, c.macs))
            chosen, times = ranked[-1], 1
            if len(ranked) > 1:
                acc.warnings.append(
                    f"If node {node.name!r}: costed as its most expensive branch "
                    f"(FLOPs: min {ranked[0].flops:,}, max {ranked[-1].flops:,})"
                )
    else:
        times = node.attr("costcalc.trip_count")
        chosen = costs.get("body")
        if chosen is None or times is None:
            acc.unsupported[(node.op, "trip count unknown")].append(node.name)
            row.kind = "unsupported"
            row.macs = row.flops = row.read_bytes = row.write_bytes = None
            return row
        if node.op == "Loop" and node.attr("costcalc.early_exit", True):
            acc.warnings.append(
                f"Loop node {node.name!r}: costed as {times:,} trips; its condition may end "
                "it sooner (an upper bound)"
            )
    row.macs = chosen.macs * times
    row.flops = chosen.flops * times
    row.read_bytes = chosen.read_bytes * times
    row.write_bytes = chosen.write_bytes * times
    moved = row.read_bytes + row.write_bytes
    row.intensity = round(row.flops / moved, 4) if moved else None
    return row
