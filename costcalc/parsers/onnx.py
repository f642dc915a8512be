"""ONNX frontend: a model file (or ModelProto) -> ``costcalc.ir.Graph``.

Weights are never read: parameter counts come from initializer dims, so a model whose
external data file is missing still analyses, and external-data locations are only
checked, never opened. Shapes come from onnx's own inference plus costcalc's propagation
of shape-only values (``onnx_shapes``), after the user's overrides are applied to an
in-memory copy; the file on disk is only read.

A file that is not an ONNX model is named for what it is (an HTML page, a Git LFS
pointer, a ZIP archive or pickle, a text file). A model is checked structurally before
anything else (``onnx_check``): opsets imported, every node valid for its opset, every
tensor defined. A graph without nodes is a valid, empty model: a report of zeros with a
warning.

Control flow: each If branch, Loop body and Scan body becomes an IR ``Graph`` in the
node's attributes (``then_branch``...), built with the enclosing scope visible; the
node's inputs gain the outer tensors its subgraphs read. What the calculator needs and
the ONNX attributes do not say is added under ``costcalc.*`` keys: ``costcalc.branch``
(the branch a constant If condition takes), ``costcalc.trip_count`` (a Loop's constant
trip count, a Scan's scan-axis length) and ``costcalc.early_exit`` (a Loop whose
condition may end it before its trip count).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Container, Mapping, MutableMapping
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from costcalc.errors import InputSpecError, ModelLoadError, ShapeError, first_line
from costcalc.inputs import InputsArg, normalise_dims, normalise_inputs
from costcalc.ir import Graph, Node, Shape, TensorSpec
from costcalc.parsers.onnx_check import STANDARD_DOMAINS, NodeFields, check_model, node_fields
from costcalc.parsers.onnx_shapes import ResolvedShapes, copy_model, resolve_shapes

CONTROL_FLOW = ("If", "Loop", "Scan")
PROTOBUF_LIMIT = 2**31  # bytes: protobuf cannot parse a larger message
MAX_TRIP_COUNT = 2**31 - 1  # a larger Loop count is the exporters' "while" sentinel


def parse_onnx(
    model: str | Path | onnx.ModelProto,
    inputs: InputsArg = None,
    dims: Mapping[str, int] | None = None,
) -> Graph:
    """Parse an ONNX file or ModelProto into a Graph with every shape resolved."""
    if isinstance(model, onnx.ModelProto):
        proto, source, folder = copy_model(model), model.graph.name or "<ModelProto>", None
    else:
        path = Path(model)
        proto, source, folder = load_model(path), str(path), path.parent
    checked = check_model(proto, source)
    warnings = external_data_warnings(proto, folder, checked.external)
    apply_overrides(proto, normalise_inputs(inputs), normalise_dims(dims), checked.initializers)
    # proto is our own copy: shapes are resolved in place
    resolved = resolve_shapes(
        proto, in_place=True, fields=checked.fields, initializers=checked.initializers
    )
    return _GraphBuilder(proto, resolved).build(source, tuple(warnings), checked.fields)


def load_model(path: Path) -> onnx.ModelProto:
    """Read the model's protobuf without its external weight data."""
    if not path.exists():
        raise ModelLoadError(f"{path}: no such file")
    if path.is_dir():
        raise ModelLoadError(f"{path}: is a directory, not an ONNX file")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"{path}: empty file, not an ONNX model")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError) as exc:
        what = sniff(path)
        if what is not None:
            raise ModelLoadError(f"{path}: not a valid ONNX model: it is {what}") from exc
        raise ModelLoadError(f"{path}: not a valid ONNX model ({first_line(exc)})") from exc
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not proto.HasField("graph"):
        raise ModelLoadError(f"{path}: not an ONNX model (no graph in the file)")
    return proto


_SIGNATURES = (
    (b"version https://git-lfs.github.com/spec", "a Git LFS pointer (run `git lfs pull`)"),
    (b"PK\x03\x04", "a ZIP archive (a PyTorch checkpoint? it is never unpickled)"),
    (b"\x1f\x8b", "a gzip file (decompress it first)"),
    (b"\x89HDF", "an HDF5 file (a Keras model?)"),
)


