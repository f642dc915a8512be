"""Options several commands share, declared once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

FORMAT_HELP = "Output format (default: from the -o extension, else table)."


def output_options(
    choices: Sequence[str], what: str = "", format_help: str = FORMAT_HELP
) -> Callable[[Callable], Callable]:
    """``--format`` (one of ``choices``), ``-o/--output FILE`` and ``--force``, passed as
    ``fmt``, ``output`` and ``force``; ``what`` names what -o writes ("the report")."""
    target = f"{what} to FILE" if what else "to FILE"

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--force", is_flag=True, help="Allow -o to replace an existing file."
        )(command)
        command = click.option(
            "-o", "--output", type=click.Path(dir_okay=False), default=None,
            help=f"Write {target} (atomically; never over an existing file without --force).",
        )(command)  # fmt: skip
        return click.option(
            "--format", "fmt", type=click.Choice(list(choices)), default=None, help=format_help
        )(command)

    return decorate
