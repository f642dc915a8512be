"""Structural checks of an ONNX model before it is analysed.

onnx's full ``checker.check_model`` is stricter than the runtimes (it rejects graph outputs
without a declared shape, which exporters write all the time) and re-serialises the whole
model; these checks are what a half or drifted model breaks, one line naming the cause:

- the model imports an opset for every domain its nodes use (a file cut short after its
  graph still parses, but has lost its ``opset_import``);
- every node of a standard domain is valid for the opset the model imports
  (``onnx.checker.check_node`` against ``onnx.defs.get_schema(op, opset)``): ``Split``
  with a ``split`` attribute at opset 13, ``Squeeze`` with an axes input at opset 11, an op
  that does not exist yet (``Gelu`` at opset 17), an unknown attribute;
- every tensor a node reads is defined: by a graph input, an initializer, an earlier node,
  or (in a subgraph) the enclosing scope. Nodes out of topological order are put in order
  (in the caller's in-memory copy), as runtimes do; a name nothing defines is an error;
- every graph output is defined;
- every name is text (protobuf hands back bytes for a name that is not valid UTF-8: a
  corrupt file) and every element type is one onnx defines.

Subgraphs (If/Loop/Scan bodies) are checked the same way, with the enclosing scope visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import onnx
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from onnx import checker

from costcalc.errors import InvalidModelError, ModelLoadError, first_line

STANDARD_DOMAINS = ("", "ai.onnx")
_CHECKED_DOMAINS = (*STANDARD_DOMAINS, "ai.onnx.ml")


# What every pass over the nodes reads, read from protobuf once (by the check):
# (name, op_type, domain, inputs, outputs) of each node of the main graph, in order.
NodeFields = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]
# the initializers of a graph, in order: name -> (dims, element type)
InitializerDims = dict[str, tuple[tuple[int, ...], int]]


def node_fields(node: onnx.NodeProto) -> NodeFields:
    """What the passes read of ``node`` (a slice copies a repeated field in C, twice as
    fast as iterating over it)."""
    return node.name, node.op_type, node.domain, tuple(node.input[:]), tuple(node.output[:])


@dataclass(frozen=True)
class CheckedModel:
    """What the check read of the main graph, for the passes after it."""

    fields: list[NodeFields]  # of each node, in order
    initializers: InitializerDims
    external: list[onnx.TensorProto]  # the initializers stored in external data


def check_model(proto: onnx.ModelProto, source: str) -> CheckedModel:
    """Raise ModelLoadError / InvalidModelError when ``proto`` is structurally broken;
    return what the check read (``CheckedModel``).

    ``proto`` must be the caller's own copy: nodes out of topological order are sorted
    in place.
    """
    if not proto.HasField("graph"):
        raise ModelLoadError(f"{source}: not an ONNX model (no graph in the file)")
    _check_utf8(proto, "model", source)
    opsets = {(o.domain or ""): o.version for o in proto.opset_import}
    if "ai.onnx" in opsets:
        opsets.setdefault("", opsets["ai.onnx"])
    if not opsets:
        raise ModelLoadError(
            f"{source}: the model imports no opset: the file is truncated or not a complete "
            "ONNX model"
        )
    context = checker.C.CheckerContext()
    context.ir_version = proto.ir_version or onnx.IR_VERSION
    context.opset_imports = opsets
    external: list[onnx.TensorProto] = []
    fields, initializers = _check_graph(proto.graph, opsets, context, set(), "", source, external)
    return CheckedModel(fields, initializers, external)


_ELEMENT_TYPES = set(onnx.TensorProto.DataType.values())
_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE


def _check_utf8(message: Message, where: str, source: str) -> None:
    """Every text field of ``message`` is text: protobuf hands back ``bytes`` for a string
    field that is not valid UTF-8 (a corrupt file), which nothing downstream expects.
    The nodes and initializers of a graph are left to ``_check_graph`` (most of a model,
    read there anyway)."""
    stack: list[tuple[Message, str]] = [(message, where)]
    while stack:
        message, where = stack.pop()
        kind = type(message)
        if kind is onnx.TensorProto:
            _check_tensor_text(message, where, source)
            continue
        if kind is onnx.ValueInfoProto and message.type.HasField("tensor_type"):
            dims = message.type.tensor_type.shape.dim
            if type(message.name) is not str or any(type(d.dim_param) is not str for d in dims):
                raise InvalidModelError(
                    f"{source}: a tensor declared in {where} has a name or dimension that is "
                    "not valid UTF-8: a corrupt file"
                )
            continue
        bulk = ("node", "initializer") if kind is onnx.GraphProto else ()
        for descriptor, value in message.ListFields():
            if descriptor.name in bulk:
                continue
            if descriptor.type == _MESSAGE:
                items = value if _is_repeated(descriptor) else [value]
                stack.extend((item, f"{where}.{descriptor.name}") for item in items)
            elif descriptor.type == _STRING:
                items = value if _is_repeated(descriptor) else [value]
                if any(not isinstance(item, str) for item in items):
                    raise InvalidModelError(
                        f"{source}: {where}.{descriptor.name} is not valid UTF-8 text: a "
                        "corrupt file"
                    )


_NESTED_ATTRIBUTES = {
    onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS, onnx.AttributeProto.TENSOR,
    onnx.AttributeProto.TENSORS, onnx.AttributeProto.SPARSE_TENSOR,
    onnx.AttributeProto.SPARSE_TENSORS, onnx.AttributeProto.TYPE_PROTO,
    onnx.AttributeProto.TYPE_PROTOS,
}  # fmt: skip


def _check_tensor_text(tensor: onnx.TensorProto, where: str, source: str) -> None:
    """A tensor's few text fields (its data is bytes or numbers)."""
    texts = [tensor.name, tensor.doc_string]
    if tensor.external_data or tensor.metadata_props:
        entries = [*tensor.external_data, *tensor.metadata_props]
        texts += [t for e in entries for t in (e.key, e.value)]
    if not _all_text(texts):
        raise InvalidModelError(
            f"{source}: a tensor in {where} has a name or field that is not valid UTF-8: a "
            "corrupt file"
        )


