"""Shape and dtype of every tensor in the main graph of an ONNX model.

Method:

1. Work on a copy of the model in which the payload of every large or external initializer
   (and large ``Constant`` tensor) is dropped, dims and data type kept: shape inference never
   reads it, so serialising the model for inference stays cheap. Declared shapes of graph
   outputs and intermediates are dropped too (element types kept): once graph inputs have been
   overridden they are stale, and onnx keeps a stale declared shape over an inferred one.
   Declarations of tensors made by ops without an onnx schema (custom domains) are kept.
   A caller that owns the model (``parse_onnx``) passes ``in_place=True``: the model itself
   is stripped so, saving a copy of a graph that may hold a million nodes; nodes are then
   only rewritten (steps 4 and 5) in a copy made at that moment.
2. Run ``onnx.shape_inference.infer_shapes(data_prop=True)`` on it, in memory or, when the
   copy is at least ``inline_limit`` bytes, through ``infer_shapes_path`` in a temp folder.
3. Walk the nodes once, in order, tracking small tensors whose values are known
   (initializers, ``Constant`` outputs, ``Shape``/``Size`` of a known shape, and every node
   whose inputs are all known and whose output is small): such nodes are evaluated with numpy
   (``_FAST``) or, for other ops, onnx's reference evaluator at the model's opset. Shape
   vectors holding symbols or unknown dims (``Shape`` of ``[N, 8, 6, 6]``) are tracked too,
   as object arrays moved by Gather/Slice/Concat/Unsqueeze/Squeeze and read by Reshape,
   ConstantOfShape and Expand. A node whose output shape is still incomplete is re-inferred
   alone by onnx (``infer_node_outputs``) with the current input shapes and the known input
   values, so a chain of any depth resolves in one walk. (onnx's own data propagation
   evaluates none of Div, Mod, Where, Range, ReduceProd, Split, Sqrt/Floor, Size on shapes.)
4. If shapes are still incomplete and the walk learnt a shape onnx had not, evaluated nodes
   become ``Constant`` nodes and learnt shapes ``value_info`` in the copy, and inference
   reruns, at most ``MAX_ROUNDS`` passes in all. If step 2 leaves nothing unknown, one pass.
5. onnx's inference keeps the last window of a pool in ceil mode even when it starts past
   the input and its leading padding; onnxruntime and PyTorch drop it. Such pools are
   rewritten, in the copy only, as the same pool in floor mode with the end padding that
   gives the runtimes' size, and inference reruns (``_ceil_pool_fixes``).

Symbolic dims keep their ``dim_param`` when the symbol is declared by the model's inputs;
dims onnx could not infer (its generated ``unk__*`` symbols) are ``None``. Subgraphs
(If/Loop/Scan) are not walked: the shapes onnx's last inference pass gave their tensors
are collected (``collect_subgraphs``), for costing each branch or body. Values of graph
inputs are never known, only their shapes (initializers also listed as inputs are
constants, not inputs).

``INLINE_LIMIT`` is read at each call (tests lower it to exercise the path-based
inference a model over protobuf's 2 GiB limit needs).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from costcalc.errors import InvalidModelError, ShapeError
from costcalc.parsers import onnx_chunks
from costcalc.parsers.onnx_check import InitializerDims, NodeFields, node_fields
from costcalc.parsers.onnx_chunks import copy_fields
from costcalc.parsers.shape_eval import (
    FAST as _FAST,
)
from costcalc.parsers.shape_eval import (
    INT_TYPES as _INT_TYPES,
)
from costcalc.parsers.shape_eval import (
    estimate_size as _estimate,
)
from costcalc.parsers.shape_eval import (
    reference_eval as _reference,
)
from costcalc.parsers.shape_eval import (
    size as _size,
)

Dims = tuple[int | str | None, ...]
MAX_VALUE_ELEMENTS = 4096  # larger tensors are never evaluated nor kept in ``values``
MAX_ROUNDS = 4  # global inference passes at most
MAX_POOL_PASSES = 8  # re-inferences for chains of ceil-mode pools (see _ceil_pool_fixes)
INLINE_LIMIT = 2**31 - 1  # protobuf's limit: a larger copy is inferred through a file
_T = onnx.TensorProto
_NO_EVAL = {"If", "Loop", "Scan", "SequenceMap", "RandomNormal", "RandomUniform", "Bernoulli",
            "RandomNormalLike", "RandomUniformLike", "Multinomial", "Dropout"}  # fmt: skip
_SOURCES = {"Constant", "Shape", "Size"}  # evaluable without known input values
_UNSEEN = object()  # an op whose schema has not been looked up yet
_SUBGRAPH_OPS = {"If", "Loop", "Scan", "SequenceMap"}  # standard ops with graph attributes
_GRAPH_ATTRS = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
_PARTIAL_OPS = {"Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Identity", "Cast"}


@dataclass(frozen=True)
class ResolvedShapes:
    shapes: dict[str, Dims | None]  # None dim: unknown; None shape: even the rank is unknown
    dtypes: dict[str, int]  # onnx.TensorProto element type
    # small tensors whose values are known: integer initializers and Constants, and every
    # tensor the walk evaluated or read (shape arithmetic); never graph inputs
    values: dict[str, np.ndarray]
    initializers: InitializerDims  # the main graph's


def resolve_shapes(
    model: onnx.ModelProto,
    *,
    inline_limit: int | None = None,
    in_place: bool = False,
    fields: list[NodeFields] | None = None,
    initializers: InitializerDims | None = None,
) -> ResolvedShapes:
    """Shapes, dtypes and known small values of every tensor of ``model``'s main graph
    (and the shapes onnx infers inside its subgraphs).

    ``model`` is not modified, unless ``in_place``: then, instead of a copy, the model
    itself is stripped for inference (the data of large initializers and Constants, the
    declared shapes of outputs and intermediates, as step 1 says); its nodes, names and
    every initializer's dims and type are kept, and nodes are only ever rewritten in a
    copy. Raises ShapeError when onnx's inference rejects the model. ``inline_limit``
    (default ``INLINE_LIMIT``): a model of at least this many bytes is inferred through a
    temporary file. ``fields``, ``initializers``: the nodes' fields and the initializers'
    dims and types as ``check_model`` read them (else they are read again).
    """
    limit = INLINE_LIMIT if inline_limit is None else inline_limit
    overrides: dict[int, onnx.NodeProto] = {}
    for _ in range(MAX_POOL_PASSES):
        r = _Resolver(model, overrides, in_place, fields, initializers)
        for rounds in range(1, MAX_ROUNDS + 1):
            inferred, learnt = r.infer_and_walk(limit)
            if not learnt or r.complete() or rounds == MAX_ROUNDS:
                break
            r.inject()
        fixes = _ceil_pool_fixes(r.work, r.shapes, r.fields)
        if not fixes:
            break
        overrides.update(fixes)
    for name in [n for n, t in r.lazy.items() if t.data_type in _INT_TYPES]:
        r.value(name)
    shapes, dtypes = r.shapes, r.dtypes
    if r.graph_nodes:
        shapes, dtypes = dict(shapes), dict(dtypes)
        r.collect_subgraphs(inferred.graph, shapes, dtypes, r.graph_nodes)
    return ResolvedShapes(shapes, dtypes, r.values, r.initializers)


_POOLS = ("MaxPool", "AveragePool", "LpPool")


def _ceil_pool_fixes(
    work: onnx.ModelProto, shapes: dict[str, Dims | None], fields: list[NodeFields] | None
) -> dict[int, onnx.NodeProto]:
    """Pools in ceil mode whose inferred output keeps a last window starting past the
    input and its leading padding, which runtimes (onnxruntime, PyTorch) drop and onnx's
    inference keeps: each becomes, for inference only, the same pool in floor mode with
    the end padding that gives the runtime's size. Only pools upstream of no other fix
    (their input shapes are final); the caller re-infers until none is left. ``fields``:
    the nodes' fields, read from ``work`` when None."""
    fixes: dict[int, onnx.NodeProto] = {}
    stale: set[str] = set()  # downstream of a fix made in this pass
    nodes = work.graph.node
    if fields is None:
        fields = [node_fields(n) for n in nodes]
    for index, (_, op, domain, inputs, outputs) in enumerate(fields):
        if stale and any(i in stale for i in inputs):
            stale.update(outputs)
            continue
        if op not in _POOLS or domain not in ("", "ai.onnx"):
            continue
        node = nodes[index]
        fixed = _floor_mode_twin(node, shapes.get(node.input[0]), shapes.get(node.output[0]))
        if fixed is not None:
            fixes[index] = fixed
            stale.update(node.output)
    return fixes


