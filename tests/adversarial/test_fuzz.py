"""Fuzzing.

1. Property-based (hypothesis): random small valid ONNX graphs from the supported ops
   (Conv with random groups/strides/pads/dilations, BatchNorm, activations, pools, Add/Mul
   with broadcasting constants or other activations, Concat, Transpose, Reshape, Flatten,
   MatMul with broadcast batch dims, Gemm), checked against invariants:
   - rows add up to the totals;
   - every output shape costcalc reports is the shape onnxruntime produces when it runs
     the model;
   - params are the elements of the initializers in weight slots (each counted once);
   - each layer's dense twin (groups=1) has at least its MACs and params, and so has the
     model's, unless a depthwise-separable pair is dearer than the conv it factorises;
   - the peak activation memory is at most the sum of all activation tensors;
   - no exception at all (these models are valid).
2. Mutations: seed models serialised, then mutated (bytes: flips, cuts, insertions,
   duplications; structure: dims, attributes, op types, inputs, opsets, dtypes, node order)
   and analysed from a file: the only exception allowed is CostcalcError (one line, exit 2
   on the command line), and a report that comes back adds up.

Sizes: ``make test`` runs 30 hypothesis examples and 300 mutations. ``make fuzz`` runs
``HYPOTHESIS_PROFILE=fuzz`` (500 examples) and ``FUZZ_MUTATIONS=10000``; ``FUZZ_SEED``
changes the mutation seed (default 0, so a failure reproduces).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import costcalc
from costcalc.errors import CostcalcError
from tests.onnx_models import conv_bn_relu_model, custom_op_model

ort = pytest.importorskip("onnxruntime")

settings.register_profile(
    "default", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
MUTATIONS = int(os.environ.get("FUZZ_MUTATIONS", "300"))
SEED = int(os.environ.get("FUZZ_SEED", "0"))
FIELDS = ("params", "macs", "flops", "read_bytes", "write_bytes")


# ---- 1. random valid graphs ------------------------------------------------------------


@dataclass
class Builder:
    """Grows a graph one node at a time, tracking shapes and the expected params."""

    shape: tuple[int, ...]
    current: str = "x"
    nodes: list = field(default_factory=list)
    inits: list = field(default_factory=list)
    params: int = 0
    earlier: list = field(default_factory=list)  # (name, shape) of earlier 4-D activations
    count: int = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, shape, weight: bool, dtype=np.float32, values=None) -> str:
        name = self.name("w")
        data = np.zeros(shape, dtype) if values is None else np.array(values, dtype)
        self.inits.append(numpy_helper.from_array(data, name))
        if weight:
            self.params += int(np.prod(shape))
        return name

    def add(self, op: str, inputs: list[str], shape, **attrs) -> None:
        out = self.name("t")
        self.nodes.append(helper.make_node(op, inputs, [out], name=self.name(op), **attrs))
        if len(self.shape) == 4 and len(shape) == 4:
            self.earlier.append((self.current, self.shape))
        self.current, self.shape = out, tuple(shape)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _out(size: int, kernel: int, stride: int, pads: tuple[int, int], dilation: int = 1,
         ceil: bool = False) -> int:  # fmt: skip
    span = size + pads[0] + pads[1] - dilation * (kernel - 1) - 1
    return (-(-span // stride) if ceil else span // stride) + 1


@st.composite
def conv_layer(draw, b: Builder) -> None:
    n, c, h, w = b.shape
    groups = draw(st.sampled_from(_divisors(c)))
    cout = groups * draw(st.integers(1, 3))
    kernel = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    strides = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    dilations = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    pads = [draw(st.integers(0, k - 1)) for k in kernel * 2]  # begin h, w; end h, w
    oh = _out(h, kernel[0], strides[0], (pads[0], pads[2]), dilations[0])
    ow = _out(w, kernel[1], strides[1], (pads[1], pads[3]), dilations[1])
    if oh < 1 or ow < 1:
        return
    inputs = [b.current, b.const((cout, c // groups, *kernel), weight=True)]
    if draw(st.booleans()):
        inputs.append(b.const((cout,), weight=True))
    b.add("Conv", inputs, (n, cout, oh, ow), group=groups, kernel_shape=kernel,
          strides=strides, dilations=dilations, pads=pads)  # fmt: skip


@st.composite
def pool_layer(draw, b: Builder) -> None:
    n, c, h, w = b.shape
    op = draw(st.sampled_from(["MaxPool", "AveragePool"]))
    kernel = [draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w)))]
    strides = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    pads = [draw(st.integers(0, k - 1)) for k in kernel * 2]
    ceil = draw(st.booleans())
    oh = _out(h, kernel[0], strides[0], (pads[0], pads[2]), ceil=ceil)
    ow = _out(w, kernel[1], strides[1], (pads[1], pads[3]), ceil=ceil)
    # in ceil mode a last window starting past the input and its leading padding is
    # dropped by onnxruntime's kernels but kept by onnx's shape inference, which
    # onnxruntime also runs on load: a model with one fails there whenever a later node
    # checks the shape. Such pools get their own test (test_graphs.py); not here.
    if ceil and ((oh - 1) * strides[0] >= h + pads[0] or (ow - 1) * strides[1] >= w + pads[1]):
        return
    if oh < 1 or ow < 1:
        return
    b.add(op, [b.current], (n, c, oh, ow), kernel_shape=kernel, strides=strides, pads=pads,
          ceil_mode=int(ceil))  # fmt: skip


@st.composite
def elementwise_layer(draw, b: Builder) -> None:
    _n, c, _h, w = b.shape
    op = draw(st.sampled_from(["Add", "Mul"]))
    same = [name for name, shape in b.earlier if shape == b.shape]
    choice = draw(st.sampled_from(["channel", "scalar", "row", "full", "activation"]))
    if choice == "activation" and same:
        other = draw(st.sampled_from(same))
    else:
        shape = {"channel": (c, 1, 1), "scalar": (1,), "row": (w,), "full": (1, c, 1, 1),
                 "activation": (1,)}[choice]  # fmt: skip
        # a constant operand of more than one element is a learned scale/shift
        other = b.const(shape, weight=int(np.prod(shape)) > 1)
    operands = [b.current, other] if draw(st.booleans()) else [other, b.current]
    b.add(op, operands, b.shape)


@st.composite
def layer(draw, b: Builder) -> None:
    kind = draw(st.sampled_from(["conv", "conv", "pool", "ew", "act", "bn", "concat"]))
    if kind == "conv":
        draw(conv_layer(b))
    elif kind == "pool":
        draw(pool_layer(b))
    elif kind == "ew":
        draw(elementwise_layer(b))
    elif kind == "act":
        op = draw(st.sampled_from(["Relu", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu"]))
        b.add(op, [b.current], b.shape)
    elif kind == "bn":
        c = b.shape[1]
        scale, shift = b.const((c,), True, values=np.ones(c)), b.const((c,), True)
        mean, var = b.const((c,), False), b.const((c,), False, values=np.ones(c))
        b.add("BatchNormalization", [b.current, scale, shift, mean, var], b.shape)
    else:
        n, c, h, w = b.shape
        same = [(name, s) for name, s in b.earlier if s[0] == n and s[2:] == (h, w)]
        if same:
            other, shape = draw(st.sampled_from(same))
            b.add("Concat", [b.current, other], (n, c + shape[1], h, w), axis=1)


@st.composite
def tail(draw, b: Builder) -> None:
    n, c, h, w = b.shape
    kind = draw(st.sampled_from(["none", "gemm", "matmul", "batched", "transpose"]))
    if kind == "gemm":
        b.add("GlobalAveragePool", [b.current], (n, c, 1, 1))
        b.add("Flatten", [b.current], (n, c))
        features = draw(st.integers(1, 5))
        trans = draw(st.booleans())
        inputs = [b.current, b.const((features, c) if trans else (c, features), weight=True)]
        if draw(st.booleans()):
            inputs.append(b.const((features,), weight=True))
        b.add("Gemm", inputs, (n, features), transB=int(trans))
    elif kind == "matmul":
        target = b.const((2,), weight=False, dtype=np.int64, values=[n, -1])
        b.add("Reshape", [b.current, target], (n, c * h * w))
        features = draw(st.integers(1, 4))
        b.add("MatMul", [b.current, b.const((c * h * w, features), weight=True)], (n, features))
    elif kind == "batched":  # (n, c, h, w) @ (w, f): batch dims broadcast
        features = draw(st.integers(1, 4))
        b.add("MatMul", [b.current, b.const((w, features), weight=True)], (n, c, h, features))
    elif kind == "transpose":
        perm = draw(st.permutations(range(4)))
        b.add("Transpose", [b.current], tuple(b.shape[i] for i in perm), perm=list(perm))


@st.composite
def random_models(draw) -> tuple[onnx.ModelProto, int]:
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 6)), draw(st.integers(3, 9)),
             draw(st.integers(3, 9)))  # fmt: skip
    b = Builder(shape)
    for _ in range(draw(st.integers(1, 6))):
        draw(layer(b))
    draw(tail(b))
    if not b.nodes:
        b.add("Relu", [b.current], b.shape)
    # every node output is a graph output, so onnxruntime returns each one's shape
    outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
               for node in b.nodes for o in node.output]  # fmt: skip
    graph = helper.make_graph(b.nodes, "fuzz", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, list(shape))], outputs, b.inits)  # fmt: skip
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    return proto, b.params


def _runtime_shapes(proto: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(proto.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    shape = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    results = session.run(None, {"x": np.zeros(shape, np.float32)})
    return {o.name: r.shape for o, r in zip(session.get_outputs(), results, strict=True)}


def _rows_add_up(report) -> None:
    for name in FIELDS:
        rows = sum(getattr(r, name) or 0 for r in report.layers)
        assert rows == getattr(report.totals, name), name


@PROFILE
@given(random_models())
def test_random_valid_graphs_keep_the_invariants(case):
    proto, expected_params = case
    runtime = _runtime_shapes(proto)
    report = costcalc.analyze(proto, baseline="dense")
    _rows_add_up(report)
    for node, row in zip(proto.graph.node, report.layers, strict=True):
        assert row.outputs == [list(runtime[o]) for o in node.output], node.name
    assert report.totals.params == expected_params
    assert report.unsupported == [] and not report.totals.lower_bound
    t = report.totals
    for row in report.layers:  # each layer's groups=1 twin costs at least as much
        assert row.dense_macs >= row.macs and row.dense_params >= row.params, row.name
    # the model's dense twin also swaps each depthwise-separable pair for the standard
    # conv it factorises, whose cost ratio is m/Cout + m/K (m: channel multiplier, K:
    # kernel elements): cheaper than the pair when that exceeds 1 (a 1x1 "depthwise")
    ratios = [
        p.attrs["multiplier"] / p.attrs["cout"] + p.attrs["multiplier"] / np.prod(p.attrs["kernel"])
        for p in report.patterns
        if p.kind == "depthwise-separable"
    ]
    if all(r <= 1 for r in ratios):
        assert t.dense_macs >= t.macs and t.dense_params >= t.params
    activations = 4 * (
        int(np.prod(proto_input_shape(proto))) + sum(int(np.prod(s)) for s in runtime.values())
    )
    assert t.peak_activation_bytes <= activations


def proto_input_shape(proto: onnx.ModelProto) -> list[int]:
    return [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]


# ---- 2. mutations ----------------------------------------------------------------------


def _shape_arithmetic_seed() -> onnx.ModelProto:
    """x.view(n, 2, c // 2, -1) as TorchScript exports it: Shape, Gather, Div, Concat."""
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)  # noqa: E731
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["n"], name="g0", axis=0),
        helper.make_node("Gather", ["s", "i1"], ["c"], name="g1", axis=0),
        helper.make_node("Div", ["c", "two"], ["half"], name="div"),
        helper.make_node("Concat", ["n", "two", "half", "minus1"], ["target"], name="cat",
                         axis=0),
        helper.make_node("Reshape", ["x", "target"], ["r"], name="reshape"),
        helper.make_node("Relu", ["r"], ["y"], name="relu"),
    ]  # fmt: skip
    inits = [i64("i0", [0]), i64("i1", [1]), i64("two", [2]), i64("minus1", [-1])]
    graph = helper.make_graph(nodes, "shapes", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [2, 8, 6, 6])], [helper.make_tensor_value_info(
        "y", TensorProto.FLOAT, None)], inits)  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _seeds() -> list[onnx.ModelProto]:
    from costcalc.examples.mobilenet_onnx import build_mobilenet_v1
    from tests.adversarial.test_graphs import _if_model, _loop_model

    mobilenet = build_mobilenet_v1(width=0.25, resolution=32, classes=10, seed=None)
    mobilenet.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1  # bind N
    seeds = [conv_bn_relu_model(), custom_op_model(), _if_model(), _loop_model(3, "stop"),
             _shape_arithmetic_seed(), mobilenet]  # fmt: skip
    qconv = [numpy_helper.from_array(np.array(v, t), n) for n, v, t in (
        ("xs", 0.1, np.float32), ("xz", 0, np.uint8), ("ws", 0.1, np.float32),
        ("wz", 0, np.int8), ("ys", 0.2, np.float32), ("yz", 0, np.uint8))]  # fmt: skip
    qconv.append(numpy_helper.from_array(np.zeros((4, 2, 3, 3), np.int8), "W"))
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "W", "ws", "wz", "ys", "yz"],
                            ["y"], name="qconv", pads=[1, 1, 1, 1])  # fmt: skip
    graph = helper.make_graph([node], "q", [helper.make_tensor_value_info(
        "x", TensorProto.UINT8, [1, 2, 5, 5])], [helper.make_tensor_value_info(
        "y", TensorProto.UINT8, None)], qconv)  # fmt: skip
    seeds.append(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    return seeds


OPS = ["Relu", "Conv", "MatMul", "Gemm", "Add", "Concat", "Reshape", "If", "Loop", "Split",
       "Squeeze", "MaxPool", "Mystery", "QLinearConv", "Slice", "Resize", ""]  # fmt: skip


def _mutate_structure(proto: onnx.ModelProto, rng: random.Random) -> str:
    g = proto.graph
    choice = rng.randrange(12)
    nodes = list(g.node)
    if choice == 0 and g.input:
        dims = g.input[0].type.tensor_type.shape.dim
        if dims:
            d = rng.choice(dims)
            value = rng.choice([0, 1, -1, -7, 2**40, rng.randrange(100)])
            d.dim_value = value
            return f"input dim -> {value}"
    if choice == 1 and nodes:
        node = rng.choice(nodes)
        if node.attribute:
            attr = rng.choice(node.attribute)
            if attr.type == onnx.AttributeProto.INT:
                attr.i = rng.choice([0, -1, 3, 1000, 2**33])
            elif attr.type == onnx.AttributeProto.INTS and attr.ints:
                attr.ints[rng.randrange(len(attr.ints))] = rng.choice([0, -2, 5, 99])
            elif attr.type == onnx.AttributeProto.FLOAT:
                attr.f = rng.choice([float("nan"), float("inf"), -1.0])
            return f"attribute {attr.name} of {node.name}"
    if choice == 2 and nodes:
        node = rng.choice(nodes)
        node.op_type = rng.choice(OPS)
        return f"op type of {node.name} -> {node.op_type}"
    if choice == 3 and nodes:
        node = rng.choice(nodes)
        if node.input:
            node.input[rng.randrange(len(node.input))] = rng.choice(["", "nowhere", "x", "y"])
            return f"an input of {node.name}"
    if choice == 4 and nodes:
        del g.node[rng.randrange(len(nodes))]
        return "a node deleted"
    if choice == 5 and len(nodes) > 1:
        i, j = rng.sample(range(len(nodes)), 2)
        a, b = onnx.NodeProto(), onnx.NodeProto()
        a.CopyFrom(nodes[i])
        b.CopyFrom(nodes[j])
        g.node[i].CopyFrom(b)
        g.node[j].CopyFrom(a)
        return "two nodes swapped"
    if choice == 6 and proto.opset_import:
        proto.opset_import[0].version = rng.choice([1, 6, 9, 11, 13, 18, 21, 25, 99])
        return f"opset -> {proto.opset_import[0].version}"
    if choice == 7 and g.initializer:
        t = rng.choice(g.initializer)
        t.dims[:] = [rng.choice([0, 1, 3, 7]) for _ in range(rng.randrange(5))]
        return f"dims of {t.name}"
    if choice == 8 and g.input:
        g.input[0].type.tensor_type.elem_type = rng.randrange(30)
        return "input element type"
    if choice == 9 and nodes:
        node = rng.choice(nodes)
        if node.output:
            node.output[0] = rng.choice(["x", nodes[0].output[0], "dup"])
            return f"output of {node.name} renamed"
    if choice == 10 and g.input:
        dims = g.input[0].type.tensor_type.shape.dim
        if dims:
            rng.choice(dims).dim_param = rng.choice(["N", "batch", "?"])
            return "a symbolic input dim"
    if choice == 11 and g.initializer:
        t = rng.choice(g.initializer)
        t.data_type = rng.randrange(30)
        return f"data type of {t.name}"
    g.ClearField("output")
    return "outputs cleared"


def _mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    data = bytearray(data)
    choice = rng.randrange(6)
    if choice == 0:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data), "bit flips"
    if choice == 1:
        i = rng.randrange(len(data))
        data[i] = rng.randrange(256)
        return bytes(data), "a byte replaced"
    if choice == 2:
        return bytes(data[: rng.randrange(len(data))]), "truncated"
    if choice == 3:
        i = rng.randrange(len(data))
        return bytes(data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
                     + data[i:]), "bytes inserted"  # fmt: skip
    if choice == 4:
        i = rng.randrange(len(data))
        j = min(len(data), i + rng.randint(1, 32))
        return bytes(data[:i] + data[j:]), "bytes deleted"
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 64))
    return bytes(data[:j] + data[i:j] + data[j:]), "a chunk duplicated"


