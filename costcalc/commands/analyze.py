"""``costcalc analyze``."""

from __future__ import annotations

import click

from costcalc.api import analyze as analyze_model
from costcalc.commands.options import output_options
from costcalc.output import write_text
from costcalc.renderers import RENDERERS, format_for, render


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
    "--dim",
    "dims",
    multiple=True,
    metavar="SYMBOL=SIZE",
    help="Bind a symbolic dimension, e.g. N=8. Repeatable.",
)
@click.option(
    "--dtype",
    default=None,
    metavar="TYPE",
    help="Count bytes of floating tensors at this type: fp32, fp16, bf16, int8, int4.",
)
@click.option(
    "--by",
    type=click.Choice(["layer", "module", "op", "optype"]),
    default="layer",
    show_default=True,
    help="One row per layer, or costs summed per module, per kind of op (conv-depthwise, "
    "norm, data movement...) or per op type.",
)
@click.option(
    "--baseline",
    type=click.Choice(["dense"]),
    default=None,
    help="Add each layer's dense baseline (groups=1), the block patterns and the model's "
    "dense twin.",
)
@click.option(
    "--hardware",
    default=None,
    metavar="NAME|FILE",
    help="Add roofline time estimates on a hardware profile (see `costcalc hardware`).",
)
@click.option("--training", is_flag=True, help="Add the training memory estimate.")
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "sgd-momentum", "adam", "adamw"]),
    default="adam",
    show_default=True,
    help="With --training: whose state to count.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=None,
    help="With --by module: how many levels of the module path to keep.",
)
@output_options(sorted(RENDERERS), "the report")
@click.option("--all", "show_all", is_flag=True, help="Also show free and constant-folded nodes.")
def analyze(
    model,
    inputs,
    dims,
    dtype,
    by,
    baseline,
    hardware,
    training,
    optimizer,
    depth,
    fmt,
    output,
    force,
    show_all,
) -> None:
    """Per-layer parameters, MACs, FLOPs and bytes of MODEL.

    MODEL is an .onnx file, zoo:NAME (see `costcalc zoo`), or package.module:callable
    (a callable returning a torch.nn.Module, or an nn.Module subclass taking no
    arguments; PyTorch models are traced on the meta device, no weights allocated).

    \b
    Examples:
      costcalc analyze model.onnx
      costcalc analyze model.onnx --input 1x3x224x224 --dtype fp16
      costcalc analyze model.onnx --dim N=8 --format json -o report.json
      costcalc analyze model.onnx --by op --format csv
      costcalc analyze zoo:mobilenet_v2 --by module --depth 2
      costcalc analyze zoo:mobilenet_v1 --baseline dense
      costcalc analyze zoo:mobilenet_v2 --hardware h200 --dtype fp16
      costcalc analyze zoo:resnet50 --training --optimizer adam
      costcalc analyze mypkg.models:build_net --input 1x3x224x224
    """
    report = analyze_model(
        model, inputs=list(inputs), dims=list(dims), dtype=dtype, baseline=baseline,
        hardware=hardware, training=training, optimizer=optimizer,
    )  # fmt: skip
    fmt = format_for(output, fmt)
    if output is not None:
        write_text(
            output,
            render(report, fmt, by=by, show_all=show_all, depth=depth, hardware=hardware),
            force=force,
            protected=[model],
        )
        click.echo(f"wrote {output}", err=True)
    elif fmt == "table":
        from rich.console import Console  # only the table needs Rich (a tenth of a second)

        from costcalc.renderers import console

        Console().print(console.renderable(report, by, show_all, depth))
    else:
        click.echo(
            render(report, fmt, by=by, show_all=show_all, depth=depth, hardware=hardware), nl=False
        )
