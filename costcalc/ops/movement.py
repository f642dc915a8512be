"""Data movement, metadata-only ops, and resampling.

MOVEMENT ops copy or rearrange data: bytes read and written, 0 FLOPs. Their
configuring inputs (shapes, pads, repeats, starts/ends, split sizes) are not data:
only the leading ``data_slots`` inputs are read as tensors.
FREE ops run no kernel (metadata, aliasing, inference Dropout): no bytes, no FLOPs.

Resize and Upsample are the resampling ops that do arithmetic. With r = number of axes
whose size differs between X and Y, per output element:
    nearest  RESIZE_NEAREST (0)
    linear   taps**r multiplies + (taps**r - 1) adds, taps = RESIZE_LINEAR_TAPS (2)
    cubic    taps**r multiplies + (taps**r - 1) adds, taps = RESIZE_CUBIC_TAPS (4)
Only X (slot 0) is data; roi, scales and sizes configure. No MACs.
"""

from __future__ import annotations

from costcalc.ir import Node
from costcalc.ops.common import FormulaError, numel, out_shape, shape_of
from costcalc.ops.flop_table import RESIZE_CUBIC_TAPS, RESIZE_LINEAR_TAPS, RESIZE_NEAREST
from costcalc.ops.registry import REGISTRY, Work

# Every input is data.
REGISTRY.movement(
    "Concat", "Transpose", "Cast", "DepthToSpace", "SpaceToDepth", "ScatterND",
    "ScatterElements", "Compress", "NonZero",
)  # fmt: skip
# Gathers read their indices and only the selected elements of the data (as many as they
# write), not the whole tensor.
REGISTRY.movement("Gather", "GatherElements", "GatherND", reads_selection=True)
# Only the first input is data: split sizes, starts/ends/axes/steps, pads/constant/axes,
# repeats, target shape, Trilu's k, CastLike's type exemplar.
REGISTRY.movement("Split", "Pad", "Tile", "Expand", "Trilu", "CastLike", data_slots=1)
# A Slice copies the selected region: it reads as many elements as it writes.
REGISTRY.movement("Slice", data_slots=1, reads_selection=True)
# Output written from configuration alone (a shape, or scalar start/limit/delta).
REGISTRY.movement("ConstantOfShape", "Range", "EyeLike", data_slots=0)


REGISTRY.free("Shape", "Size", "Constant", "Identity", "Flatten")
# The shape / axes / ratio inputs configure the op.
REGISTRY.free("Reshape", "Squeeze", "Unsqueeze", "Dropout", data_slots=1)

_TAPS = {"linear": RESIZE_LINEAR_TAPS, "bilinear": RESIZE_LINEAR_TAPS,
         "trilinear": RESIZE_LINEAR_TAPS, "cubic": RESIZE_CUBIC_TAPS}  # fmt: skip


@REGISTRY.formula("Resize", "Upsample", data_slots=1)
def resize(node: Node) -> Work:
    x = shape_of(node.input(0), "input", node)
    y = out_shape(node)
    if len(x) != len(y):
        raise FormulaError(
            f"{node.op} node {node.name!r}: input {list(x)} and output {list(y)} differ in rank"
        )
    mode = node.attr("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode == "nearest":
        return Work(0, RESIZE_NEAREST * numel(y))
    if mode not in _TAPS:
        raise FormulaError(f"{node.op} node {node.name!r}: unknown mode {mode!r}")
    resized = sum(1 for a, b in zip(x, y, strict=True) if a != b)
    blended = _TAPS[mode] ** resized
    return Work(0, (blended + blended - 1) * numel(y))


# Ops only the PyTorch frontend produces. A strided view (view, transpose, permute,
# expand, slice, split...) moves no data; a copy (clone, contiguous, _to_copy) reads and
# writes the whole tensor; channel_shuffle is ShuffleNet's reshape-transpose-reshape as one
# copying kernel.
REGISTRY.free("View")
REGISTRY.movement("Copy", "ChannelShuffle")