def _floor_mode_twin(node: onnx.NodeProto, x: Dims | None, y: Dims | None) -> onnx.NodeProto | None:
    at = _attrs(node)
    if not at.get("ceil_mode") or at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return None
    kernel = list(at.get("kernel_shape") or [])
    rank = len(kernel)
    if not rank or x is None or y is None or len(x) != rank + 2 or len(y) != rank + 2:
        return None
    if not all(_is_int(d) for d in (*x[2:], *y[2:])):
        return None
    strides = list(at.get("strides") or [1] * rank)
    dilations = list(at.get("dilations") or [1] * rank)
    pads = list(at.get("pads") or [0] * 2 * rank)
    if len(strides) != rank or len(dilations) != rank or len(pads) != 2 * rank:
        return None
    changed = False
    for i in range(rank):
        size, stride, begin = int(x[2 + i]), strides[i], pads[i]
        if stride < 1:
            return None
        span = size + begin + pads[rank + i] - dilations[i] * (kernel[i] - 1) - 1
        if span < 0:
            return None
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + begin:  # the last window starts past the input
            out -= 1
        changed |= out != y[2 + i]
        pads[rank + i] += max(0, (out - 1) * stride - span)
    if not changed:
        return None
    twin = onnx.NodeProto()
    twin.CopyFrom(node)
    del twin.attribute[:]
    twin.attribute.extend(a for a in node.attribute if a.name not in ("ceil_mode", "pads"))
    twin.attribute.append(helper.make_attribute("pads", pads))
    return twin


