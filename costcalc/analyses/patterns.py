"""Lightweight-CNN block patterns, found on the IR so both frontends give the same ones.

- depthwise-separable: a depthwise KxK conv, then (normalisation/activation, an SE block
  allowed) a pointwise 1x1 conv; it replaces one standard KxK conv Cin -> Cout.
- squeeze-excitation: global pool -> FC/1x1 -> activation -> FC/1x1 -> sigmoid or
  hard-sigmoid -> multiply with the pooled tensor.
- channel-shuffle: reshape (N, g, C/g, H, W) -> transpose -> reshape (N, C, H, W), or one
  channel_shuffle op.
- pointwise-group-conv+shuffle: a 1x1 group conv whose output (through normalisation and
  activation) is channel-shuffled: the ShuffleNet unit.
- global-depthwise-conv: a depthwise conv whose kernel is its input's spatial size (GDC).
- group-conv: 1 < groups < Cin (ResNeXt, ShuffleNet).

Each pass visits every node a bounded number of times: linear in the graph size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any

from costcalc.analyses.graph_walk import GraphIndex, conv_geometry, conv_kind
from costcalc.ir import Graph

NORM_ACT = frozenset({
    "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization",
    "Relu", "Clip", "LeakyRelu", "PRelu", "HardSwish", "Swish", "Gelu", "Elu", "Selu", "Mish",
    "Tanh", "Sigmoid", "HardSigmoid",
})  # fmt: skip
GATES = frozenset({"Sigmoid", "HardSigmoid"})
FC_OPS = frozenset({"Conv", "Gemm", "MatMul"})
GLOBAL_POOLS = frozenset({"GlobalAveragePool", "ReduceMean", "AveragePool", "GlobalMaxPool"})
SHUFFLE_STEPS = frozenset({"Transpose", "View", "Copy", "Reshape", "Identity"})

# When a layer belongs to several patterns, the one named on its row, most specific first.
PRIORITY = (
    "depthwise-separable", "squeeze-excitation", "pointwise-group-conv+shuffle",
    "channel-shuffle", "global-depthwise-conv", "group-conv",
)  # fmt: skip


@dataclass(frozen=True)
class Pattern:
    kind: str
    members: tuple[int, ...]  # node indices of the costed ops it consists of
    attrs: dict[str, Any] = field(default_factory=dict)
    crossed: tuple[int, ...] = ()  # views and reshapes between the members


def find_patterns(graph: Graph) -> list[Pattern]:
    index = GraphIndex(graph)
    found = _squeeze_excitations(index)
    se_inner = {m for p in found for m in p.members[:-1]}  # all but the final Mul
    se_muls = {p.members[-1] for p in found}
    shuffles = _channel_shuffles(index)
    found += shuffles
    shuffle_start = {p.members[0]: p for p in shuffles}
    for i, node in enumerate(graph.nodes):
        geometry = conv_geometry(node)
        if geometry is None:
            continue
        kind = conv_kind(geometry)
        if kind == "depthwise" and prod(geometry["kernel"]) > 1:
            # a 1x1 "depthwise" conv is a per-channel scale: no KxK conv for it to replace
            pattern = _depthwise_separable(index, i, geometry, se_inner, se_muls)
            if pattern is not None:
                found.append(pattern)
        elif kind == "global-depthwise":
            attrs = {"channels": geometry["cin"], "kernel": list(geometry["kernel"])}
            found.append(Pattern("global-depthwise-conv", (i,), attrs))
        elif kind in ("group", "pointwise-group"):
            attrs = {"groups": geometry["groups"], "kernel": list(geometry["kernel"]),
                     "pointwise": kind == "pointwise-group"}  # fmt: skip
            found.append(Pattern("group-conv", (i,), attrs))
            if kind == "pointwise-group":
                shuffle = _reaches_shuffle(index, i, shuffle_start)
                if shuffle is not None:
                    unit = (i, *shuffle.members)
                    found.append(Pattern("pointwise-group-conv+shuffle", unit, dict(attrs)))
    return found


def _depthwise_separable(index, dw, geometry, se_inner, se_muls) -> Pattern | None:
    members, current = [dw], dw
    while True:
        nexts = [c for c in index.next_ops(current) if c not in se_inner]
        if len(nexts) != 1:
            return None
        candidate = index.nodes[nexts[0]]
        pw = conv_geometry(candidate)
        # a strided or padded 1x1 conv resamples: the pair would not be the factorised
        # KxK conv (its depthwise half would run at another resolution)
        same_grid = pw is not None and pw["out_spatial"] == pw["in_spatial"]
        if same_grid and conv_kind(pw) in ("pointwise", "pointwise-group"):
            members.append(nexts[0])
            attrs = {
                "cin": geometry["cin"], "cout": pw["cout"], "kernel": list(geometry["kernel"]),
                "multiplier": geometry["cout"] // geometry["cin"],
                "pointwise_groups": pw["groups"],
            }  # fmt: skip
            return Pattern("depthwise-separable", tuple(members), attrs)
        if candidate.op not in NORM_ACT and nexts[0] not in se_muls:
            return None
        if nexts[0] not in se_muls:
            members.append(nexts[0])
        current = nexts[0]


def _squeeze_excitations(index: GraphIndex) -> list[Pattern]:
    found = []
    for i, node in enumerate(index.nodes):
        if node.op != "Mul" or len(node.inputs) != 2 or None in node.inputs:
            continue
        for x, gate in (node.inputs, node.inputs[::-1]):
            chain = _se_chain(index, x.name, gate.name)
            if chain is not None:
                members, crossed, attrs = chain
                found.append(Pattern("squeeze-excitation", (*members, i), attrs, tuple(crossed)))
                break
    return found


def _se_chain(index: GraphIndex, x: str, gate: str):
    """pool -> fc -> act -> fc -> gate ending at ``gate``, pooling ``x``; else None."""
    crossed: list[int] = []
    steps: list[int] = []
    tensor = gate
    for allowed in (GATES, FC_OPS, NORM_ACT - GATES, FC_OPS, GLOBAL_POOLS):
        producer, through = index.source(tensor)
        if producer is None or index.nodes[producer].op not in allowed:
            return None
        crossed += through
        steps.append(producer)
        data = index.nodes[producer].inputs[0]
        if data is None:
            return None
        tensor = data.name
    if index.root_tensor(tensor) != index.root_tensor(x):
        return None
    gate_op, fc2, act, fc1, pool = steps
    fc1_node = index.nodes[fc1]
    channels = fc1_node.inputs[0].shape[1] if fc1_node.inputs[0].shape else None
    mid = _fc_width(fc1_node)
    attrs = {
        "channels": channels, "squeeze": mid,
        "reduction": round(channels / mid, 2) if channels and mid else None,
        "gate": index.nodes[gate_op].op,
    }  # fmt: skip
    return [pool, fc1, act, fc2, gate_op], crossed, attrs


def _fc_width(node) -> int | None:
    shape = node.outputs[0].shape
    if shape is None:
        return None
    return shape[1] if node.op == "Conv" else shape[-1]


def _channel_shuffles(index: GraphIndex) -> list[Pattern]:
    found = []
    for i, node in enumerate(index.nodes):
        if node.op == "ChannelShuffle":
            found.append(Pattern("channel-shuffle", (i,), {"groups": node.attr("groups")}))
            continue
        if node.op not in ("Reshape", "View") or not node.inputs or node.inputs[0] is None:
            continue
        x, y = node.inputs[0].shape, node.outputs[0].shape
        if x is None or y is None or len(x) != 4 or len(y) != 5:
            continue
        n, g, per, h, w = y
        if (n, g * per, h, w) != x or g == 1 or per == 1:
            continue
        chain = _follow(index, i, [(n, per, g, h, w), x])
        if chain is not None:
            found.append(
                Pattern("channel-shuffle", tuple(chain), {"groups": g, "channels": g * per})
            )
    return found


def _follow(index: GraphIndex, start: int, targets: list[tuple[int, ...]]) -> list[int] | None:
    """Single-consumer steps from ``start`` reaching each target shape in turn."""
    chain, current = [start], start
    for target in targets:
        for _ in range(3):
            consumers = index.consumers.get(index.nodes[current].outputs[0].name, [])
            if len(consumers) != 1 or index.nodes[consumers[0]].op not in SHUFFLE_STEPS:
                return None
            current = consumers[0]
            chain.append(current)
            if index.nodes[current].outputs[0].shape == tuple(target):
                break
        else:
            return None
    return chain


def _reaches_shuffle(index: GraphIndex, start: int, shuffle_start: dict[int, Pattern]):
    current = start
    for _ in range(4):
        direct = index.consumers.get(index.nodes[current].outputs[0].name, [])
        for candidate in direct:  # a shuffle starts with a reshape: look before skipping views
            if candidate in shuffle_start:
                return shuffle_start[candidate]
        nexts = index.next_ops(current)
        if len(nexts) != 1 or index.nodes[nexts[0]].op not in NORM_ACT:
            return None
        current = nexts[0]
    return None
