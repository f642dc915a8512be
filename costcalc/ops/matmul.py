"""Contractions: Gemm, MatMul and Einsum, the only MAC-counting ops besides convolutions.

Gemm  Y = alpha * A' B' + beta * C, A' (M, K) and B' (K, N) after transA / transB:
      MACs = M * N * K.
      Per output element (M * N of them), whatever C's broadcast shape:
      alpha != 1 adds ELEMENTWISE["Mul"]; a C input with beta != 0 adds ELEMENTWISE["Add"],
      and ELEMENTWISE["Mul"] more when beta != 1. B and C are weights (slots 1, 2).
MatMul numpy semantics: a 1-D first operand is a row (1, K), a 1-D second operand a
      column (K, 1), the promoted axis dropped from Y; batch dims broadcast.
      MACs = prod(broadcast batch) * M * K * N. Either operand is a weight when it is a
      constant (slots 0, 1).
Einsum two operands: MACs = product of the sizes of all distinct index letters (and of
      the broadcast ``...`` dims). One operand: a pure permutation or diagonal is free,
      otherwise each element entering the sum costs WINDOW_ELEMENT. Three or more
      operands raise FormulaError (the cost depends on the contraction order).
"""

from __future__ import annotations

from costcalc.ir import Node, Shape
from costcalc.ops.common import FormulaError, numel, shape_of
from costcalc.ops.elementwise import broadcast
from costcalc.ops.flop_table import ELEMENTWISE, WINDOW_ELEMENT
from costcalc.ops.registry import REGISTRY, Work


def _check_output(node: Node, expected: Shape) -> None:
    y = node.outputs[0].shape if node.outputs else None
    if y is not None and tuple(y) != tuple(expected):
        raise FormulaError(
            f"{node.op} node {node.name!r}: inputs give output {list(expected)}, "
            f"but the output is {list(y)}"
        )


@REGISTRY.formula("Gemm", weights=(1, 2))
def gemm(node: Node) -> Work:
    a = shape_of(node.input(0), "A", node)
    b = shape_of(node.input(1), "B", node)
    if len(a) != 2 or len(b) != 2:
        raise FormulaError(f"Gemm node {node.name!r}: A {list(a)} and B {list(b)} must be 2-D")
    m, k = (a[1], a[0]) if node.attr("transA", 0) else a
    kb, n = (b[1], b[0]) if node.attr("transB", 0) else b
    if k != kb:
        raise FormulaError(
            f"Gemm node {node.name!r}: A {list(a)} gives K={k} but B {list(b)} gives K={kb} "
            f"(transA={node.attr('transA', 0)}, transB={node.attr('transB', 0)})"
        )
    _check_output(node, (m, n))
    per_output = ELEMENTWISE["Mul"] if float(node.attr("alpha", 1.0)) != 1.0 else 0
    c = node.input(2)
    beta = float(node.attr("beta", 1.0))
    if c is not None and beta != 0.0:
        if c.shape is not None and broadcast([(m, n), c.shape], node) != (m, n):
            raise FormulaError(
                f"Gemm node {node.name!r}: C {list(c.shape)} does not broadcast to {[m, n]}"
            )
        per_output += ELEMENTWISE["Add"] + (ELEMENTWISE["Mul"] if beta != 1.0 else 0)
    return Work(m * n * k, per_output * m * n)


@REGISTRY.formula("MatMul", weights=(0, 1))
def matmul(node: Node) -> Work:
    return Work(matmul_macs(node), 0)


def matmul_macs(node: Node, a_slot: int = 0, b_slot: int = 1) -> int:
    """MACs of a numpy-semantics matmul of slots ``a_slot`` and ``b_slot`` (MatMul: 0, 1;
    QLinearMatMul: 0, 3), its output shape checked."""
    a = shape_of(node.input(a_slot), "A", node)
    b = shape_of(node.input(b_slot), "B", node)
    if not a or not b:
        raise FormulaError(
            f"{node.op} node {node.name!r}: operands {list(a)}, {list(b)} are scalars"
        )
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    m, k = a2[-2:]
    kb, n = b2[-2:]
    if k != kb:
        raise FormulaError(
            f"{node.op} node {node.name!r}: inner dimensions differ: A {list(a)} has {k}, "
            f"B {list(b)} has {kb}"
        )
    batch = broadcast([a2[:-2], b2[:-2]], node)
    _check_output(node, (*batch, *((m,) if len(a) > 1 else ()), *((n,) if len(b) > 1 else ())))
    return numel(batch) * m * k * n


