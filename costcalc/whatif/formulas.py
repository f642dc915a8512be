"""Formulas kept twice, in symbols (``Cin/G``) and in numbers (``512/4``); the numbers
evaluated exactly and checked against the op registry's."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce

CONV_BIAS_FLOPS = 1  # one add per output element (costcalc/ops/conv.py)


class FormulaMismatchError(RuntimeError):
    """A printed formula evaluates to another number than the registry gives: a bug."""


_ATOM, _PRODUCT, _SUM = 3, 2, 1


@dataclass(frozen=True)
class Expr:
    """An arithmetic formula kept twice: in symbols (``Cin/G``) and in numbers (``512/4``)."""

    sym: str
    num: str
    level: int = _ATOM  # binding strength, to parenthesise only where needed

    def _wrap(self, level: int) -> tuple[str, str]:
        if self.level >= level:
            return self.sym, self.num
        return f"({self.sym})", f"({self.num})"

    def __mul__(self, other: Expr) -> Expr:
        (a, x), (b, y) = self._wrap(_PRODUCT), other._wrap(_PRODUCT)
        return Expr(f"{a} × {b}", f"{x} × {y}", _PRODUCT)

    def __truediv__(self, other: Expr) -> Expr:
        (a, x), (b, y) = self._wrap(_PRODUCT), other._wrap(_ATOM)
        return Expr(f"{a}/{b}", f"{x}/{y}", _PRODUCT)

    def __add__(self, other: Expr) -> Expr:
        return Expr(f"{self.sym} + {other.sym}", f"{self.num} + {other.num}", _SUM)

    def floor(self) -> Expr:
        return Expr(f"⌊{self.sym}⌋", f"⌊{self.num}⌋")

    def ceil(self) -> Expr:
        return Expr(f"⌈{self.sym}⌉", f"⌈{self.num}⌉")


def sym(name: str, value: int) -> Expr:
    return Expr(name, f"{value:,}")


def const(value: int) -> Expr:
    return Expr(f"{value:,}", f"{value:,}")


def product(*factors: Expr | None) -> Expr:
    """The product of the factors given (None: a factor left out, e.g. N when N = 1)."""
    present = [f for f in factors if f is not None]
    return reduce(operator.mul, present) if present else const(1)


def total(*terms: Expr | None) -> Expr:
    present = [t for t in terms if t is not None]
    return reduce(operator.add, present) if present else const(0)


def times(count: int, expr: Expr) -> Expr:
    """``count × expr``, without a factor of 1 (per-element FLOP constants)."""
    return expr if count == 1 else const(count) * expr


_BINARY: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}  # fmt: skip
_FUNCTIONS = {"ceil": math.ceil, "floor": math.floor}


def evaluate(text: str) -> Fraction:
    """The exact value of substituted arithmetic: ``×``, ``/``, ``+``, ``⌈⌉``, ``⌊⌋``, ``1,024``."""
    source = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    for old, new in (("×", "*"), ("·", "*"), ("−", "-"), ("⌈", "ceil("), ("⌉", ")"),
                     ("⌊", "floor("), ("⌋", ")")):  # fmt: skip
        source = source.replace(old, new)
    return _eval(ast.parse(source, mode="eval").body)


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
    ):
        return Fraction(_FUNCTIONS[node.func.id](_eval(node.args[0])))
    raise ValueError(f"not plain arithmetic: {ast.unparse(node)}")


def checked(what: str, expr: Expr, actual: int) -> str:
    """``symbolic = substituted = value``, after checking the arithmetic gives ``actual``."""
    value = evaluate(expr.num)
    if value != actual:
        raise FormulaMismatchError(
            f"{what}: the formula {expr.sym} = {expr.num} gives {value}, "
            f"but the op registry gives {actual:,}"
        )
    parts = [expr.sym]
    if expr.num != expr.sym:
        parts.append(expr.num)
    if expr.num != f"{actual:,}":
        parts.append(f"{actual:,}")
    return " = ".join(parts)


def bytes_of(tensors: list[Expr | tuple[int, Expr]], bits: int) -> Expr:
    """Bytes of tensors of these element counts at ``bits`` per element.

    An item ``(k, t)`` is ``k`` tensors of ``t`` elements each (one read twice, say).
    Whole-byte types: ``(t1 + k × t2 + ...) × b``; sub-byte types pack each tensor
    whole: ``⌈t1 × bits/8⌉ + k × ⌈t2 × bits/8⌉ + ...``, as ``units.tensor_bytes`` does.
    """
    items = [t if isinstance(t, tuple) else (1, t) for t in tensors]
    if bits % 8 == 0:
        return total(*(times(k, t) for k, t in items)) * sym("b", bits // 8)
    return total(*(times(k, (t * const(bits) / const(8)).ceil()) for k, t in items))
