"""Quantized ops: integer convolutions and matmuls, and (de)quantization.

The integer contractions count their multiply-accumulates as MACs, like their float
twins; their weights count as params and their bytes are those of the integer types
(int8/uint8 weights and activations, int32 bias and accumulators):

QLinearConv   x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B int32]
              MACs as Conv (weight in slot 3, bias in slot 8); FLOPs per output
              element: the bias add when B is given, and REQUANTIZE.
ConvInteger   x, w, [x_zp], [w_zp] -> int32: MACs as Conv; nothing else.
QLinearMatMul a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp
              MACs as MatMul of a and b (either a weight when constant); REQUANTIZE per
              output element.
MatMulInteger a, b, [a_zp], [b_zp] -> int32: MACs as MatMul; nothing else.
QuantizeLinear    QUANTIZE FLOPs per element. DequantizeLinear  DEQUANTIZE per element.
              A DequantizeLinear of a constant (a stored int8 weight) is folded like
              any constant arithmetic: the frontend keeps the int8 tensor as the storage
              of its output, so the layer using it counts its params once, and its bytes
              at int8.

Scales and zero points are quantization constants, not learned weights: never params.
Zero-point corrections are folded into the accumulation by runtimes and not counted.
"""

from __future__ import annotations

from costcalc.ir import Node
from costcalc.ops.common import numel, out_shape
from costcalc.ops.conv import conv_macs
from costcalc.ops.flop_table import DEQUANTIZE, ELEMENTWISE, QUANTIZE, REQUANTIZE
from costcalc.ops.matmul import matmul_macs
from costcalc.ops.registry import REGISTRY, Work


@REGISTRY.formula("QLinearConv", weights=(3, 8))
def qlinear_conv(node: Node) -> Work:
    outputs = numel(out_shape(node))
    bias = ELEMENTWISE["Add"] * outputs if node.input(8) is not None else 0
    return Work(conv_macs(node, weight_slot=3), bias + REQUANTIZE * outputs)


@REGISTRY.formula("ConvInteger", weights=(1,))
def conv_integer(node: Node) -> Work:
    return Work(conv_macs(node, weight_slot=1), 0)


@REGISTRY.formula("QLinearMatMul", weights=(0, 3))
def qlinear_matmul(node: Node) -> Work:
    return Work(matmul_macs(node, 0, 3), REQUANTIZE * numel(out_shape(node)))


@REGISTRY.formula("MatMulInteger", weights=(0, 1))
def matmul_integer(node: Node) -> Work:
    return Work(matmul_macs(node, 0, 1), 0)


@REGISTRY.formula("QuantizeLinear")
def quantize(node: Node) -> Work:
    return Work(0, QUANTIZE * numel(out_shape(node)))


@REGISTRY.formula("DequantizeLinear")
def dequantize(node: Node) -> Work:
    return Work(0, DEQUANTIZE * numel(out_shape(node)))
