"""``costcalc calibrate``: microbenchmarks here -> a calibrated hardware profile (TOML)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from costcalc.output import check_target, write_text


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="The profile to write (TOML; atomically, never over an existing file).",
)
@click.option(
    "--base",
    default="x86",
    show_default=True,
    metavar="NAME|FILE",
    help="The profile whose peaks and bandwidth the factors are relative to.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="onnxruntime intra-op threads: calibrate with the count you will profile with.",
)
@click.option("--quick", is_flag=True, help="A reduced set of benchmarks (a few seconds).")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="Measured runs each.")
@click.option("--force", is_flag=True, help="Allow replacing an existing FILE.")
def calibrate(output, base, threads, quick, runs, force) -> None:
    """Fit per-kind-of-op efficiency factors to microbenchmarks run on this machine.

    Each benchmark is a one-layer ONNX model (dense, group, depthwise and pointwise convs
    at several widths and resolutions, Gemm/MatMul, activations, BatchNorm, element-wise,
    pooling, concat/transpose/slice, reductions), costed by costcalc and timed with
    onnxruntime exactly as `costcalc profile` times a model. Per category (conv-dense,
    conv-depthwise, ..., default) the fit finds compute and memory efficiencies and a
    per-layer overhead for  t = max(FLOPs/(peak x compute), bytes/(bandwidth x memory))
    + overhead  that minimise the relative error, and writes them as a hardware profile
    for --hardware FILE: the base profile's peaks and bandwidth (raised, and said so in
    the header, where this machine beats them, e.g. data that stays in cache, so that the
    factors stay at most 1), the factors, and the benchmarks with the fit's errors.

    \b
    Examples:
      costcalc calibrate -o here.toml
      costcalc profile zoo:mobilenet_v2 --hardware here.toml
      costcalc analyze model.onnx --hardware here.toml
      costcalc calibrate -o quick.toml --quick --threads 2
    """

    from costcalc.calibration import calibrate as run_calibration
    from costcalc.calibration import summary

    check_target(output, force=force)  # before the benchmarks, not after
    err = Console(stderr=True)
    with err.status("benchmarking...") as status:

        def progress(number, total, bench) -> None:
            status.update(f"benchmark {number}/{total}: {bench.name}")

        result = run_calibration(base=base, threads=threads, quick=quick, runs=runs,
                                 progress=progress)  # fmt: skip
    write_text(output, result.to_toml(), force=force)
    table = Table(title=f"{result.name}", header_style="bold")
    for column in ("Category", "Benchmarks", "Compute", "Memory", "Overhead µs"):
        table.add_column(column, justify="left" if column == "Category" else "right")
    table.add_column("Fit error", justify="right")
    table.add_column("Base error", justify="right")
    for category, count, compute, memory, overhead, error, base_error in summary(result):
        table.add_row(
            category, str(count), f"{compute:.3g}", f"{memory:.3g}", f"{overhead:.1f}",
            f"{100 * error:.1f}%", f"{100 * base_error:.1f}%",
        )  # fmt: skip
    err.print(table)
    err.print(
        f"median relative error of the fit per category; the base profile's on the same "
        f"benchmarks beside it. {result.settings.runs} runs each, "
        f"{result.settings.threads} thread(s)."
    )
    click.echo(f"wrote {output}", err=True)
