"""Parsing the user's input-shape and dimension overrides (``--input``, ``--dim``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from costcalc.errors import InputSpecError
from costcalc.ir import Shape

# What callers may pass: {"x": (1, 3, 224, 224)}, [(1, 3, 224, 224)], or CLI strings.
InputsArg = Mapping[str, Sequence[int]] | Sequence[Sequence[int] | str] | None

_NAME = r"[^=\s]+"
_INPUT = re.compile(rf"^(?:(?P<name>{_NAME})=)?(?P<dims>[^=]+)$")
_DIM = re.compile(rf"^(?P<name>{_NAME})=(?P<value>.+)$")


def parse_shape(text: str, what: str) -> Shape:
    """'1x3x224x224' (or '1,3,224,224') -> (1, 3, 224, 224); every dim a positive int."""
    parts = re.split(r"[x,×]", text.strip().strip("[]()"))
    dims: list[int] = []
    for part in parts:
        part = part.strip()
        if not re.fullmatch(r"[+-]?\d+", part):
            raise InputSpecError(f"{what}: {text!r} is not a shape like 1x3x224x224")
        dims.append(_positive(int(part), what))
    return tuple(dims)


MAX_DIM = 2**63 - 1  # ONNX dims are int64


def _positive(value: int, what: str) -> int:
    if value <= 0:
        raise InputSpecError(f"{what}: dimension {value} must be a positive integer")
    if value > MAX_DIM:
        raise InputSpecError(f"{what}: dimension {value} is larger than {MAX_DIM} (int64)")
    return value


def parse_input(text: str) -> tuple[str | None, Shape]:
    """'x=1x3x224x224' -> ('x', shape); '1x3x224x224' -> (None, shape)."""
    match = _INPUT.match(text.strip())
    if match is None:
        raise InputSpecError(f"--input {text!r}: expected NAME=1x3x224x224 or 1x3x224x224")
    return match.group("name"), parse_shape(match.group("dims"), f"--input {text!r}")


def parse_dim(text: str) -> tuple[str, int]:
    """'N=8' -> ('N', 8)."""
    match = _DIM.match(text.strip())
    value = match.group("value").strip() if match else ""
    if match is None or not re.fullmatch(r"[+-]?\d+", value):
        raise InputSpecError(f"--dim {text!r}: expected SYMBOL=SIZE, e.g. N=8")
    return match.group("name"), _positive(int(value), f"--dim {text!r}")


def normalise_inputs(inputs: InputsArg) -> list[tuple[str | None, Shape]]:
    """Every accepted form of ``inputs`` as a list of (name or None, shape)."""
    if inputs is None:
        return []
    if isinstance(inputs, Mapping):
        return [(str(k), _as_shape(v, f"input {k!r}")) for k, v in inputs.items()]
    result: list[tuple[str | None, Shape]] = []
    for item in inputs:
        if isinstance(item, str):
            result.append(parse_input(item))
        else:
            result.append((None, _as_shape(item, "input")))
    return result


def normalise_dims(dims: Mapping[str, int] | Iterable[str] | None) -> dict[str, int]:
    if dims is None:
        return {}
    if isinstance(dims, Mapping):
        return {str(k): _positive(_as_int(v, f"--dim {k}"), f"--dim {k}") for k, v in dims.items()}
    bound: dict[str, int] = {}
    for item in dims:
        name, value = parse_dim(item)
        if bound.setdefault(name, value) != value:
            raise InputSpecError(f"--dim {name}: given twice ({bound[name]} and {value})")
    return bound


def _as_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputSpecError(f"{what}: {value!r} is not an integer")
    return value


def _as_shape(value: Sequence[int] | str, what: str) -> Shape:
    if isinstance(value, str):
        return parse_shape(value, what)
    try:
        dims = list(value)
    except TypeError:
        raise InputSpecError(f"{what}: {value!r} is not a shape") from None
    return tuple(_positive(_as_int(d, what), what) for d in dims)
