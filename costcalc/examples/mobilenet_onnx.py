"""MobileNet v1 (Howard et al., 2017) as an ONNX graph built with onnx.helper.

The layer configuration is the paper's Table 1 (with the last depthwise conv at stride 1,
as every implementation has it). Conv -> BatchNormalization -> Relu per layer, a
global average pool, and a TorchScript-style flatten (Shape -> Gather -> Unsqueeze ->
Concat -> Reshape, as ``x.view(x.size(0), -1)`` exports) before the classifier.

    python -m costcalc.examples.mobilenet_onnx OUT.onnx [--width 1.0] [--resolution 224]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (output channels, stride) of each depthwise-separable block after the first conv.
BLOCKS = (
    [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
    + [(512, 1)] * 5
    + [
        (1024, 2),
        (1024, 1),
    ]
)


class _Builder:
    def __init__(self, rng: np.random.Generator | None) -> None:
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []

    def weight(self, name: str, shape: tuple[int, ...]) -> str:
        if self.rng is None:
            data = np.zeros(shape, np.float32)
        else:
            data = (self.rng.standard_normal(shape) * 0.05).astype(np.float32)
        self.inits.append(numpy_helper.from_array(data, name))
        return name

    def ints(self, name: str, values: list[int]) -> str:
        self.inits.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    def conv_bn_relu(
        self, x: str, prefix: str, cin: int, cout: int, k: int, stride: int, group: int
    ) -> str:
        w = self.weight(f"{prefix}.conv.weight", (cout, cin // group, k, k))
        self.nodes.append(helper.make_node(
            "Conv", [x, w], [f"{prefix}.conv"], name=f"/{prefix}/conv/Conv",
            kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=group,
        ))  # fmt: skip
        bn = [self.weight(f"{prefix}.bn.{p}", (cout,)) for p in ("weight", "bias", "running_mean")]
        bn.append(f"{prefix}.bn.running_var")
        self.inits.append(numpy_helper.from_array(np.ones(cout, np.float32), bn[-1]))
        bn_name = f"/{prefix}/bn/BatchNormalization"
        self.nodes.append(
            helper.make_node(
                "BatchNormalization", [f"{prefix}.conv", *bn], [f"{prefix}.bn"], name=bn_name
            )
        )
        self.nodes.append(
            helper.make_node(
                "Relu", [f"{prefix}.bn"], [f"{prefix}.relu"], name=f"/{prefix}/relu/Relu"
            )
        )
        return f"{prefix}.relu"


def build_mobilenet_v1(
    width: float = 1.0, resolution: int = 224, classes: int = 1000, seed: int | None = 0
) -> onnx.ModelProto:
    """MobileNet v1 with width multiplier ``width``; batch is the symbolic dim ``N``.

    ``seed=None`` gives all-zero weights (same structure, smaller to compress).
    """
    b = _Builder(None if seed is None else np.random.default_rng(seed))
    c = round(32 * width)
    x = b.conv_bn_relu("input", "features.0", 3, c, 3, 2, 1)
    for i, (out, stride) in enumerate(BLOCKS, start=1):
        out = round(out * width)
        x = b.conv_bn_relu(x, f"features.{i}.dw", c, c, 3, stride, c)
        x = b.conv_bn_relu(x, f"features.{i}.pw", c, out, 1, 1, 1)
        c = out
    zero, minus_one = b.ints("zero", [0]), b.ints("minus_one", [-1])
    b.nodes += [
        helper.make_node("GlobalAveragePool", [x], ["pool"], name="/pool/GlobalAveragePool"),
        helper.make_node("Shape", ["pool"], ["pool_shape"], name="/Shape"),
        helper.make_node("Gather", ["pool_shape", zero], ["batch"], name="/Gather", axis=0),
        helper.make_node("Concat", ["batch", minus_one], ["flat_shape"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["pool", "flat_shape"], ["flat"], name="/Reshape"),
        helper.make_node(
            "Gemm", ["flat", b.weight("fc.weight", (classes, c)), b.weight("fc.bias", (classes,))],
            ["logits"], name="/fc/Gemm", transB=1,
        ),
    ]  # fmt: skip
    graph = helper.make_graph(
        b.nodes,
        f"mobilenet_v1_{width:g}_{resolution}",
        [
            helper.make_tensor_value_info(
                "input", TensorProto.FLOAT, ["N", 3, resolution, resolution]
            )
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        b.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="costcalc"
    )
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--resolution", type=int, default=224)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(build_mobilenet_v1(args.width, args.resolution), str(args.output))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
