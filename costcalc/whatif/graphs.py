"""Each alternative as a tiny IR graph, costed by ``costcalc.calculator.calculate`` with
the op registry, its numbers checked against its formulas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from costcalc.calculator import calculate
from costcalc.ir import Graph, Node, TensorSpec
from costcalc.whatif.formulas import Expr, FormulaMismatchError, checked, const, sym, total
from costcalc.whatif.results import Alternative


class GraphBuilder:
    """A tiny IR graph: float activations and trainable float weights, named in order."""

    def __init__(self, name: str, x_shape: tuple[int, ...]) -> None:
        self.name = name
        self.x = TensorSpec("x", x_shape, "float32")
        self.nodes: list[Node] = []

    @staticmethod
    def weight(name: str, shape: tuple[int, ...]) -> TensorSpec:
        return TensorSpec(name, shape, "float32", storage=name, trainable=True)

    def add(self, op: str, inputs: tuple, out_shape: tuple[int, ...], **attrs: Any) -> TensorSpec:
        name = f"{op.lower()}{len(self.nodes)}"
        y = TensorSpec(f"{name}.out", out_shape, "float32")
        self.nodes.append(Node(name, op, inputs, (y,), attrs))
        return y

    def conv(
        self, x: TensorSpec, cout: int, kernel: tuple[int, int], groups: int = 1,
        stride: int = 1, pads: tuple[int, int] = (0, 0), bias: bool = False,
    ) -> TensorSpec:  # fmt: skip
        n, cin, h, w = x.shape
        out = (
            (h + 2 * pads[0] - kernel[0]) // stride + 1,
            (w + 2 * pads[1] - kernel[1]) // stride + 1,
        )
        index = len(self.nodes)
        inputs = [x, self.weight(f"conv{index}.weight", (cout, cin // groups, *kernel))]
        if bias:
            inputs.append(self.weight(f"conv{index}.bias", (cout,)))
        return self.add(
            "Conv", tuple(inputs), (n, cout, *out), group=groups, kernel_shape=list(kernel),
            strides=[stride, stride], pads=[pads[0], pads[1], pads[0], pads[1]],
        )  # fmt: skip

    def graph(self) -> Graph:
        return Graph(self.name, tuple(self.nodes), (self.x,), (self.nodes[-1].outputs[0],),
                     source="costcalc layer")  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """An alternative before costing: its graph and the formulas it must agree with."""

    name: str
    description: str
    graph: Graph | None  # None: no layer at all (costs 0)
    params: Expr
    macs: Expr
    flops: Callable[[int], Expr]  # given the MAC count (written ``MACs`` in the formula)
    bytes: Expr


def cost(plan: Plan, dtype: str, given: bool) -> Alternative:
    """The plan's graph costed by the registry, each number checked against its formula."""
    if plan.graph is None:
        read = write = param_bytes = params = macs = flops = 0
    else:
        report = calculate(plan.graph, dtype=dtype)
        if report.unsupported:
            raise FormulaMismatchError(
                f"{plan.name}: the registry cannot cost {report.unsupported}"
            )
        t = report.totals
        read, write, param_bytes = t.read_bytes, t.write_bytes, t.param_bytes
        params, macs, flops = t.params, t.macs, t.flops
    formulas = {
        "params": checked(f"{plan.name} params", plan.params, params),
        "macs": checked(f"{plan.name} MACs", plan.macs, macs),
        "flops": checked(f"{plan.name} FLOPs", plan.flops(macs), flops),
        "bytes": checked(f"{plan.name} bytes", plan.bytes, read + write),
    }
    return Alternative(
        plan.name, plan.description, params, macs, flops, read + write, formulas,
        read, write, param_bytes, given,
    )  # fmt: skip


def flops_of_macs(*extra: Expr | None) -> Callable[[int], Expr]:
    """FLOPs = 2 × MACs + the other operations (biases, pooling, activations...)."""
    return lambda macs: total(const(2) * sym("MACs", macs), *extra)