def _infer(model: onnx.ModelProto, inline_limit: int, small: bool = False) -> onnx.ModelProto:
    """onnx's inference of ``model``: in memory, or through files when it is at least
    ``inline_limit`` bytes (``small``: known to be below it, not measured)."""
    try:
        if small or model.ByteSize() < inline_limit:
            return shape_inference.infer_shapes(model, data_prop=True)
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "in.onnx"), os.path.join(tmp, "out.onnx")
            onnx.save_model(model, src)
            shape_inference.infer_shapes_path(src, dst, data_prop=True)
            return onnx.load_model(dst, load_external_data=False)
    except (shape_inference.InferenceError, onnx.checker.ValidationError) as exc:
        raise ShapeError(f"ONNX shape inference failed: {exc}") from exc
    except (RuntimeError, ValueError) as exc:  # a C++ exception from a malformed model
        raise ShapeError(f"ONNX shape inference failed: {type(exc).__name__}: {exc}") from exc


def to_array(tensor: onnx.TensorProto) -> np.ndarray:
    """The tensor's values; InvalidModelError when its data does not fit its dims."""
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidModelError(
            f"tensor {tensor.name!r}: its stored data does not fit its dims {list(tensor.dims)} "
            f"and type {tensor.data_type} (a corrupt model)"
        ) from exc


def _is_int(d: Any) -> bool:
    return isinstance(d, int | np.integer)


def _incomplete(dims: Dims | None) -> bool:
    return dims is None or None in dims


def _is_large(t: onnx.TensorProto) -> bool:
    return t.data_location == _T.EXTERNAL or prod(t.dims) > MAX_VALUE_ELEMENTS


def _has_data(t: onnx.TensorProto) -> bool:
    """Small, stored inline, and not stripped."""
    return not _is_large(t) and _holds_data(t)


def _holds_data(t: onnx.TensorProto) -> bool:
    """``t`` (stored inline) carries its values: not stripped."""
    if t.HasField("raw_data") or not prod(t.dims):
        return True
    fields = (t.int64_data, t.int32_data, t.float_data, t.double_data, t.uint64_data)
    return any(fields) or bool(t.string_data)


def _merge(old: Dims | None, new: Dims | None) -> Dims | None:
    """Per dim, the better known of the two: int, then symbol, then None."""
    if old is None or new is None:
        return old if new is None else new
    if len(old) != len(new):
        return new if new.count(None) < old.count(None) else old
    pairs = zip(old, new, strict=True)
    return tuple(o if _is_int(o) or (n is None and o is not None) else n for o, n in pairs)