def _all_text(items: list) -> bool:
    try:
        "".join(items)  # one C loop; a bytes item (invalid UTF-8) raises
    except TypeError:
        return False
    return True


def _is_repeated(descriptor: FieldDescriptor) -> bool:
    repeated = getattr(descriptor, "is_repeated", None)  # newer protobuf: no ``label``
    if repeated is not None:
        return bool(repeated)
    return descriptor.label == FieldDescriptor.LABEL_REPEATED


def _check_types(graph: onnx.GraphProto, where: str) -> None:
    """Element types onnx does not define (of declared tensors; initializers: in
    ``_initializers``)."""
    for value in (*graph.input, *graph.output, *graph.value_info):
        elem = value.type.tensor_type.elem_type
        if value.type.HasField("tensor_type") and elem not in _ELEMENT_TYPES:
            raise InvalidModelError(
                f"{_scope(where)}tensor {value.name!r} has an unknown element type {elem}"
            )


def _initializers(
    graph: onnx.GraphProto, where: str, source: str, external: list[onnx.TensorProto]
) -> InitializerDims:
    """The initializers (name -> (dims, element type)), each checked to be text and of a
    type onnx defines; those stored in external data are added to ``external``."""
    found = {}
    for tensor in graph.initializer:
        name, data_type = tensor.name, tensor.data_type
        # the text costcalc reads of a tensor: its name, and where its external data lies
        if type(name) is not str or tensor.data_location == onnx.TensorProto.EXTERNAL:
            _check_tensor_text(tensor, where or "the main graph", source)
            external.append(tensor)
        if data_type not in _ELEMENT_TYPES or data_type == 0:
            raise InvalidModelError(
                f"{_scope(where)}initializer {name!r} has an unknown element type {data_type}"
            )
        found[name] = (tuple(tensor.dims[:]), data_type)
    return found


