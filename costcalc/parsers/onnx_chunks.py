"""Shape inference of a large graph in consecutive pieces.

onnx's inference of a whole model grows faster than the graph and holds a C++ copy of
the model and of its result at once. On the million-node graph of ``benchmarks/`` one
inference took 28 s, and the analysis peaked at 6.5 GB; in pieces of 5,000 nodes they
take 9 s altogether, and the peak is 3.4 GB (100,000 nodes: 1.3 s in one piece, 0.7 s
in pieces). A piece is a model of consecutive nodes (the graph is in topological order)
whose inputs are what its nodes read from outside it:

- an initializer, copied (large ones are already stripped of their data);
- a tensor whose small value is known (a computed shape, a Constant's value): an
  initializer holding that value, so onnx's data propagation carries on across the cut;
- a graph input, as declared (with the user's overrides);
- a tensor an earlier piece made: a graph input declared with the shape and type
  inferred for it.

What is declared of tensors the piece makes (custom ops' outputs, shapes learnt in an
earlier round, the element types of graph outputs) is passed on as value_info. Graphs
with subgraphs (If/Loop/Scan) are never cut: a subgraph may read any tensor of the
enclosing scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import onnx

from costcalc.parsers.onnx_check import NodeFields

CHUNK_NODES = 5_000  # read at each call: a larger main graph is inferred in pieces


def chunk_model(
    work: onnx.ModelProto,
    start: int,
    end: int,
    fields: Sequence[NodeFields],
    boundary: Callable[[str], onnx.TensorProto | onnx.ValueInfoProto | None],
    declared: dict[str, onnx.ValueInfoProto],
) -> onnx.ModelProto:
    """The model of nodes ``start:end`` of ``work``. ``boundary(name)`` gives what a
    tensor read from outside the piece becomes: an initializer (TensorProto), a graph
    input (ValueInfoProto), or None when nothing is known of it (onnx leaves what reads
    it unknown, as it would in the whole graph). ``declared``: value_info to keep."""
    piece = onnx.ModelProto()
    copy_fields(piece, work, ("graph",))  # opsets, IR version, model-local functions
    graph = piece.graph
    graph.name = work.graph.name
    graph.node.extend(work.graph.node[start:end])
    piece_fields = fields[start:end]
    # the graph is in topological order: what a node of the piece reads is made by an
    # earlier node of the piece, or comes from outside it
    made: set[str] = set().union(*[f[4] for f in piece_fields])
    read: set[str] = set().union(*[f[3] for f in piece_fields])
    read -= made
    read.discard("")  # an omitted optional input
    for name in sorted(read):  # sorted: the same piece, whatever the hash seed
        source = boundary(name)
        if isinstance(source, onnx.TensorProto):
            graph.initializer.append(source)
        elif source is not None:
            graph.input.append(source)
    if declared:
        graph.value_info.extend(declared[name] for name in made if name in declared)
    return piece


def copy_fields(dst: Any, src: Any, skip: tuple[str, ...]) -> None:
    """Copy every set field of message ``src`` into ``dst`` but those named in ``skip``."""
    for field, value in src.ListFields():
        if field.name in skip:
            continue
        if hasattr(value, "extend"):  # repeated field
            getattr(dst, field.name).extend(value)
        elif hasattr(value, "CopyFrom"):  # message field
            getattr(dst, field.name).CopyFrom(value)
        else:
            setattr(dst, field.name, value)
