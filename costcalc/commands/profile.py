"""``costcalc profile``: measured per-layer time next to the roofline estimate."""

from __future__ import annotations

import click
from rich.console import Console

from costcalc.commands.options import output_options
from costcalc.output import write_text


@click.command()
@click.argument("model")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="[NAME=]SHAPE",
    help="Input shape, e.g. 1x3x224x224 or x=1x3x224x224. Repeat for several inputs.",
)
@click.option(
    "--dim", "dims", multiple=True, metavar="SYMBOL=SIZE", help="Bind a symbolic dimension."
)
@click.option(
    "--hardware",
    default="x86",
    show_default=True,
    metavar="NAME|FILE",
    help="Hardware profile of the estimate: a shipped name or a TOML file "
    "(e.g. one written by `costcalc calibrate`).",
)
@click.option(
    "--runs", type=click.IntRange(min=1), default=20, show_default=True, help="Measured runs."
)
@click.option(
    "--warmup", type=click.IntRange(min=0), default=3, show_default=True, help="Warm-up runs."
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="onnxruntime intra-op threads (1 gives the most stable numbers).",
)
@click.option(
    "--optimized",
    is_flag=True,
    help="Let onnxruntime fuse and rewrite the graph (ORT_ENABLE_ALL), as deployed; "
    "kernels then map onto layers only partly.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Table: show the N slowest layers (0: all).",
)
@output_options(["table", "json", "csv"])
def profile(
    model, inputs, dims, hardware, runs, warmup, threads, optimized, top, fmt, output, force
) -> None:
    """Run MODEL on this machine and show each layer's measured time beside its estimate.

    onnxruntime (CPU) runs the model with its per-node profiler: WARMUP runs, then RUNS
    measured ones; times are medians. The measured total is the median end-to-end
    session.run (the profiler off); the sum of per-kernel medians is shown too. Graph
    optimisations are off by default so every kernel is one layer of the file.
    PyTorch models (zoo:NAME, package.module:callable) are built with random weights and
    exported to ONNX first; BatchNorms after convs are folded by the exporter, so the
    profiled graph has fewer layers than `costcalc analyze` shows for the same model.

    \b
    Examples:
      costcalc profile model.onnx
      costcalc profile zoo:mobilenet_v2 --runs 50 --top 10
      costcalc profile model.onnx --hardware calibrated.toml --format json -o prof.json
      costcalc profile zoo:shufflenet_v2_x1.0 --threads 2 --optimized
    """
    from costcalc.profiling import profile as run_profile
    from costcalc.profiling.render import render_csv, render_json, render_text, renderable

    result = run_profile(
        model,
        inputs=list(inputs),
        dims=list(dims),
        hardware=hardware,
        runs=runs,
        warmup=warmup,
        threads=threads,
        optimized=optimized,
    )
    if fmt is None:
        suffix = (output or "").lower().rsplit(".", 1)[-1]
        fmt = {"json": "json", "csv": "csv"}.get(suffix, "table") if output else "table"
    if output is not None:
        text = {"json": render_json, "csv": render_csv}.get(fmt)
        content = text(result) if text else render_text(result, top)
        write_text(output, content, force=force, protected=[model])
        click.echo(f"wrote {output}", err=True)
    elif fmt == "json":
        click.echo(render_json(result), nl=False)
    elif fmt == "csv":
        click.echo(render_csv(result), nl=False)
    else:
        Console().print(renderable(result, top))
