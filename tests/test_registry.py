"""The registry contract: one spec per op, duplicates rejected."""

from __future__ import annotations

import pytest

from costcalc.ops import REGISTRY, OpKind, Registry, Work
from costcalc.ops.registry import RegistrationError


def test_registering_an_op_twice_is_an_error():
    registry = Registry()

    @registry.formula("Foo")
    def foo(node):
        return Work(1, 0)

    with pytest.raises(RegistrationError, match="'Foo' is registered twice"):
        registry.free("Foo")
    assert registry.get("Foo").kind is OpKind.COMPUTE


def test_the_global_registry_rejects_a_second_conv():
    with pytest.raises(RegistrationError):
        REGISTRY.movement("Conv")


def test_issue_op_list_is_covered():
    # every op the core issue names has a formula or a declared kind
    required = """Conv ConvTranspose Gemm MatMul BatchNormalization LayerNormalization
    GroupNormalization InstanceNormalization Relu LeakyRelu PRelu Clip Sigmoid HardSigmoid
    HardSwish Tanh Gelu Erf Softplus Mish Elu Selu Add Sub Mul Div Pow Sqrt Exp MaxPool
    AveragePool GlobalAveragePool GlobalMaxPool ReduceMean ReduceSum ReduceMax Softmax
    LogSoftmax Concat Split Slice Reshape Transpose Flatten Squeeze Unsqueeze Gather Shape
    Constant Identity Cast Pad Resize Upsample Dropout Einsum""".split()
    assert [op for op in required if op not in REGISTRY] == []
    for op in ("Shape", "Constant", "Identity", "Reshape"):
        assert REGISTRY.get(op).kind is OpKind.FREE