def _check_graph(
    graph: onnx.GraphProto,
    opsets: dict[str, int],
    context: checker.C.CheckerContext,
    outer: set[str],
    where: str,
    source: str,
    external: list[onnx.TensorProto],
) -> tuple[list[NodeFields], InitializerDims]:
    """Check ``graph``; return its nodes' fields and its initializers."""
    _check_types(graph, where)
    base = set(outer) | {""}
    base.update(v.name for v in graph.input)
    initializers = _initializers(graph, where, source, external)
    base.update(initializers)
    base.update(t.values.name for t in graph.sparse_initializer)
    defined, ordered, control = set(base), True, False
    text_where = where or "the main graph"
    standard = "" in opsets
    valid: set[tuple | None] = set()  # attribute-less signatures onnx's check_node passed
    fields: list[NodeFields] = []
    for index, node in enumerate(graph.node):  # one pass: text, signatures, is it in order
        read = node_fields(node)
        fields.append(read)
        name, op_type, domain, inputs, outputs = read
        texts = [name, op_type, domain, *inputs, *outputs]
        has_graphs = False
        for attr in node.attribute:
            texts.append(attr.name)
            if attr.type in _NESTED_ATTRIBUTES:
                _check_utf8(attr, f"{text_where}.attribute", source)
                if attr.type in _GRAPH_TYPES:
                    has_graphs = control = True
        if not _all_text(texts):
            raise InvalidModelError(
                f"{source}: a name of a node in {text_where} is not valid UTF-8: a corrupt file"
            )
        if domain == "" and standard and not has_graphs:  # most nodes: onnx checks them
            # without attributes, a node's validity is its op's and which slots it fills
            key = None if len(texts) > 3 + len(inputs) + len(outputs) else (
                op_type, tuple(map(bool, inputs)), tuple(map(bool, outputs))
            )  # fmt: skip
            if key is None or key not in valid:
                try:
                    checker.C.check_node(node.SerializeToString(), context, _LEXICAL_SCOPE)
                except (checker.ValidationError, onnx.defs.SchemaError):
                    _check_node(node, index, opsets, context, where, has_graphs)  # the cause
                valid.add(key)
        else:
            _check_node(node, index, opsets, context, where, has_graphs)
        if ordered:
            ordered = defined.issuperset(
                (*inputs, *_implicit_inputs(node)) if has_graphs else inputs
            )
        defined.update(outputs)
    if not ordered:
        _sort_topologically(graph, base, where)
        fields = [node_fields(n) for n in graph.node]
    if control:  # subgraphs see what is defined before their node
        scope = set(base)
        for node in graph.node:
            for attr in node.attribute:
                for sub in _subgraphs(attr):
                    label = f"{where}/" if where else ""
                    _check_graph(sub, opsets, context, scope, f"{label}{node.name or node.op_type}"
                                 f".{attr.name}", source, [])  # fmt: skip
            scope.update(node.output)
    missing = [v.name for v in graph.output if v.name not in defined]
    if missing:
        raise InvalidModelError(
            f"{_scope(where)}graph output {missing[0]!r} is produced by no node, input or "
            "initializer (a truncated or edited model?)"
        )
    return fields, initializers


def _subgraphs(attr: onnx.AttributeProto) -> Iterable[onnx.GraphProto]:
    if attr.type == onnx.AttributeProto.GRAPH:
        yield attr.g
    elif attr.type == onnx.AttributeProto.GRAPHS:
        yield from attr.graphs


def _scope(where: str) -> str:
    return f"in {where}: " if where else ""


def _node_label(node: onnx.NodeProto, index: int) -> str:
    name = node.name or f"#{index}"
    op = node.op_type if node.domain in STANDARD_DOMAINS else f"{node.domain}.{node.op_type}"
    return f"node {name!r} ({op})"


