"""The command line: thin click commands over the library; bad input -> one line, exit 2."""

from __future__ import annotations

import os
import sys
import traceback
from importlib import import_module

import click

from costcalc import __version__
from costcalc.errors import CostcalcError

EXIT_BAD_INPUT = 2


class CostcalcGroup(click.Group):
    """Turns library errors into one line on stderr and exit code 2 (``--debug``: traceback).

    Usage errors (an unknown option, a missing argument, a bad choice) are one line too,
    with the command to ask for help, instead of click's four-line block.
    """

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "costcalc"
            click.echo(
                f"costcalc: error: {where}: {_one_line(exc.format_message()).rstrip('.')} "
                f"(see {where} --help)",
                err=True,
            )
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"costcalc: error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # command name -> "module:attribute", imported when the command is looked up: one
        # command's start-up does not pay for every other's imports (Rich, pandas...)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, attribute = self.lazy_commands[cmd_name].split(":")
            self.add_command(getattr(import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            sys.exit(0)
        except Exception as exc:  # every failure is reported on one line, never a traceback
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            message = _one_line(str(exc)) or type(exc).__name__
            if not isinstance(exc, CostcalcError):
                message = f"{type(exc).__name__}: {message}"
            click.echo(f"costcalc: error: {message}", err=True)
            sys.exit(EXIT_BAD_INPUT)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


COMMANDS = (
    "analyze", "audit", "calibrate", "check", "crosscheck", "diff", "hardware", "layer",
    "plot", "profile", "zoo",
)  # fmt: skip


@click.group(
    cls=CostcalcGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy_commands={name: f"costcalc.commands.{name}:{name}" for name in COMMANDS},
)
@click.version_option(__version__, prog_name="costcalc")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """costcalc: parameters, MACs, FLOPs and memory traffic of neural networks.

    MACs are multiply-accumulates of conv/linear/matmul layers (what papers call
    "FLOPs"); FLOPs are 2 x MACs plus every other arithmetic operation.
    Exit codes: 0 success, 1 budget exceeded, 2 bad input.
    """
    ctx.obj = {"debug": debug}


def run() -> None:
    """The ``costcalc`` command: ``main`` in a process of its own, which ends with the
    command (so what an analysis leaves is frozen for the collector: ``gc_pause``)."""
    from costcalc.gc_pause import freeze_after_analysis

    freeze_after_analysis()
    main()
