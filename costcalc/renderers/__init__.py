"""Renderers: each turns a Report into text with one contract, ``render(report, by=...)``."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from costcalc.report import Report

# format -> the module whose ``render(report, **options) -> str`` writes it; imported on
# use, so start-up does not pay for pandas or matplotlib
RENDERERS: dict[str, str] = {
    "table": "console",
    "csv": "csv",
    "json": "json",
    "markdown": "markdown",
    "html": "html",
}

_BY_EXTENSION = {
    ".csv": "csv", ".json": "json", ".txt": "table",
    ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
}  # fmt: skip


def format_for(path: str | Path | None, requested: str | None) -> str:
    """The explicit format if given, else the one the output file's extension names."""
    if requested:
        return requested
    if path is not None:
        return _BY_EXTENSION.get(Path(path).suffix.lower(), "table")
    return "table"


def render(report: Report, fmt: str, **options: object) -> str:
    module = import_module(f"{__name__}.{RENDERERS[fmt]}")
    return module.render(report, **options)
