"""The registry contract: which ops exist, their kind, and their slot declarations."""

from __future__ import annotations

import pytest

from costcalc.ops import REGISTRY, OpKind
from costcalc.ops.flop_table import NORM_AFFINE, NORM_SCALE, NORM_SHIFT


def _ops(text: str) -> list[str]:
    return text.split()


COMPUTE = _ops("""
    Gemm MatMul Einsum
    BatchNormalization LayerNormalization GroupNormalization InstanceNormalization
    RMSNormalization
    Relu LeakyRelu PRelu Clip Sigmoid HardSigmoid HardSwish Tanh Gelu Erf Softplus Mish
    Elu Selu Swish ThresholdedRelu Celu Softsign Softmax LogSoftmax
    Add Sub Mul Div Pow Mod Sqrt Exp Log Neg Abs Reciprocal Floor Ceil Round Sign Sin Cos
    Min Max Sum Mean Where Equal Less Greater LessOrEqual GreaterOrEqual Not And Or Xor
    MaxPool AveragePool LpPool GlobalAveragePool GlobalMaxPool GlobalLpPool
    ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceSumSquare
    ReduceLogSum ReduceLogSumExp ArgMax ArgMin TopK
    Resize Upsample
""")
MOVEMENT = _ops("""
    Concat Split Slice Transpose Gather GatherElements GatherND Pad Cast CastLike Tile
    Expand DepthToSpace SpaceToDepth ScatterND ScatterElements Compress NonZero Trilu
    ConstantOfShape Range EyeLike
""")
FREE = _ops("Shape Size Constant Identity Reshape Flatten Squeeze Unsqueeze Dropout")


@pytest.mark.parametrize(
    ("op", "kind"),
    [(op, OpKind.COMPUTE) for op in COMPUTE]
    + [(op, OpKind.MOVEMENT) for op in MOVEMENT]
    + [(op, OpKind.FREE) for op in FREE],
)
def test_op_is_registered_with_its_kind(op: str, kind: OpKind) -> None:
    spec = REGISTRY.get(op)
    assert spec is not None, f"{op} is not registered"
    assert spec.kind is kind


@pytest.mark.parametrize(
    ("op", "weights", "buffers", "data_slots"),
    [
        ("BatchNormalization", (1, 2), (3, 4), None),
        ("Gemm", (1, 2), (), None),
        ("MatMul", (0, 1), (), None),
        ("LayerNormalization", (1, 2), (), None),
        ("GroupNormalization", (1, 2), (), None),
        ("InstanceNormalization", (1, 2), (), None),
        ("PRelu", (1,), (), None),
        ("Reshape", (), (), 1),
        ("Slice", (), (), 1),
        ("Resize", (), (), 1),
        ("Upsample", (), (), 1),
        ("Pad", (), (), 1),
        ("Split", (), (), 1),
        ("Tile", (), (), 1),
        ("Expand", (), (), 1),
        ("Squeeze", (), (), 1),
        ("Unsqueeze", (), (), 1),
        ("Clip", (), (), 1),
        ("ReduceMean", (), (), 1),
        ("TopK", (), (), 1),
        ("ConstantOfShape", (), (), 0),
        ("Concat", (), (), None),
        ("Gather", (), (), None),
    ],
)
def test_slot_declarations(op: str, weights: tuple, buffers: tuple, data_slots: int | None) -> None:
    spec = REGISTRY.get(op)
    assert spec is not None
    assert (spec.weights, spec.buffers, spec.data_slots) == (weights, buffers, data_slots)


def test_slice_reads_only_its_data() -> None:
    spec = REGISTRY.get("Slice")
    assert spec is not None
    assert spec.is_data_slot(0) and not spec.is_data_slot(1) and not spec.is_data_slot(4)


@pytest.mark.parametrize(
    "op", ["Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "Where"]
)
def test_arithmetic_operands_can_be_learned(op: str) -> None:
    spec = REGISTRY.get(op)
    assert spec is not None and spec.learned_operands


@pytest.mark.parametrize("op", ["Equal", "And", "Not", "Relu", "MatMul", "Concat", "Softmax"])
def test_other_ops_have_no_learned_operands(op: str) -> None:
    spec = REGISTRY.get(op)
    assert spec is not None and not spec.learned_operands


def test_norm_affine_halves_add_up() -> None:
    assert NORM_SCALE + NORM_SHIFT == NORM_AFFINE
