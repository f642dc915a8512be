"""Renderers: each turns a Report into text with one contract, ``render(report, by=...)``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from costcalc.renderers import console, csv, html, json, markdown
from costcalc.report import Report

Renderer = Callable[..., str]

RENDERERS: dict[str, Renderer] = {
    "table": console.render,
    "csv": csv.render,
    "json": json.render,
    "markdown": markdown.render,
    "html": html.render,
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
    return RENDERERS[fmt](report, **options)
