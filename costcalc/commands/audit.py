"""``costcalc audit``: many models in parallel, one summary row each."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from costcalc import audit as batch
from costcalc.commands.options import output_options
from costcalc.errors import OutputError
from costcalc.output import write_text

EXIT_FAILED_ROWS = 1


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="[NAME=]SHAPE",
    help="Input shape for every model, e.g. 1x3x224x224. Repeatable (default: each model's own).",
)
@click.option(
    "--dim", "dims", multiple=True, metavar="SYMBOL=SIZE", help="Bind a symbolic dimension."
)
@click.option(
    "--dtype",
    default=None,
    metavar="TYPE",
    help="Count bytes of floating tensors at this type: fp32, fp16, bf16, int8, int4.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: min(2, CPUs)); 1 analyses in this process, in turn.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=batch.DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds allowed per model (0: no limit); a model past it is marked failed.",
)
@output_options(
    batch.FORMATS,
    "the summary",
    format_help="Output format (default: from the -o extension .csv/.json/.md, else table).",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any model failed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def audit(models, inputs, dims, dtype, jobs, timeout, fmt, output, force, strict, quiet):
    """Analyse many models, in parallel: one summary row per model.

    MODEL is an .onnx file, a folder (every .onnx file below it, sorted), zoo:NAME,
    zoo:all (every zoo model) or package.module:callable. Each row: totals, the dense
    twin, peak activation memory, the count of nodes not costed, the block patterns,
    the analysis time and a status: ok, "ok (lower bound)" (some nodes not costed) or
    "failed: <reason>". A model that fails or runs past --timeout is recorded in its
    row and the batch goes on; a folder without .onnx files is a failed row.

    Exit codes: 0 when the batch ran (failed rows included; --strict: 1 if any row
    failed), 2 bad usage (no MODEL, malformed --input, -o exists without --force).

    \b
    Examples:
      costcalc audit zoo:all
      costcalc audit models/ extra.onnx zoo:mobilenet_v2 -o summary.csv
      costcalc audit zoo:all --jobs 4 --timeout 60 --format json
      costcalc audit models/ --dim N=1 --dtype fp16 --strict -o audit.md
    """
    options = _options(inputs, dims, dtype)
    fmt = batch.format_for(output, fmt)
    if output is not None:
        _check_output(Path(output), force)
    job_list = batch.expand(models)
    frame = _run(job_list, options, jobs, timeout, quiet)
    if output is not None:
        protected = [job.source for job in job_list if not job.is_torch]
        write_text(output, batch.render(frame, fmt), force=force, protected=protected)
        bad = int(batch.failed(frame).sum())
        click.echo(f"wrote {output} ({len(frame)} models, {bad} failed)", err=True)
    elif fmt == "table":
        console = Console()
        console.print(batch.summary_table(frame, console.width))
    else:
        click.echo(batch.render(frame, fmt), nl=False)
    if strict and batch.failed(frame).any():
        sys.exit(EXIT_FAILED_ROWS)


def _options(inputs, dims, dtype) -> batch.AuditOptions:
    """Malformed options are bad usage (exit 2) before any model is analysed."""
    from costcalc.api import resolve_dtype
    from costcalc.inputs import normalise_dims, normalise_inputs

    normalise_inputs(list(inputs))
    normalise_dims(list(dims))
    resolve_dtype(dtype)
    return batch.AuditOptions(tuple(inputs), tuple(dims), dtype)


def _check_output(path: Path, force: bool) -> None:
    """Refuse a doomed -o before spending minutes on the batch (write_text checks again)."""
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if path.exists() and not force:
        raise OutputError(f"{path}: already exists (use --force to overwrite)")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist")


def _run(job_list, options, jobs, timeout, quiet):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    shown = not quiet and console.is_terminal
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]audit[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed[/red]"),
        TimeElapsedColumn(),
        console=console,
        disable=not shown,
    )
    failures = 0
    with progress:
        task = progress.add_task("", total=len(job_list), failed=0)

        def advance(row, done, total) -> None:
            nonlocal failures
            if row["status"].startswith("failed"):
                failures += 1
                if shown:
                    line = Text.assemble(("✗ ", "red"), f"{row['model']}: {row['status']}")
                    progress.console.print(line)
            progress.update(task, advance=1, description=row["model"], failed=failures)

        return batch.run_jobs(job_list, options, jobs=jobs, timeout=timeout, progress=advance)