def _broadcast(a: Dims, b: Dims) -> Dims:
    """Numpy broadcasting of dims that may hold symbols or None."""
    a, b = (1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b
    return tuple(y if x == 1 else x if y == 1 or x == y else x if _is_int(x) else y if _is_int(y)
                 else None for x, y in zip(a, b, strict=True))  # fmt: skip


def copy_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """A deep copy of ``model`` (which is never changed)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy


def _strip(t: onnx.TensorProto) -> None:
    """Drop ``t``'s data in place; its name, dims and type stay."""
    for field, _ in t.ListFields():
        if field.name not in ("name", "dims", "data_type"):
            t.ClearField(field.name)


def _stripped(t: onnx.TensorProto) -> onnx.TensorProto:
    out = onnx.TensorProto(name=t.name, data_type=t.data_type)
    out.dims.extend(t.dims)
    return out


class _Resolver:
    def __init__(
        self,
        model: onnx.ModelProto,
        overrides: dict[int, onnx.NodeProto] | None = None,
        in_place: bool = False,
        fields: list[NodeFields] | None = None,
        initializers: InitializerDims | None = None,
    ) -> None:
        self.opsets = {(o.domain or ""): o.version for o in model.opset_import}
        self.opsets["ai.onnx"] = self.opsets.get("", 1)
        self.shapes: dict[str, Dims | None] = {}
        self.dtypes: dict[str, int] = {}
        self.values: dict[str, np.ndarray] = {}
        self.lazy: dict[str, onnx.TensorProto] = {}  # small initializers not yet converted
        self.partial: dict[str, np.ndarray] = {}  # shape vectors with symbolic/unknown dims
        self.non_tensor: set[str] = set()
        self.improved: set[str] = set()  # shapes the last walk learnt
        self.schemas: dict[tuple[str, str], Any] = {}
        # the nodes' fields (name, op, domain, inputs, outputs), while the nodes are as read
        self.fields = fields
        # in place: the caller's model is the work copy until a node must be rewritten
        self.shared = in_place and not overrides
        if self.shared:
            self.work = work = model
        else:
            self.work = work = onnx.ModelProto()
            copy_fields(work, model, ("graph",))
            copy_fields(work.graph, model.graph, ("initializer", "value_info", "output"))
            for index, node in (overrides or {}).items():  # rewritten for inference only
                work.graph.node[index].CopyFrom(node)
        custom: set[str] = set()
        self.graph_nodes: list[int] = []  # indices of the nodes that hold subgraphs
        shapes, nodes = self.shapes, work.graph.node
        if fields is None:
            fields = [node_fields(n) for n in nodes]
        schemas = self.schemas
        for index, (_, op, domain, _, outs) in enumerate(fields):
            if op == "Constant":
                for a in nodes[index].attribute:
                    if a.name == "value" and _is_large(a.t):
                        a.t.CopyFrom(_stripped(a.t))
            else:
                schema = schemas.get((op, domain), _UNSEEN)
                if schema is _UNSEEN:
                    schema = self._schema_for(op, domain)
                if schema is None or op in _SUBGRAPH_OPS:
                    if schema is None:
                        custom.update(outs)
                    if any(a.type in _GRAPH_ATTRS for a in nodes[index].attribute):
                        self.graph_nodes.append(index)
            shapes.update(dict.fromkeys(outs))  # each output: shape not known yet
        shapes.pop("", None)
        declared = [vi for vi in model.graph.value_info if vi.name in custom]
        if self.shared:
            declared = [onnx.ValueInfoProto.FromString(vi.SerializeToString()) for vi in declared]
            del work.graph.value_info[:]
        work.graph.value_info.extend(declared)
        for vi in model.graph.output:
            keep = vi.name in custom or not vi.type.HasField("tensor_type")
            if self.shared:
                if not keep:
                    vi.type.tensor_type.ClearField("shape")
                continue
            elem = vi.type.tensor_type.elem_type
            work.graph.output.append(
                vi if keep else helper.make_tensor_value_info(vi.name, elem, None)
            )
        # initializers also listed as graph inputs are constants (weights), as in the parser
        weights = self._initializers(model.graph.initializer, initializers)
        self.inputs = {i.name for i in work.graph.input} - weights
        self.symbols = {d.dim_param for vi in (*work.graph.input, *work.graph.value_info)
                        for d in vi.type.tensor_type.shape.dim if d.dim_param}  # fmt: skip

    def _initializers(self, initializers: Any, known: InitializerDims | None) -> set[str]:
        """Record each initializer's shape and type, keep the small ones' data for
        evaluation (``lazy``), and strip the large ones (in place, or in the work copy).
        ``known``: the initializers' dims and types, as the check read them in this
        order (else, or when names repeat, they are read here)."""
        if known is not None and len(known) == len(initializers):
            entries: Any = known.items()
        else:
            entries = [(t.name, (tuple(t.dims[:]), t.data_type)) for t in initializers]
            known = dict(entries)
        self.shapes.update({name: dims for name, (dims, _) in known.items()})
        self.dtypes.update({name: data_type for name, (_, data_type) in known.items()})
        self.initializers = known
        lazy, shared, work = self.lazy, self.shared, self.work.graph.initializer
        for t, (name, (dims, _)) in zip(initializers, entries, strict=True):
            if prod(dims) > MAX_VALUE_ELEMENTS or t.data_location == _T.EXTERNAL:
                if shared:
                    _strip(t)
                else:
                    work.append(_stripped(t))
                    continue
            elif _holds_data(t):
                lazy[name] = t
            if not shared:
                work.append(t)
        return set(known)

    def _schema(self, node: onnx.NodeProto) -> Any:
        return self._schema_for(node.op_type, node.domain)

    def _schema_for(self, op_type: str, domain: str) -> Any:
        key = (op_type, domain)
        if key not in self.schemas:
            name = "" if domain == "ai.onnx" else domain
            try:
                version = self.opsets.get(name, 1)
                self.schemas[key] = onnx.defs.get_schema(op_type, version, name)
            except onnx.defs.SchemaError:
                self.schemas[key] = None
        return self.schemas[key]

    def _update(self, name: str, dims: Dims | None, dtype: int = 0) -> None:
        if dtype and name not in self.dtypes:
            self.dtypes[name] = dtype
        if dims is not None:  # a dim computed from a non-integer value is no dim: unknown
            dims = tuple(int(d) if _is_int(d) and d >= 0 else d if isinstance(d, str) else None
                         for d in dims)  # fmt: skip
        old = self.shapes.get(name)
        if old != dims and (new := _merge(old, dims)) != old:
            self.shapes[name] = new
            self.improved.add(name)

    def _dims(self, tt: onnx.TypeProto.Tensor) -> Dims | None:
        if not tt.HasField("shape"):
            return None
        return tuple(d.dim_value if d.HasField("dim_value") else d.dim_param
                     if d.dim_param in self.symbols else None for d in tt.shape.dim)  # fmt: skip

    def collect(self, graph: onnx.GraphProto) -> None:
        # most tensors share a handful of types: each distinct one is decoded once
        cache: dict[bytes, tuple[bool | None, Dims | None, int]] = {}
        shapes, dtypes, improved = self.shapes, self.dtypes, self.improved
        for vi in (*graph.input, *graph.value_info, *graph.output):
            tp = vi.type
            key = tp.SerializeToString()
            entry = cache.get(key)
            if entry is None:
                entry = cache[key] = self._decode(tp)
            is_tensor, dims, elem = entry
            name = vi.name
            if not is_tensor:
                if is_tensor is not None:
                    self.non_tensor.add(name)
                continue
            if elem and name not in dtypes:
                dtypes[name] = elem
            old = shapes.get(name)
            if old is None:
                if dims is not None:
                    shapes[name] = dims
                    improved.add(name)
            elif old != dims:
                self._update(name, dims)

    def _decode(self, tp: onnx.TypeProto) -> tuple[bool | None, Dims | None, int]:
        """(True, dims, element type) for a tensor type; (False, ...) for another type;
        (None, ...) for an empty one."""
        if not tp.HasField("tensor_type"):
            return (False if tp.ListFields() else None), None, 0
        dims = self._dims(tp.tensor_type)
        if dims is not None:  # as _update keeps them: a negative dim is unknown
            dims = tuple(d if isinstance(d, str) or (d is not None and d >= 0) else None
                         for d in dims)  # fmt: skip
        return True, dims, tp.tensor_type.elem_type

    def collect_subgraphs(
        self,
        graph: onnx.GraphProto,
        shapes: dict[str, Dims | None],
        dtypes: dict[str, int],
        indices: list[int] | None = None,
    ) -> None:
        """Shapes onnx inferred inside the subgraphs of ``graph``'s nodes (those at
        ``indices``, or all), recursively (names the main graph defines keep the main
        graph's shapes)."""
        nodes = graph.node if indices is None else [graph.node[i] for i in indices]
        for node in nodes:
            for attr in node.attribute:
                subs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs)
                for sub in subs:
                    for t in sub.initializer:
                        shapes.setdefault(t.name, tuple(t.dims[:]))
                        dtypes.setdefault(t.name, t.data_type)
                        if t.data_type in _INT_TYPES and _has_data(t):  # a trip count...
                            self.values.setdefault(t.name, to_array(t))
                    for vi in (*sub.input, *sub.value_info, *sub.output):
                        if vi.type.HasField("tensor_type") and vi.name not in self.shapes:
                            tt = vi.type.tensor_type
                            shapes[vi.name] = _merge(shapes.get(vi.name), self._dims(tt))
                            if tt.elem_type:
                                dtypes.setdefault(vi.name, tt.elem_type)
                    for inner in sub.node:  # Constants of the subgraph: small known values
                        if inner.op_type == "Constant" and inner.output[0] not in self.values:
                            self._constant(inner)
                    self.collect_subgraphs(sub, shapes, dtypes)

    def complete(self) -> bool:
        return not any(_incomplete(s) for n, s in self.shapes.items() if n not in self.non_tensor)

    def known(self, name: str) -> bool:
        return not name or name in self.values or name in self.lazy

    def value(self, name: str) -> np.ndarray | None:
        if name in self.lazy:
            self.values[name] = to_array(self.lazy.pop(name))
        return self.values.get(name)

    def infer_and_walk(self, limit: int) -> tuple[onnx.ModelProto | None, bool]:
        """onnx's inference of the work model, then a walk over its nodes (``walk``);
        in pieces of ``onnx_chunks.CHUNK_NODES`` nodes, each inferred then walked before
        the next is cut, when the graph is larger (the inferred model is None then).
        True as well when a walk learnt a shape onnx did not know."""
        nodes = self.work.graph.node
        size = onnx_chunks.CHUNK_NODES
        if len(nodes) <= size or self.graph_nodes:
            inferred = _infer(self.work, limit)
            self.collect(inferred.graph)
            return inferred, self.walk()
        fields = self.fields or [node_fields(n) for n in nodes]
        graph = self.work.graph
        initializers = {t.name: t for t in graph.initializer}
        inputs = {v.name: v for v in graph.input}
        # declarations the whole graph would give: value_info, and the outputs' types
        declared = {v.name: v for v in (*graph.output, *graph.value_info)}

        def boundary(name: str) -> onnx.TensorProto | onnx.ValueInfoProto | None:
            if name in initializers:
                return initializers[name]
            if name in self.values:  # known: onnx's data propagation goes on with it
                return numpy_helper.from_array(self.values[name], name)
            if name in inputs:
                return inputs[name]
            dtype = self.dtypes.get(name)
            return (
                helper.make_tensor_value_info(name, dtype, self.shapes.get(name)) if dtype else None
            )

        learnt: set[str] = set()
        for start in range(0, len(nodes), size):
            end = min(start + size, len(nodes))
            piece = onnx_chunks.chunk_model(self.work, start, end, fields, boundary, declared)
            # a piece holds no large data (those initializers are stripped): far below 2 GB
            self.collect(_infer(piece, limit, small=limit >= INLINE_LIMIT).graph)
            del piece
            self.walk(start, end, complete=self._complete_outputs(fields, start, end))
            learnt |= self.improved
        self.improved = learnt
        return None, any(name not in self.values for name in learnt)

    def _complete_outputs(self, fields: list[NodeFields], start: int, end: int) -> bool:
        """Whether the shapes of every output of nodes ``start:end`` are known."""
        shapes, non_tensor = self.shapes, self.non_tensor
        for *_, outputs in fields[start:end]:
            for name in outputs:
                if name and name not in non_tensor and _incomplete(shapes.get(name)):
                    return False
        return True

    def walk(self, start: int = 0, end: int | None = None, complete: bool | None = None) -> bool:
        """One pass over the nodes in order (those in ``start:end``); True when it learnt a
        shape onnx did not know. ``complete``: whether every shape is known (by default,
        computed: when it is, only nodes that may compute a value are visited)."""
        self.improved.clear()
        if complete is None:
            complete = self.complete()
        values, lazy, partial, shapes = self.values, self.lazy, self.partial, self.shapes
        nodes = self.work.graph.node
        # the nodes' fields as the check read them, while the nodes are the caller's own
        fields = self.fields
        end = len(nodes) if end is None else end
        for index in range(start, end):
            if fields is not None:
                _, op, domain, ins, outs = fields[index]
            else:
                node = nodes[index]
                op, domain, ins, outs = node.op_type, node.domain, node.input, node.output
            first = ins[0] if ins else ""  # cheap test first: most nodes read activations
            evaluable = op in _SOURCES or first in values or first in lazy or first in partial
            if (complete and not evaluable) or op in _NO_EVAL:
                continue
            if domain not in ("", "ai.onnx") or all(o in values for o in outs if o):
                continue
            node = nodes[index]
            if not complete and any(_incomplete(shapes.get(o)) for o in outs if o):
                self._infer_node(node)
            if evaluable:
                self._evaluate(node)
        return any(name not in values for name in self.improved)

    def _infer_node(self, node: onnx.NodeProto) -> None:
        op, ins, out = node.op_type, node.input, node.output[0]
        dtype = self.dtypes.get(ins[0], 0) if ins else 0
        if op in ("Reshape", "ConstantOfShape", "Expand") and ins[-1] in self.partial:
            target = tuple(int(d) if _is_int(d) else d for d in self.partial[ins[-1]])
            src = self.shapes.get(ins[0])
            if op == "Reshape":
                self._update(out, self._reshape(node, src, target), dtype)
            elif op == "Expand" and src is not None:
                self._update(out, _broadcast(src, target), dtype)
            elif op == "ConstantOfShape":
                self._update(out, target)
            return
        if (schema := self._schema(node)) is None or not all(self.dtypes.get(i) for i in ins if i):
            return
        types = {
            i: helper.make_tensor_type_proto(self.dtypes[i], self.shapes.get(i)) for i in ins if i
        }
        data = {i: self.lazy[i] if i in self.lazy else numpy_helper.from_array(self.values[i], i)
                for i in ins if i in self.lazy or i in self.values}  # fmt: skip
        opsets = [helper.make_opsetid(node.domain, self.opsets.get(node.domain, 1))]
        try:
            inferred = shape_inference.infer_node_outputs(
                schema, node, types, data, opset_imports=opsets, ir_version=self.work.ir_version
            )
        except Exception:  # onnx rejects this node with these inputs: leave it unknown
            return
        for name, tp in inferred.items():
            if tp.HasField("tensor_type"):
                self._update(name, self._dims(tp.tensor_type), tp.tensor_type.elem_type)

    @staticmethod
    def _reshape(node: onnx.NodeProto, src: Dims | None, target: Dims) -> Dims:
        """Reshape to a target holding symbols (``[N, -1]``), which onnx leaves unknown."""
        allowzero = any(a.name == "allowzero" and a.i for a in node.attribute)
        dims = [src[i] if d == 0 and not allowzero and src is not None and i < len(src) else d
                for i, d in enumerate(target)]  # fmt: skip
        if -1 in dims:  # what the other dims leave of the source, equal symbols cancelling
            k = dims.index(-1)
            num, den = list(src or [None]), [d for j, d in enumerate(dims) if j != k]
            for d in [d for d in den if isinstance(d, str) and d in num]:
                num.remove(d)
                den.remove(d)
            whole = all(isinstance(d, int) for d in num + den) and _size(den) > 0
            dims[k] = _size(num) // _size(den) if whole else None
        return tuple(dims)

    def _evaluate(self, node: onnx.NodeProto) -> None:
        op, outs, ins = node.op_type, [o for o in node.output if o], list(node.input)
        if op == "Constant":
            return self._constant(node)
        if op in ("Shape", "Size"):
            if (dims := self.shapes.get(ins[0])) is None:
                return None
            if op == "Shape":
                at = _attrs(node)
                picked = dims[at.get("start", 0) : at.get("end")]
                return self._store(outs, [np.array(picked, dtype=object)])
            if all(isinstance(d, int) for d in dims):
                self._store(outs, [np.array(_size(dims), dtype=np.int64)])
            return None
        partial = any(i in self.partial for i in ins)
        if (partial and op not in _PARTIAL_OPS) or not all(
            self.known(i) or i in self.partial for i in ins
        ):
            return None
        args = [self.partial[i] if i in self.partial else self.value(i) if i else None for i in ins]
        if all(a is None or a.size <= MAX_VALUE_ELEMENTS for a in args):
            results = self._run(node, args, partial)
            if results is not None and len(results) == len(outs):
                self._store(outs, results)
        return None

    def _run(self, node: onnx.NodeProto, args: list[Any], partial: bool) -> list[np.ndarray] | None:
        try:
            estimate = _estimate(node.op_type, args, self.shapes.get(node.output[0]))
            if estimate is None or estimate > MAX_VALUE_ELEMENTS:
                return None
            # a division by zero is not evaluable; a cast of odd types (complex) is no warning
            with np.errstate(all="raise"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fast = _FAST.get(node.op_type)
                result = fast(_attrs(node), args) if fast else NotImplemented
                if result is not NotImplemented:
                    return [np.asarray(result, dtype=object if partial else None)]
                if partial:
                    return None
                return [np.asarray(r) for r in _reference(node, args, self.opsets[node.domain])]
        except Exception:  # not evaluable here (bad inputs, unsupported op): leave it unknown
            return None

    def _constant(self, node: onnx.NodeProto) -> None:
        at = _attrs(node)
        if isinstance(t := at.get("value"), onnx.TensorProto):
            value = to_array(t) if _has_data(t) else None
        elif "value_int" in at or "value_ints" in at:
            value = np.array(at.get("value_int", at.get("value_ints")), dtype=np.int64)
        elif "value_float" in at or "value_floats" in at:
            value = np.array(at.get("value_float", at.get("value_floats")), dtype=np.float32)
        else:
            value = None
        if value is not None:
            self._store(list(node.output), [value])

    def _store(self, outs: list[str], results: list[np.ndarray]) -> None:
        """Record results; object arrays hold dims of a partly known shape (int, symbol, None)."""
        if any(r.size > MAX_VALUE_ELEMENTS for r in results):
            return
        for name, value in zip(outs, results, strict=True):
            if value.dtype == object and all(_is_int(d) for d in value.flat):
                value = value.astype(np.int64)
            if value.dtype == object:
                self.partial[name] = value
                self._update(name, tuple(value.shape), _T.INT64)
                continue
            self.partial.pop(name, None)
            self.values[name] = value
            self.dtypes.setdefault(name, helper.np_dtype_to_tensor_dtype(value.dtype))
            if self.shapes.get(name) != value.shape:  # the value's shape is exact
                self.shapes[name] = tuple(value.shape)
                self.improved.add(name)

    def inject(self) -> None:
        """Evaluated nodes become Constants and learnt shapes value_info, for the next pass."""
        if self.shared:  # the caller's nodes are left as they are: rewrite a copy
            self.work = copy_model(self.work)
            self.shared = False
        self.fields = None  # the nodes change: their fields are read from them from now on
        graph, nodes = self.work.graph, []
        for node in graph.node:
            outs = [o for o in node.output if o]
            if node.op_type != "Constant" and outs and all(o in self.values for o in outs):
                for o in outs:
                    value = numpy_helper.from_array(self.values[o], o)
                    nodes.append(helper.make_node("Constant", [], [o], node.name, value=value))
            else:
                nodes.append(node)
        del graph.node[:]
        graph.node.extend(nodes)
        declared = {vi.name: vi for vi in graph.value_info}
        for name in self.improved:
            dims, dtype = self.shapes.get(name), self.dtypes.get(name)
            if dims is None or not dtype or name in self.values or name in self.inputs:
                continue
            vi = helper.make_tensor_value_info(name, dtype, dims)
            if name in declared:
                declared[name].CopyFrom(vi)
            else:
                graph.value_info.append(vi)


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}
