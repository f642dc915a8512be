"""``costcalc plot``: a roofline or per-layer bar chart of a model, as PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import click

from costcalc.errors import OutputError

KINDS = ["roofline", "bars"]


@click.command()
@click.argument("model")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="Image to write: .png or .svg (atomically; never over an existing file).",
)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="roofline",
    show_default=True,
    help="roofline: each layer at (FLOPs/byte, attained FLOP/s) under the device's roofs; "
    "bars: MACs, bytes and estimated time per layer in execution order.",
)
@click.option(
    "--hardware",
    default="h200",
    show_default=True,
    metavar="NAME|FILE",
    help="Hardware profile of the estimate (see `costcalc hardware`), or a TOML file.",
)
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
    help="Count bytes and take the peak FLOP/s at this type: fp32, fp16, bf16, int8.",
)
@click.option("--force", is_flag=True, help="Allow -o to replace an existing file.")
def plot(model, output, kind, hardware, inputs, dims, dtype, force) -> None:
    """Plot MODEL's layers on a hardware profile: a roofline or per-layer bars.

    The image format comes from the -o extension (.png or .svg). Layers are coloured
    by their kind of work (conv-depthwise, conv-pointwise, norm, activation...).

    \b
    Examples:
      costcalc plot zoo:mobilenet_v2 -o roofline.png
      costcalc plot zoo:mobilenet_v2 -o roofline.svg --hardware x86
      costcalc plot model.onnx -o bars.png --kind bars --hardware jetson_orin --dtype fp16
      costcalc plot model.onnx --input 1x3x224x224 -o roofline.png --hardware my_gpu.toml
    """
    from costcalc import plots  # matplotlib loads only when a plot is asked for
    from costcalc.api import analyze
    from costcalc.hardware import load_hardware

    # a bad extension or an existing file fails before the model is analysed
    plots.image_format(output)
    if Path(output).exists() and not force:
        raise OutputError(f"{output}: already exists (use --force to overwrite)")
    profile = load_hardware(hardware)
    report = analyze(model, inputs=list(inputs), dims=list(dims), dtype=dtype, hardware=profile)
    if kind == "roofline":
        figure = plots.plot_roofline(report, profile)
    else:
        figure = plots.plot_bars(report, profile)
    plots.save_figure(figure, output, force=force, protected=[model])
    click.echo(f"wrote {output}", err=True)