def sniff(path: Path) -> str | None:
    """What a file that failed to parse as ONNX looks like, from its first bytes."""
    try:
        if path.stat().st_size >= PROTOBUF_LIMIT:
            return (
                f"larger than protobuf's limit of {PROTOBUF_LIMIT:,} bytes (models this "
                "large keep their weights in external data files)"
            )
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (never unpickled)"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page (a failed download?)"
    if text.startswith((b"<?xml", b"<")):
        return "an XML/HTML document"
    if text.startswith((b"{", b"[")):
        return "a JSON or text file"
    decoded = head.decode("utf-8", "replace")  # a cut at 512 bytes may split one character
    printable = all(c.isprintable() or c in "\t\r\n" for c in decoded.rstrip("\ufffd"))
    return "a text file" if printable and decoded.strip() else None


def external_data_warnings(
    proto: onnx.ModelProto,
    folder: Path | None,
    external: list[onnx.TensorProto] | None = None,
) -> list[str]:
    """Warn about external weight files that are missing or lie outside the model's folder
    (``external``: the initializers stored in external data, when the check listed them).

    The data is never read either way; parameter counts come from the initializer dims.
    """
    missing: set[str] = set()
    escaping: set[str] = set()
    for tensor in proto.graph.initializer if external is None else external:
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        if folder is None:
            continue
        base = folder.resolve()
        target = (base / location).resolve()
        if not target.is_relative_to(base):
            escaping.add(location)
        elif not target.is_file():
            missing.add(location)
    warnings = [
        f"external data location {loc!r} lies outside the model's folder: not opened"
        for loc in sorted(escaping)
    ]
    warnings += [
        f"external data file {loc!r} not found: parameters counted from initializer dims"
        for loc in sorted(missing)
    ]
    return warnings


def runtime_inputs(
    graph: onnx.GraphProto, weights: Container[str] | None = None
) -> list[onnx.ValueInfoProto]:
    """Graph inputs that are fed at run time (initializers listed as inputs are weights;
    ``weights``: the initializers' names, when known)."""
    weights = {t.name for t in graph.initializer} if weights is None else weights
    return [v for v in graph.input if v.name not in weights]


def apply_overrides(
    proto: onnx.ModelProto,
    inputs: list[tuple[str | None, Shape]],
    dims: dict[str, int],
    weights: Container[str] | None = None,
) -> None:
    """Fix input shapes and bind symbolic dims on ``proto`` (an in-memory copy);
    ``weights``: the initializers' names, when known."""
    fed = runtime_inputs(proto.graph, weights)
    by_name = {v.name: v for v in fed}
    given: dict[str, Shape] = {}
    for name, shape in inputs:
        if name is None:
            if len(fed) != 1:
                names = ", ".join(v.name for v in fed)
                raise InputSpecError(
                    f"the model has {len(fed)} inputs ({names}): name one, as --input NAME=SHAPE"
                )
            name = fed[0].name
        if name not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise InputSpecError(
                f"--input {name}: the model has no input {name!r} (inputs: {known})"
            )
        if given.setdefault(name, shape) != shape:
            raise InputSpecError(
                f"--input {name}: given twice ({_dims_text(given[name])} and {_dims_text(shape)})"
            )
        _set_shape(by_name[name], shape)
    if dims:
        _bind_symbols(proto.graph, fed, dims)


def _set_shape(value: onnx.ValueInfoProto, shape: Shape) -> None:
    """Replace the input's shape; fixed dims may change too (e.g. another resolution)."""
    tensor_type = value.type.tensor_type
    declared = tensor_type.shape.dim if tensor_type.HasField("shape") else None
    if declared is not None and len(declared) != len(shape):
        raise InputSpecError(
            f"--input {value.name}: rank {len(shape)} given, but the model's input has rank "
            f"{len(declared)} ({_describe(declared)})"
        )
    tensor_type.shape.ClearField("dim")
    for size in shape:
        tensor_type.shape.dim.add().dim_value = size


