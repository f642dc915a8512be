"""What gets profiled: the ONNX file (PyTorch models exported first), and the copy of it
that onnxruntime runs, whose kernels map back onto costcalc's rows.

The copy differs from the file only where onnxruntime would otherwise lose the mapping:

- every node gets a unique, non-empty name (costcalc's own name for an unnamed node,
  ``<op>_<index>``), so a kernel's name in the profile points at exactly one layer;
- an ONNX function op onnxruntime has no CPU kernel for (HardSwish, Mish...) is expanded
  into its function body here, as onnxruntime would do itself, but with kernel names that
  say which layer they came from (onnxruntime names them ``HardSigmoid_159``): the
  layer's measured time is the sum of its kernels';
- input shapes are fixed to the ones costcalc resolved (``--input``/``--dim``);
- the nodes costcalc constant-folds (shape arithmetic such as ``Shape -> Gather -> Concat``,
  ``Identity`` of a weight: every input a constant) are computed once beforehand and
  replaced by initializers, as onnxruntime's default optimisations would do, and nodes
  left without a consumer are dropped. Both sides then agree: no kernel, no estimate.
  (With graph optimisations off onnxruntime would run them, some 3 µs each.)
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx

from costcalc.errors import InputSpecError, ModelLoadError, first_line

STANDARD_DOMAINS = ("", "ai.onnx")


@dataclass
class RuntimeModel:
    """The model onnxruntime runs and how its kernels map onto the analysed file's nodes."""

    proto: onnx.ModelProto
    kernel_to_node: dict[str, int]  # kernel (node) name in the runtime model -> node index
    expanded: dict[int, list[str]] = field(default_factory=dict)  # node index -> its kernels
    folded: list[int] = field(default_factory=list)  # nodes precomputed, now initializers
    dropped: list[int] = field(default_factory=list)  # nodes whose outputs nothing used
    producer: dict[str, int] = field(default_factory=dict)  # tensor -> node writing it
    ops: list[str] = field(default_factory=list)  # op type per node index
    first_input: list[str] = field(default_factory=list)  # data input per node index

    def node_of(self, kernel: str, op: str) -> tuple[int | None, bool]:
        """The node a kernel ran, and whether it is a fused kernel found by its output
        tensor. With graph optimisations on, onnxruntime names a fused or re-laid-out
        kernel after its output tensor (``<tensor>_nchwc``) or ``fused <node>``: the
        node that wrote the tensor, walked back to the first node of the kernel's op
        type (a Conv fused with its activation)."""
        if kernel in self.kernel_to_node:
            return self.kernel_to_node[kernel], False
        name = re.sub(r"_token_\d+$", "", kernel.removeprefix("fused "))
        if name in self.kernel_to_node:
            return self.kernel_to_node[name], True
        for suffix in ("_nchwc", "_nhwc"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        index = self.producer.get(name)
        if index is None:
            return None, False
        walk = index
        for _ in range(4):
            if self.ops[walk] == op:
                return walk, True
            previous = self.producer.get(self.first_input[walk])
            if previous is None:
                break
            walk = previous
        return index, True


def export_torch(
    model: Any, inputs: Sequence[Any] | None, folder: Path, name: str = "model"
) -> tuple[Path, list[str]]:
    """Build ``model`` (a spec string or an nn.Module) on the CPU with random weights, in
    eval mode, and export it with the TorchScript exporter to ``folder/<name>.onnx``."""
    import torch

    from costcalc import specs

    notes: list[str] = []
    if isinstance(model, str):
        source = specs.resolve(model)
        torch.manual_seed(0)
        module = specs.build(source, "cpu")
        shapes = _shapes(inputs) or list(source.default_inputs or ())
        label = model
    else:
        module, shapes, label = model, _shapes(inputs), type(model).__name__
    if not shapes:
        raise InputSpecError("a PyTorch model needs its input shape: give --input 1x3x224x224")
    was_training = module.training
    module.eval()
    example = tuple(torch.randn(shape) for shape in shapes)
    names = ["input"] if len(shapes) == 1 else [f"input_{i}" for i in range(len(shapes))]
    path = folder / f"{name}.onnx"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, example, str(path), dynamo=False, do_constant_folding=True,
                input_names=names,
            )  # fmt: skip
    except Exception as exc:  # the exporter's errors are many and varied
        first = first_line(exc)
        raise ModelLoadError(f"{label}: torch.onnx.export failed ({first})") from exc
    finally:
        module.train(was_training)  # the caller's module as it was
    notes.append(
        f"{label} was exported to ONNX (TorchScript exporter, eval mode, random weights); "
        "profile and estimate both refer to the exported graph, in which BatchNorms that "
        "follow a conv are folded into it: it has fewer layers than `costcalc analyze "
        f"{label}`."
    )
    return path, notes


