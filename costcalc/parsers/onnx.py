"""ONNX frontend: a model file (or ModelProto) -> ``costcalc.ir.Graph``.

Weights are never read: parameter counts come from initializer dims, so a model whose
external data file is missing still analyses, and external-data locations are only
checked, never opened. Shapes come from onnx's own inference plus costcalc's propagation
of shape-only values (``onnx_shapes``), after the user's overrides are applied to an
in-memory copy; the file on disk is only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from costcalc.errors import InputSpecError, ModelLoadError, ShapeError
from costcalc.inputs import InputsArg, normalise_dims, normalise_inputs
from costcalc.ir import Graph, Node, Shape, TensorSpec
from costcalc.parsers.onnx_shapes import ResolvedShapes, resolve_shapes

STANDARD_DOMAINS = ("", "ai.onnx")


def parse_onnx(
    model: str | Path | onnx.ModelProto,
    inputs: InputsArg = None,
    dims: Mapping[str, int] | None = None,
) -> Graph:
    """Parse an ONNX file or ModelProto into a Graph with every shape resolved."""
    if isinstance(model, onnx.ModelProto):
        proto, source, folder = _copy(model), model.graph.name or "<ModelProto>", None
    else:
        path = Path(model)
        proto, source, folder = load_model(path), str(path), path.parent
    warnings = external_data_warnings(proto, folder)
    apply_overrides(proto, normalise_inputs(inputs), normalise_dims(dims))
    resolved = resolve_shapes(proto)
    return _GraphBuilder(proto, resolved).build(source, tuple(warnings))


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy


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
        raise ModelLoadError(f"{path}: not a valid ONNX model ({_first_line(exc)})") from exc
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not proto.HasField("graph"):
        raise ModelLoadError(f"{path}: not an ONNX model (no graph in the file)")
    return proto


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def external_data_warnings(proto: onnx.ModelProto, folder: Path | None) -> list[str]:
    """Warn about external weight files that are missing or lie outside the model's folder.

    The data is never read either way; parameter counts come from the initializer dims.
    """
    missing: set[str] = set()
    escaping: set[str] = set()
    for tensor in proto.graph.initializer:
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


def runtime_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """Graph inputs that are fed at run time (initializers listed as inputs are weights)."""
    weights = {t.name for t in graph.initializer}
    return [v for v in graph.input if v.name not in weights]


def apply_overrides(
    proto: onnx.ModelProto,
    inputs: list[tuple[str | None, Shape]],
    dims: dict[str, int],
) -> None:
    """Fix input shapes and bind symbolic dims on ``proto`` (an in-memory copy)."""
    fed = runtime_inputs(proto.graph)
    by_name = {v.name: v for v in fed}
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


def dtype_name(elem_type: int) -> str:
    """ONNX element type -> costcalc's dtype name ('float32', 'int64', 'bfloat16', ...)."""
    if elem_type == 0:
        return "undefined"
    name = onnx.TensorProto.DataType.Name(elem_type).lower()
    return {"float": "float32", "double": "float64"}.get(name, name)


def module_of(node_name: str) -> str | None:
    """The PyTorch module path torch.onnx.export encodes in a node name, if any.

    '/features/features.3/conv/conv.0/Conv' -> 'features.3.conv.0': a component that
    extends the previous one ('conv' -> 'conv.0') replaces it; any other is appended.
    """
    parts = node_name.split("/")
    if len(parts) < 3 or parts[0] != "":
        return None
    segments: list[str] = []
    for part in parts[1:-1]:
        if segments and part.startswith(segments[-1] + "."):
            segments[-1] = part
        elif part:
            segments.append(part)
    return ".".join(segments) or None


class _GraphBuilder:
    """Turns the resolved ModelProto into IR, one pass over the nodes."""

    def __init__(self, proto: onnx.ModelProto, resolved: ResolvedShapes) -> None:
        self.proto = proto
        self.resolved = resolved
        self.tensors: dict[str, TensorSpec] = {}
        self.tainted: set[str] = set()  # tensors downstream of an op onnx cannot infer

    def build(self, source: str, warnings: tuple[str, ...]) -> Graph:
        graph = self.proto.graph
        for init in graph.initializer:
            self.tensors[init.name] = TensorSpec(
                init.name, tuple(init.dims), dtype_name(init.data_type), storage=init.name
            )
        inputs = tuple(self._graph_input(v) for v in runtime_inputs(graph))
        nodes = tuple(self._node(i, n) for i, n in enumerate(graph.node))
        outputs = tuple(self.tensors.get(v.name) or self._spec(v.name) for v in graph.output)
        return Graph(graph.name or source, nodes, inputs, outputs, source, warnings)

    def _graph_input(self, value: onnx.ValueInfoProto) -> TensorSpec:
        dims = self.resolved.shapes.get(value.name)
        if dims is None:
            raise ShapeError(f"input {value.name!r} has no shape: give one with --input")
        for axis, dim in enumerate(dims):
            if not isinstance(dim, int) or dim <= 0:
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
        if dims is not None and all(isinstance(d, int) and d >= 0 for d in dims):
            shape = tuple(dims)
        return TensorSpec(name, shape, dtype_name(self.resolved.dtypes.get(name, 0)), storage)

    def _node(self, index: int, proto: onnx.NodeProto) -> Node:
        name = proto.name or f"{proto.op_type}_{index}"
        op = (
            proto.op_type if proto.domain in STANDARD_DOMAINS else f"{proto.domain}.{proto.op_type}"
        )
        inputs = tuple(self.tensors.get(i) or self._spec(i) if i else None for i in proto.input)
        present = [t for t in inputs if t is not None]
        folded = bool(present) and all(t.is_const for t in present)
        if op == "Constant" or folded:
            outputs = tuple(self._spec(o, self._folded_storage(o, present)) for o in proto.output)
        else:  # a Shape's output, say, is a known value though its input is not
            known = self.resolved.values
            outputs = tuple(self._spec(o, o if o in known else None) for o in proto.output)
        self._check_shapes(name, op, proto, inputs, outputs)
        for out in outputs:
            self.tensors[out.name] = out
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
        return Node(name, op, inputs, outputs, attrs, proto.domain, module_of(name), folded)

    @staticmethod
    def _folded_storage(output: str, inputs: list[TensorSpec]) -> str:
        # A transform of one stored tensor (Transpose(W), Cast(W)) is still those weights.
        stores = {t.storage for t in inputs if t.numel != 1}
        return stores.pop() if len(stores) == 1 else output

    def _check_shapes(self, name, op, proto, inputs, outputs) -> None:
        upstream_unknown = proto.domain not in STANDARD_DOMAINS or any(
            t is not None and t.name in self.tainted for t in inputs
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
            raise ShapeError(
                f"the {what} of tensor {out.name!r} (output of {op} node {name!r}) could not "
                f"be determined; fix the input shapes with --input/--dim"
            )