def _dims_text(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


def _describe(dims) -> str:
    return "x".join(
        d.dim_param or str(d.dim_value) if d.dim_param or d.dim_value else "?" for d in dims
    )


def _bind_symbols(
    graph: onnx.GraphProto, fed: list[onnx.ValueInfoProto], dims: dict[str, int]
) -> None:
    symbols = {
        d.dim_param for v in fed for d in v.type.tensor_type.shape.dim if d.HasField("dim_param")
    }
    unknown = sorted(set(dims) - symbols)
    if unknown:
        known = ", ".join(sorted(symbols)) or "none"
        raise InputSpecError(
            f"--dim {unknown[0]}: the model's inputs have no dimension named {unknown[0]!r} "
            f"(symbolic dims: {known})"
        )
    for value in [*graph.input, *graph.output, *graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param in dims:
                dim.dim_value = dims[dim.dim_param]


_DTYPE_NAMES = {
    value: {"float": "float32", "double": "float64"}.get(name.lower(), name.lower())
    for name, value in onnx.TensorProto.DataType.items()
    if value
}


def dtype_name(elem_type: int) -> str:
    """ONNX element type -> costcalc's dtype name ('float32', 'int64', 'bfloat16', ...);
    'undefined' for 0 or a type onnx does not define (the structural check names it)."""
    return _DTYPE_NAMES.get(elem_type, "undefined")


def module_of(node_name: str) -> str | None:
    """The PyTorch module path torch.onnx.export encodes in a node name, if any.

    '/features/features.3/conv/conv.0/Conv' -> 'features.3.conv.0': a component that
    extends the previous one ('conv' -> 'conv.0') replaces it; any other is appended.
    """
    if not node_name.startswith("/"):
        return None
    parts = node_name.split("/")
    if len(parts) < 3:
        return None
    segments: list[str] = []
    for part in parts[1:-1]:
        if segments and part.startswith(segments[-1] + "."):
            segments[-1] = part
        elif part:
            segments.append(part)
    return ".".join(segments) or None


_A = onnx.AttributeProto
_GRAPH, _GRAPHS = _A.GRAPH, _A.GRAPHS
# the common attribute types decoded directly, as onnx.helper.get_attribute_value does
_PLAIN_ATTRIBUTES = {
    _A.INT: lambda a: a.i,
    _A.INTS: lambda a: a.ints[:],  # a list, copied in C
    _A.FLOAT: lambda a: a.f,
    _A.FLOATS: lambda a: a.floats[:],
    _A.STRING: lambda a: a.s,
}


class _GraphBuilder:
    """Turns the resolved ModelProto into IR, one pass over the nodes.

    A builder for a subgraph (``parent`` set) sees its enclosing scope's tensors, and
    never raises for a shape it cannot determine: the node is left unresolved, and the
    calculator lists it.
    """

    def __init__(
        self,
        proto: onnx.ModelProto,
        resolved: ResolvedShapes,
        parent: _GraphBuilder | None = None,
    ) -> None:
        self.proto = proto
        self.resolved = resolved
        self.parent = parent
        # a subgraph's own tensors over its enclosing scope's (never copied: a model may
        # hold hundreds of If nodes over thousands of tensors)
        self.tensors: MutableMapping[str, TensorSpec] = (
            ChainMap({}, parent.tensors) if parent else {}
        )
        # tensors downstream of an op whose output shapes cannot be determined
        self.tainted: set[str] = set(parent.tainted) if parent else set()

    def build(
        self, source: str, warnings: tuple[str, ...], fields: list[NodeFields] | None = None
    ) -> Graph:
        """The main graph as IR; ``fields``: its nodes' fields as ``check_model`` read them."""
        graph = self.proto.graph
        tensors, names = self.tensors, _DTYPE_NAMES
        for name, (dims, data_type) in self.resolved.initializers.items():
            tensors[name] = TensorSpec(name, dims, names.get(data_type, "undefined"), name)
        fed = [v for v in graph.input if v.name not in self.resolved.initializers]
        inputs = tuple(self._graph_input(v) for v in fed)
        if fields is None:
            nodes = tuple(self._node(i, n) for i, n in enumerate(graph.node))
        else:
            pairs = enumerate(zip(graph.node, fields, strict=True))
            nodes = tuple([self._node(i, n, "", f) for i, (n, f) in pairs])
        outputs = tuple(self.tensors.get(v.name) or self._spec(v.name) for v in graph.output)
        if not nodes:
            warnings = (*warnings, "the graph has no nodes: nothing to cost, every total is 0")
        return Graph(graph.name or source, nodes, inputs, outputs, source, warnings)

    def _initializers(self, graph: onnx.GraphProto) -> None:
        tensors, names = self.tensors, _DTYPE_NAMES
        for init in graph.initializer:
            name = init.name
            dtype = names.get(init.data_type, "undefined")
            tensors[name] = TensorSpec(name, tuple(init.dims[:]), dtype, name)

    def _subgraph(self, graph: onnx.GraphProto, prefix: str) -> Graph:
        """An If branch or a Loop/Scan body as IR, the enclosing scope visible."""
        sub = _GraphBuilder(self.proto, self.resolved, parent=self)
        sub._initializers(graph)
        weights = {t.name for t in graph.initializer}
        inputs = []
        for value in graph.input:
            if value.name not in weights:
                spec = sub._spec(value.name)
                sub.tensors[value.name] = spec
                inputs.append(spec)
        nodes = tuple(sub._node(i, n, prefix) for i, n in enumerate(graph.node))
        outputs = tuple(sub.tensors.get(v.name) or sub._spec(v.name) for v in graph.output)
        return Graph(prefix, nodes, tuple(inputs), outputs)

    def _graph_input(self, value: onnx.ValueInfoProto) -> TensorSpec:
        dims = self.resolved.shapes.get(value.name)
        if dims is None:
            raise ShapeError(f"input {value.name!r} has no shape: give one with --input")
        for axis, dim in enumerate(dims):
            if not isinstance(dim, int) or dim < 0:  # a declared 0 is a zero-size input
                label = dim if isinstance(dim, str) else "?"
                raise ShapeError(
                    f"input {value.name!r} has an unbound dimension {label!r} (axis {axis}): "
                    f"bind it with --dim {label}=SIZE or give the shape with "
                    f"--input {value.name}="
                    + "x".join(str(d) if isinstance(d, int) else "N" for d in dims)
                )
        spec = self._spec(value.name)
        self.tensors[value.name] = spec
        return spec

    def _spec(self, name: str, storage: str | None = None) -> TensorSpec:
        dims = self.resolved.shapes.get(name)
        shape = None
        if dims is not None:
            try:  # a symbol (str) or an unknown dim (None) does not compare with 0
                shape = tuple(dims) if not dims or min(dims) >= 0 else None
            except TypeError:
                shape = None
        return TensorSpec(name, shape, _DTYPE_NAMES.get(self.resolved.dtypes.get(name, 0),
                                                        "undefined"), storage)  # fmt: skip

    def _node(
        self, index: int, proto: onnx.NodeProto, prefix: str = "", fields: NodeFields | None = None
    ) -> Node:
        name, op_type, domain, in_names, out_names = fields or node_fields(proto)
        name = name or (f"{prefix}/" if prefix else "") + f"{op_type}_{index}"
        op = op_type if domain in STANDARD_DOMAINS else f"{domain}.{op_type}"
        attrs: dict = {}
        has_graphs = False
        for a in proto.attribute:
            kind = a.type
            if kind in _PLAIN_ATTRIBUTES:
                attrs[a.name] = _PLAIN_ATTRIBUTES[kind](a)
            elif kind == _GRAPH:
                attrs[a.name] = self._subgraph(a.g, f"{name}/{a.name}")
                has_graphs = True
            elif kind == _GRAPHS:
                attrs[a.name] = tuple(
                    self._subgraph(g, f"{name}/{a.name}.{i}") for i, g in enumerate(a.graphs)
                )
                has_graphs = True
            else:
                attrs[a.name] = onnx.helper.get_attribute_value(a)
        tensors, spec = self.tensors, self._spec
        inputs = tuple([tensors.get(i) or spec(i) if i else None for i in in_names])
        if has_graphs:
            inputs += self._implicit_inputs(attrs, {i for i in in_names if i})
        folded = False
        for t in inputs:
            if t is not None:
                if t.storage is None:
                    folded = False
                    break
                folded = True
        if op == "Constant" or folded:
            outputs = tuple([spec(o, self._folded_storage(o, op, inputs)) for o in out_names])
        else:  # a Shape's output, say, is a known value though its input is not
            known = self.resolved.values
            outputs = tuple([spec(o, o if o in known else None) for o in out_names])
        if op in CONTROL_FLOW and domain in STANDARD_DOMAINS:
            attrs.update(self._control_facts(op, proto, attrs, inputs))
        for out in outputs:
            if out.shape is None:
                self._check_shapes(name, op, proto, inputs, outputs)
                break
        for out in outputs:
            tensors[out.name] = out
        return Node(name, op, inputs, outputs, attrs, domain, module_of(name), folded)

    def _implicit_inputs(self, attrs: dict, explicit: set[str]) -> tuple[TensorSpec, ...]:
        """Outer-scope tensors read inside the subgraphs in ``attrs`` (in first-read order)."""
        graphs = [g for v in attrs.values() for g in (v if isinstance(v, tuple) else (v,))
                  if isinstance(g, Graph)]  # fmt: skip
        found: dict[str, TensorSpec] = {}
        for graph in graphs:
            local = {t.name for t in graph.inputs}
            for node in graph.nodes:
                for t in node.inputs:
                    if t is None or t.name in local or t.name in explicit or t.name in found:
                        continue
                    if t.name in self.tensors:
                        found[t.name] = self.tensors[t.name]
                local.update(t.name for t in node.outputs)
        return tuple(found.values())

    def _control_facts(self, op: str, proto: onnx.NodeProto, attrs: dict, inputs) -> dict:
        """What costing an If/Loop/Scan needs beyond its attributes (``costcalc.*``)."""
        values = self.resolved.values
        facts: dict = {}
        if op == "If":
            cond = values.get(proto.input[0]) if proto.input else None
            if cond is not None and cond.size == 1:
                facts["costcalc.branch"] = (
                    "then_branch" if bool(cond.reshape(())) else "else_branch"
                )
        elif op == "Loop":
            trips = values.get(proto.input[0]) if proto.input and proto.input[0] else None
            count = int(trips.reshape(())) if trips is not None and trips.size == 1 else -1
            if 0 <= count <= MAX_TRIP_COUNT:
                facts["costcalc.trip_count"] = count
            facts["costcalc.early_exit"] = self._loop_may_exit_early(proto, attrs)
        elif op == "Scan":
            scans = int(attrs.get("num_scan_inputs", 0))
            explicit = inputs[: len(proto.input)]
            first = explicit[len(explicit) - scans] if 0 < scans <= len(explicit) else None
            axes = list(attrs.get("scan_input_axes") or [0])
            if first is not None and first.shape is not None and self.proto_opset() >= 9:
                axis = axes[0] + len(first.shape) if axes[0] < 0 else axes[0]
                if 0 <= axis < len(first.shape):
                    facts["costcalc.trip_count"] = first.shape[axis]
        return facts

    def _loop_may_exit_early(self, proto: onnx.NodeProto, attrs: dict) -> bool:
        """False when the condition is absent or constant true and the body passes it
        through unchanged (a for-loop); True when the body may end the loop sooner."""
        cond = proto.input[1] if len(proto.input) > 1 else ""
        if cond:
            value = self.resolved.values.get(cond)
            if value is None or value.size != 1 or not bool(value.reshape(())):
                return True
        body = attrs.get("body")
        if not isinstance(body, Graph) or len(body.inputs) < 2 or not body.outputs:
            return True
        cond_in, cond_out = body.inputs[1].name, body.outputs[0]
        if cond_out.name == cond_in:
            return False
        producer = next((n for n in body.nodes if cond_out in n.outputs), None)
        if producer is None:
            return True
        if producer.op == "Identity" and producer.input(0) is not None:
            return producer.input(0).name != cond_in
        if producer.op == "Constant" and cond_out.name in self.resolved.values:
            return not bool(self.resolved.values[cond_out.name].reshape(()))
        return True

    def proto_opset(self) -> int:
        return next((o.version for o in self.proto.opset_import if o.domain in STANDARD_DOMAINS), 1)

    @staticmethod
    def _folded_storage(output: str, op: str, inputs) -> str:
        present = [t for t in inputs if t is not None]
        # A transform of one stored tensor (Transpose(W), Cast(W)) is still those weights,
        # and so is the dequantization of a stored integer tensor, whatever its scales
        if op == "DequantizeLinear" and present and present[0].is_const:
            return present[0].storage
        stores = {t.storage for t in present if t.numel != 1}
        return stores.pop() if len(stores) == 1 else output

    def _check_shapes(self, name, op, proto, inputs, outputs) -> None:
        upstream_unknown = (
            proto.domain not in STANDARD_DOMAINS
            or op in CONTROL_FLOW  # an output a branch or body decides
            or self.parent is not None  # inside a subgraph: listed, never an error
            or any(t is not None and t.name in self.tainted for t in inputs)
        )
        for out in outputs:
            if out.shape is not None:
                continue
            if upstream_unknown:
                self.tainted.add(out.name)
                continue
            dims = self.resolved.shapes.get(out.name)
            symbol = next((d for d in dims or () if isinstance(d, str)), None)
            what = f"dimension {symbol!r}" if symbol else "shape"
            known = [t.shape for t in inputs if t is not None]
            if symbol is None and known and all(s is not None for s in known):
                # every input shape is known, so onnx rejected them: they do not fit the node
                shapes = ", ".join(_dims_text(s) or "scalar" for s in known)
                raise ShapeError(
                    f"the shape of tensor {out.name!r} (output of {op} node {name!r}) could "
                    f"not be inferred from its input shapes {shapes}: do they fit the node? "
                    "Check the --input/--dim overrides"
                )
            raise ShapeError(
                f"the {what} of tensor {out.name!r} (output of {op} node {name!r}) could not "
                f"be determined; fix the input shapes with --input/--dim"
            )