def run_mutations(count: int, seed: int, folder: Path) -> dict[str, int]:
    """Analyse ``count`` mutants; raise AssertionError listing any unexpected exception."""
    rng = random.Random(seed)
    seeds = _seeds()
    path = folder / "mutant.onnx"
    outcomes = {"ok": 0, "rejected": 0}
    failures: list[str] = []
    for index in range(count):
        proto = onnx.ModelProto()
        proto.CopyFrom(rng.choice(seeds))
        if rng.random() < 0.5:  # one to three structural mutations
            what = ", ".join(_mutate_structure(proto, rng) for _ in range(rng.randint(1, 3)))
            data = proto.SerializeToString()
        else:
            data, what = _mutate_bytes(proto.SerializeToString(), rng)
        path.write_bytes(data)
        try:
            report = costcalc.analyze(path)
        except CostcalcError as exc:
            assert "\n" not in str(exc).strip() or str(exc).strip().splitlines()[0]
            outcomes["rejected"] += 1
            continue
        except Exception as exc:  # a crash: what the suite exists to find
            failures.append(f"#{index} ({what}): {type(exc).__name__}: {exc}"[:300])
            continue
        outcomes["ok"] += 1
        for name in FIELDS:
            if sum(getattr(r, name) or 0 for r in report.layers) != getattr(report.totals, name):
                failures.append(f"#{index} ({what}): rows do not add up to {name}")
    assert not failures, f"{len(failures)} of {count} mutants (seed {seed}):\n" + "\n".join(
        failures[:20]
    )
    return outcomes


def test_mutated_models_fail_only_with_costcalc_errors(tmp_path):
    start = time.perf_counter()
    outcomes = run_mutations(MUTATIONS, SEED, tmp_path)
    elapsed = time.perf_counter() - start
    assert outcomes["ok"] + outcomes["rejected"] == MUTATIONS
    # both outcomes occur: the mutations reach the analysis, not only the parser
    assert outcomes["ok"] > 0 and outcomes["rejected"] > 0
    print(f"\n{MUTATIONS} mutants in {elapsed:.1f}s: {outcomes}")