def _shapes(inputs: Sequence[Any] | None) -> list[tuple[int, ...]]:
    from costcalc.inputs import normalise_inputs

    if not inputs:
        return []
    named = normalise_inputs(inputs)
    if any(name is not None for name, _ in named):
        raise InputSpecError("PyTorch inputs are positional: give --input 1x3x224x224 per input")
    return [shape for _, shape in named]


def load_full(path: Path) -> onnx.ModelProto:
    """The model with its weights (onnxruntime needs them, costcalc does not)."""
    try:
        return onnx.load(str(path))
    except FileNotFoundError as exc:
        raise ModelLoadError(
            f"{path}: its external weight data is missing ({exc.filename}); "
            "profiling needs the weights"
        ) from exc
    except Exception as exc:
        raise ModelLoadError(f"{path}: cannot load the model's weights ({exc})") from exc


def runtime_model(
    proto: onnx.ModelProto,
    input_shapes: dict[str, list[int] | None],
    folded: Sequence[int] = (),
    free: Sequence[int] = (),
    expand: bool = True,
) -> RuntimeModel:
    """The copy of ``proto`` to run (see the module's docstring); ``folded``: indices of
    the nodes costcalc constant-folds; ``free``: those it counts as free (Shape,
    Reshape...), which are dropped once nothing consumes their outputs."""
    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    graph = copy.graph
    used: set[str] = set()
    for index, node in enumerate(graph.node):
        name = node.name or f"{node.op_type}_{index}"
        if name in used:
            name = f"{name}#{index}"
        used.add(name)
        node.name = name
    kernel_to_node = {node.name: index for index, node in enumerate(graph.node)}
    producer = {out: i for i, node in enumerate(graph.node) for out in node.output if out}
    ops = [node.op_type for node in graph.node]
    first_input = [node.input[0] if node.input else "" for node in graph.node]
    for value in graph.input:
        shape = input_shapes.get(value.name)
        if shape is None:
            continue
        dims = value.type.tensor_type.shape.dim
        del dims[:]
        for size in shape:
            dims.add().dim_value = int(size)
    result = RuntimeModel(copy, kernel_to_node, producer=producer, ops=ops, first_input=first_input)
    if folded:
        _fold(result, sorted(set(folded)), set(free), input_shapes)
    if expand:
        _expand_functions(result)
    return result


def _fold(
    model: RuntimeModel,
    folded: list[int],
    free: set[int],
    shapes: dict[str, list[int] | None],
) -> None:
    """Replace the folded nodes by initializers holding their outputs (computed by
    onnxruntime on the model itself), then drop free nodes nothing consumes."""
    from onnx import numpy_helper

    from costcalc.profiling.runtime import Settings, evaluate

    graph = model.proto.graph
    folded_set = set(folded)
    by_index = {model.kernel_to_node[n.name]: n for n in graph.node}
    consumed_by_rest = {t for i, n in by_index.items() if i not in folded_set for t in n.input}
    consumed_by_rest |= {v.name for v in graph.output}
    needed = [out for i in folded for out in by_index[i].output if out and out in consumed_by_rest]
    if needed:
        values = evaluate(model.proto, needed, shapes, Settings(runs=1, warmup=0))
        graph.initializer.extend(numpy_helper.from_array(values[t], t) for t in needed)
    keep = [n for n in graph.node if model.kernel_to_node[n.name] not in folded_set]
    model.folded = [i for i in folded if i in by_index]
    outputs = {v.name for v in graph.output}
    while True:  # drop what no one consumes (a Shape feeding only folded arithmetic...)
        used = {t for n in keep for t in n.input} | outputs
        dead = [
            n
            for n in keep
            if model.kernel_to_node[n.name] in free and not any(o in used for o in n.output)
        ]
        if not dead:
            break
        model.dropped += [model.kernel_to_node[n.name] for n in dead]
        dead_ids = {id(n) for n in dead}
        keep = [n for n in keep if id(n) not in dead_ids]
    del graph.node[:]
    graph.node.extend(keep)
    for index in model.folded + model.dropped:
        name = by_index[index].name
        model.kernel_to_node.pop(name, None)
    live_inputs = [v for v in graph.input if v.name in used]
    if len(live_inputs) != len(graph.input):  # an input only shape arithmetic read
        del graph.input[:]
        graph.input.extend(live_inputs)