def _check_node(
    node: onnx.NodeProto,
    index: int,
    opsets: dict[str, int],
    context: checker.C.CheckerContext,
    where: str,
    has_graphs: bool,
) -> None:
    domain = "" if node.domain == "ai.onnx" else node.domain
    if domain not in opsets:
        if domain in _CHECKED_DOMAINS:
            raise InvalidModelError(
                f"{_scope(where)}{_node_label(node, index)}: the model imports no opset for "
                f"domain {domain or 'ai.onnx'!r} (a truncated model?)"
            )
        return  # a custom domain: listed as unsupported later, never checked here
    if domain not in _CHECKED_DOMAINS:
        return
    try:
        if has_graphs:
            # check_node would check the subgraphs too, without the enclosing scope they
            # may read: the node's own signature here, its graphs by _check_graph
            _check_signature(node, opsets[domain])
        else:
            checker.C.check_node(node.SerializeToString(), context, _LEXICAL_SCOPE)
    except (checker.ValidationError, onnx.defs.SchemaError) as exc:
        reason = first_line(exc)
        raise InvalidModelError(
            f"{_scope(where)}{_node_label(node, index)} is invalid for opset "
            f"{opsets[domain]} of {domain or 'ai.onnx'}: {reason}"
        ) from exc


_GRAPH_TYPES = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
# checker.check_node without its per-call wrapper (the node is known to be a NodeProto)
_LEXICAL_SCOPE = checker.C.LexicalScopeContext()


def _check_signature(node: onnx.NodeProto, version: int) -> None:
    """What check_node verifies of a node, but its subgraphs: the op exists at this
    opset, its attributes are known, typed and complete, its input and output counts."""
    try:
        schema = onnx.defs.get_schema(node.op_type, version, node.domain)
    except onnx.defs.SchemaError:
        raise checker.ValidationError(
            f"No Op registered for {node.op_type} with domain_version of {version}"
        ) from None
    given = {a.name: a for a in node.attribute}
    for name, attr in given.items():
        if name not in schema.attributes:
            raise checker.ValidationError(
                f"Unrecognized attribute: {name} for operator {node.op_type}"
            )
        if int(schema.attributes[name].type) != int(attr.type):
            raise checker.ValidationError(f"Mismatched attribute type in '{name}'")
    for name, spec in schema.attributes.items():
        if spec.required and name not in given:
            raise checker.ValidationError(f"Required attribute '{name}' is missing.")
    if not schema.min_input <= len(node.input) <= schema.max_input:
        raise checker.ValidationError(
            f"has input size {len(node.input)} not in range [min={schema.min_input}, "
            f"max={schema.max_input}]."
        )
    if not schema.min_output <= len(node.output) <= schema.max_output:
        raise checker.ValidationError(
            f"has output size {len(node.output)} not in range [min={schema.min_output}, "
            f"max={schema.max_output}]."
        )


def _sort_topologically(graph: onnx.GraphProto, defined: set[str], where: str) -> None:
    """Put the nodes in an order where each reads only what is defined before it."""
    producers: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        for out in node.output:
            if out:
                producers[out] = index
    needs: list[set[int]] = []
    for index, node in enumerate(graph.node):
        wanted: set[int] = set()
        for name in (*node.input, *_implicit_inputs(node)):
            if name in defined:
                continue
            if name not in producers:
                raise InvalidModelError(
                    f"{_scope(where)}{_node_label(node, index)} reads tensor {name!r}, which "
                    "no input, initializer or node defines (a truncated or edited model?)"
                )
            wanted.add(producers[name])
        wanted.discard(index)
        needs.append(wanted)
    order: list[int] = []
    done: set[int] = set()
    pending = list(range(len(graph.node)))
    while pending:
        ready = [i for i in pending if needs[i] <= done]
        if not ready:
            node = graph.node[pending[0]]
            raise InvalidModelError(
                f"{_scope(where)}{_node_label(node, pending[0])} is part of a cycle: the "
                "graph cannot be ordered"
            )
        order.extend(ready)
        done.update(ready)
        pending = [i for i in pending if i not in done]
    nodes = [graph.node[i] for i in order]
    copies = []
    for node in nodes:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copies.append(copy)
    del graph.node[:]
    graph.node.extend(copies)


def _implicit_inputs(node: onnx.NodeProto) -> set[str]:
    """Names a node's subgraphs read from the enclosing scope."""
    names: set[str] = set()
    for attr in node.attribute:
        for sub in _subgraphs(attr):
            local = {v.name for v in sub.input} | {t.name for t in sub.initializer} | {""}
            for inner in sub.node:
                names.update(i for i in (*inner.input, *_implicit_inputs(inner)) if i not in local)
                local.update(inner.output)
    return names
