"""Errors that mean "bad input": the CLI prints their message on one line, exit code 2."""


class CostcalcError(Exception):
    """Base of every error caused by what the user gave costcalc."""


class ModelLoadError(CostcalcError):
    """The model file is missing, unreadable or not a valid model."""


class InputSpecError(CostcalcError):
    """An --input / --dim / --dtype override is malformed or does not fit the model."""


class ShapeError(CostcalcError):
    """A tensor's shape could not be determined."""


class InvalidModelError(CostcalcError):
    """The model parses but is inconsistent (e.g. Conv groups not dividing channels)."""


class OutputError(CostcalcError):
    """An output file cannot be written (exists without --force, bad folder)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
