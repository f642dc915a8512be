"""Navigating a Graph: who produces and who consumes each tensor, seen through the ops
that only relabel data (views, reshapes, constant folding)."""

from __future__ import annotations

from collections import defaultdict

from costcalc.ir import Graph, Node

# Ops that change no values: a pattern may have them between its members.
TRANSPARENT = frozenset(
    {"View", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Copy"}
)


class GraphIndex:
    """Producers and consumers of every tensor, built in one linear pass."""

    def __init__(self, graph: Graph) -> None:
        self.nodes = graph.nodes
        self.producer: dict[str, int] = {}
        self.consumers: dict[str, list[int]] = defaultdict(list)
        for index, node in enumerate(graph.nodes):
            for tensor in node.inputs:
                if tensor is not None:
                    self.consumers[tensor.name].append(index)
            for tensor in node.outputs:
                self.producer[tensor.name] = index

    def is_transparent(self, index: int) -> bool:
        node = self.nodes[index]
        return node.op in TRANSPARENT and not node.folded

    def next_ops(self, index: int) -> list[int]:
        """The real (non-transparent) ops consuming ``index``'s first output, and the
        transparent ones crossed to reach them are skipped."""
        found: list[int] = []
        stack = [self.nodes[index].outputs[0].name] if self.nodes[index].outputs else []
        while stack:
            for consumer in self.consumers.get(stack.pop(), ()):
                if self.is_transparent(consumer):
                    stack.extend(t.name for t in self.nodes[consumer].outputs)
                else:
                    found.append(consumer)
        return found

    def source(self, tensor_name: str) -> tuple[int | None, list[int]]:
        """The real op producing ``tensor_name`` and the transparent ops crossed on the way."""
        crossed: list[int] = []
        index = self.producer.get(tensor_name)
        while index is not None and self.is_transparent(index):
            crossed.append(index)
            first = self.nodes[index].inputs[0] if self.nodes[index].inputs else None
            index = self.producer.get(first.name) if first is not None else None
        return index, crossed

    def root_tensor(self, tensor_name: str) -> str:
        """The tensor ``tensor_name`` is a view of (through transparent ops)."""
        index = self.producer.get(tensor_name)
        while index is not None and self.is_transparent(index):
            first = self.nodes[index].inputs[0]
            tensor_name = first.name
            index = self.producer.get(tensor_name)
        return tensor_name


def conv_geometry(node: Node) -> dict | None:
    """Channels, groups, kernel and spatial sizes of a Conv node with known shapes."""
    if node.op != "Conv":
        return None
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if x is None or w is None or x.shape is None or w.shape is None or y.shape is None:
        return None
    return {
        "cin": x.shape[1], "cout": y.shape[1], "groups": int(node.attr("group", 1)),
        "kernel": tuple(w.shape[2:]), "in_spatial": tuple(x.shape[2:]),
        "out_spatial": tuple(y.shape[2:]), "batch": y.shape[0], "bias": node.input(2) is not None,
    }  # fmt: skip


def conv_kind(geometry: dict) -> str:
    """dense, depthwise, global-depthwise, group or pointwise-group; 1x1 dense: pointwise."""
    groups, cin = geometry["groups"], geometry["cin"]
    pointwise = all(k == 1 for k in geometry["kernel"])
    if groups > 1 and groups == cin:
        global_kernel = geometry["kernel"] == geometry["in_spatial"] and not pointwise
        if global_kernel and all(s == 1 for s in geometry["out_spatial"]):
            return "global-depthwise"
        return "depthwise"
    if groups > 1:
        return "pointwise-group" if pointwise else "group"
    return "pointwise" if pointwise else "dense"
