"""A budget's TOML text: read, parsed, and the line of each key for error messages."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from costcalc.budget.schema import BudgetError


class TomlSource:
    """The text of a TOML file, for error messages that name the line of a key."""

    def __init__(self, path: Path, text: str, prefix: str = "") -> None:
        self.path, self.prefix = path, prefix
        self.lines: dict[tuple[str, str], int] = {}
        self.section_lines: dict[str, int] = {}
        section = ""
        header = re.compile(r"^\s*\[\s*([^\]\[]+?)\s*\]\s*(#.*)?$")
        key = re.compile(r"""^\s*["']?([A-Za-z0-9_-]+)["']?\s*[=.]""")
        for number, line in enumerate(text.splitlines(), start=1):
            if match := header.match(line):
                section = match.group(1).replace('"', "").replace(" ", "")
                section = section.removeprefix(prefix)
                self.section_lines.setdefault(section, number)
            elif match := key.match(line):
                self.lines.setdefault((section, match.group(1)), number)

    def where(self, section: str, key: str | None = None) -> str:
        line = self.lines.get((section, key)) if key else self.section_lines.get(section)
        return f"{self.path}:{line}" if line else str(self.path)

    def line(self, section: str, key: str) -> int | None:
        return self.lines.get((section, key))

    def error(self, section: str, key: str | None, message: str) -> BudgetError:
        name = f"[{self.prefix}{section}]" + (f" {key}" if key else "")
        return BudgetError(f"{self.where(section, key)}: {name}: {message}")


def suggest(word: str, valid: Sequence[str]) -> str:
    """The closest valid word, or the list of them."""
    close = difflib.get_close_matches(word, valid, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "valid: " + ", ".join(valid)


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its TOML data; any failure a one-line BudgetError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BudgetError(f"{path}: budget file not found") from None
    except IsADirectoryError:
        raise BudgetError(f"{path}: is a directory, not a budget file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BudgetError(f"{path}: cannot read the budget file ({exc})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # the message names the line and column
        raise BudgetError(f"{path}: not valid TOML: {exc}") from None