# ---- Einsum -------------------------------------------------------------------------

ELLIPSIS = "..."


def _terms(text: str, node: Node) -> list[str]:
    """Labels of one subscript term: letters, and ELLIPSIS at most once."""
    labels: list[str] = []
    rest = text
    while rest:
        if rest.startswith(ELLIPSIS):
            labels.append(ELLIPSIS)
            rest = rest[len(ELLIPSIS) :]
        elif rest[0].isascii() and rest[0].isalpha():
            labels.append(rest[0])
            rest = rest[1:]
        else:
            raise FormulaError(f"Einsum node {node.name!r}: bad subscript {text!r}")
    if labels.count(ELLIPSIS) > 1:
        raise FormulaError(f"Einsum node {node.name!r}: more than one ellipsis in {text!r}")
    return labels


def parse_equation(equation: str, node: Node) -> tuple[list[list[str]], list[str]]:
    """(input terms, output term) of an Einsum equation; implicit output per numpy."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    inputs = [_terms(term, node) for term in lhs.split(",")]
    if arrow:
        return inputs, _terms(rhs, node)
    letters = [label for term in inputs for label in term if label != ELLIPSIS]
    once = sorted(label for label in set(letters) if letters.count(label) == 1)
    has_ellipsis = any(ELLIPSIS in term for term in inputs)
    return inputs, ([ELLIPSIS] if has_ellipsis else []) + once


def _bind(terms: list[list[str]], shapes: list[Shape], node: Node) -> tuple[dict[str, int], Shape]:
    """Size of every letter, and the broadcast shape of the ``...`` dims."""
    sizes: dict[str, int] = {}
    ellipses: list[Shape] = []
    for term, shape in zip(terms, shapes, strict=True):
        letters = len(term) - (ELLIPSIS in term)
        spare = len(shape) - letters
        if spare < 0 or (spare > 0 and ELLIPSIS not in term):
            raise FormulaError(
                f"Einsum node {node.name!r}: term {''.join(term)!r} does not fit "
                f"shape {list(shape)}"
            )
        dims = list(shape)
        for label in term:
            if label == ELLIPSIS:
                ellipses.append(tuple(dims[:spare]))
                dims = dims[spare:]
                continue
            size = dims.pop(0)
            if sizes.setdefault(label, size) != size:
                raise FormulaError(
                    f"Einsum node {node.name!r}: index {label!r} has sizes "
                    f"{sizes[label]} and {size}"
                )
    return sizes, broadcast(ellipses, node)


@REGISTRY.formula("Einsum", weights=(0, 1))
def einsum(node: Node) -> Work:
    equation = node.attr("equation")
    if not isinstance(equation, str):
        raise FormulaError(f"Einsum node {node.name!r}: no equation")
    terms, output = parse_equation(equation, node)
    operands = [shape_of(t, f"operand {i}", node) for i, t in enumerate(node.inputs)]
    if len(terms) != len(operands):
        raise FormulaError(
            f"Einsum node {node.name!r}: {equation!r} has {len(terms)} operands, "
            f"the node {len(operands)}"
        )
    if len(terms) > 2:
        raise FormulaError(
            f"Einsum node {node.name!r}: {equation!r} contracts {len(terms)} operands; "
            "only one or two are supported"
        )
    sizes, ellipsis_shape = _bind(terms, operands, node)
    unknown = [label for label in output if label != ELLIPSIS and label not in sizes]
    if unknown:
        raise FormulaError(f"Einsum node {node.name!r}: output index {unknown[0]!r} is no input's")
    expected: list[int] = []
    for label in output:
        expected.extend(ellipsis_shape if label == ELLIPSIS else (sizes[label],))
    _check_output(node, tuple(expected))
    product = numel(tuple(sizes.values())) * numel(ellipsis_shape)
    if len(terms) == 2:
        return Work(product, 0)
    summed = bool(set(sizes) - set(output)) or (bool(ellipsis_shape) and ELLIPSIS not in output)
    return Work(0, WINDOW_ELEMENT * product if summed else 0)