def _opset(proto: onnx.ModelProto, domain: str) -> int:
    for entry in proto.opset_import:
        if entry.domain in ((domain,) if domain not in STANDARD_DOMAINS else STANDARD_DOMAINS):
            return entry.version
    return 0


def cpu_kernels() -> dict[tuple[str, str], list[tuple[int, int]]] | None:
    """(op, domain) -> the opset ranges onnxruntime's CPU provider has kernels for; None if
    this onnxruntime cannot say."""
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

        defs = ort_state.get_all_opkernel_def()
    except Exception:  # a private API: without it, onnxruntime inlines (mapping partial)
        return None
    kernels: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for kernel in defs:
        if kernel.provider == "CPUExecutionProvider":
            domain = "" if kernel.domain == "ai.onnx" else kernel.domain
            kernels.setdefault((kernel.op_name, domain), []).append(tuple(kernel.version_range))
    return kernels


def _has_kernel(kernels: dict, op: str, domain: str, opset: int) -> bool:
    ranges = kernels.get((op, "" if domain in STANDARD_DOMAINS else domain), [])
    return any(low <= opset <= high for low, high in ranges)


def _expand_functions(model: RuntimeModel) -> None:
    kernels = cpu_kernels()
    if kernels is None:
        return
    proto = model.proto
    opset = _opset(proto, "")
    new_nodes: list[onnx.NodeProto] = []
    changed = False
    for node in proto.graph.node:
        index = model.kernel_to_node[node.name]
        body = None
        if node.domain in STANDARD_DOMAINS and not _has_kernel(kernels, node.op_type, "", opset):
            body = _function_body(node, opset)
        if body is None:
            new_nodes.append(node)
            continue
        expansion = _inline(node, *body)
        if expansion is None:
            new_nodes.append(node)
            continue
        changed = True
        del model.kernel_to_node[node.name]
        model.expanded[index] = [n.name for n in expansion]
        for inner in expansion:
            model.kernel_to_node[inner.name] = index
        new_nodes.extend(expansion)
    if changed:
        del proto.graph.node[:]
        proto.graph.node.extend(new_nodes)


def _function_body(node: onnx.NodeProto, opset: int):
    try:
        schema = onnx.defs.get_schema(node.op_type, opset, "")
    except onnx.defs.SchemaError:
        return None
    if not schema.has_function or schema.has_context_dependent_function:
        return None
    try:
        body = schema.get_function_with_opset_version(opset)
        if isinstance(body, bytes):
            body = onnx.FunctionProto.FromString(body)
    except Exception:
        body = schema.function_body
    if body is None or not body.node:
        return None
    return body, schema


def _inline(node: onnx.NodeProto, body: onnx.FunctionProto, schema) -> list[onnx.NodeProto] | None:
    """The nodes of ``body`` wired to ``node``'s tensors, named after ``node``."""
    rename = {formal: (node.input[i] if i < len(node.input) else "") for i, formal in
              enumerate(body.input)}  # fmt: skip
    rename.update({formal: node.output[i] for i, formal in enumerate(body.output)
                   if i < len(node.output)})  # fmt: skip
    attrs = {a.name: a for a in node.attribute}
    nodes = []
    for position, inner in enumerate(body.node):
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
               for a in inner.attribute):  # fmt: skip
            return None
        if inner.domain not in STANDARD_DOMAINS:
            return None
        copy = onnx.NodeProto()
        copy.CopyFrom(inner)
        copy.name = f"{node.name}#fn{position}:{inner.op_type}"
        for i, tensor in enumerate(copy.input):
            copy.input[i] = rename.get(tensor, f"{node.name}#fn/{tensor}" if tensor else "")
        for i, tensor in enumerate(copy.output):
            copy.output[i] = rename.get(tensor, f"{node.name}#fn/{tensor}")
        resolved = []
        for attr in copy.attribute:
            if not attr.ref_attr_name:
                resolved.append(attr)
                continue
            given = attrs.get(attr.ref_attr_name)
            if given is None:
                default = schema.attributes.get(attr.ref_attr_name)
                if default is None or not default.default_value.name:
                    continue
                given = default.default_value
            value = onnx.AttributeProto()
            value.CopyFrom(given)
            value.name = attr.name
            resolved.append(value)
        del copy.attribute[:]
        copy.attribute.extend(resolved)
        nodes.append(copy)
    return nodes
