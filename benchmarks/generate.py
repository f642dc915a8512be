"""Realistic large ONNX graphs for the benchmarks, at an exact node count.

The graph is a mobile CNN of the MobileNetV2/V3 and ShuffleNetV2 families, repeated:

- stem: Conv 3x3 stride 2 + BatchNormalization + HardSwish;
- stages, each a transition block (inverted residual without skip, changing the width
  between 8 and 16 channels; stride 2 in the first two stages) followed by four units:
  an inverted residual (1x1 expand + BN + HardSwish, 3x3 depthwise + BN + Relu, 1x1
  project + BN, Add skip), the same with squeeze-and-excitation (GlobalAveragePool,
  1x1 Conv, Relu, 1x1 Conv, HardSigmoid, Mul), a ShuffleNetV2 unit (Split, branch of
  1x1 / depthwise / 1x1 convs with BN, Concat, Reshape/Transpose/Reshape channel
  shuffle) and a ResNet basic block (two 3x3 convs with BN, Add skip, Relu);
- head: GlobalAveragePool + Flatten + Gemm + Softmax.

Once the next stage no longer fits, units are chosen greedily from the largest that fits
and the last few nodes are single Relu nodes, so the node count is exactly the target.
Spatial sizes (32x32 input, 4x4 after two stages) and widths are small and every block has
its own weights (``--weights unique``, the default, as an exporter writes them) filled with
zeros, except BatchNormalization variances (ones); ``--weights shared`` reuses one set of
weights per kind of block, for a much smaller file. Deterministic: the same arguments
always give the same bytes.

    python benchmarks/generate.py --nodes 100000 -o build/bench/100k.onnx
    python benchmarks/generate.py --nodes 1m -o build/bench/1m.onnx --weights shared
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import onnx
from onnx import TensorProto, helper

OPSET = 17
IR_VERSION = 8
INPUT_SHAPE = (1, 3, 32, 32)
WIDTHS = (4, 8)  # stage widths alternate between these
EXPANSION = 2  # inverted-residual hidden width = EXPANSION x width
SE_REDUCTION = 4
STRIDED_STAGES = 2  # the first stages halve the spatial size: 16x16 -> 8x8 -> 4x4
CLASSES = 10
TWO_GB = 2**31

# nodes per block, by kind
STEM, HEAD = 3, 4
TRANSITION, INVERTED, INVERTED_SE, SHUFFLE, BASIC, PAD = 8, 9, 15, 13, 7, 1
UNITS = ("inverted", "inverted_se", "shuffle", "basic")
STAGE = TRANSITION + INVERTED + INVERTED_SE + SHUFFLE + BASIC
MIN_NODES = STEM + HEAD


def parse_count(text: str) -> int:
    """'1000', '1k', '100k', '1m', '1M' -> an int."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a node count: {text!r}") from None
    if value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"not a node count: {text!r}")
    return int(value)


def size_label(nodes: int) -> str:
    """100000 -> '100k', 1000000 -> '1m', 1234 -> '1234'."""
    if nodes % 1_000_000 == 0:
        return f"{nodes // 1_000_000}m"
    if nodes % 1_000 == 0:
        return f"{nodes // 1_000}k"
    return str(nodes)


class _Builder:
    """Appends nodes and initializers; every block gets a fresh name prefix."""

    def __init__(self, graph: onnx.GraphProto, shared: bool) -> None:
        self.graph = graph  # built in place: no second copy of a million nodes
        self.nodes = self.graph.node
        self._attributes: dict[tuple[str, object], onnx.AttributeProto] = {}
        self.shared = shared
        self._made: set[str] = set()
        self._payload: dict[tuple[int, float], bytes] = {}
        self._count = 0
        self.prefix = ""
        self.x = "input"  # the running activation
        self.channels = INPUT_SHAPE[1]

    def block(self, kind: str) -> None:
        self._count += 1
        self.prefix = f"{kind[0]}{self._count}"
        self._kind = kind
        self._local = 0  # the block's next node number

    def tag(self, base: str) -> str:
        """A name unique in the block: conv0, bn1..."""
        self._local += 1
        return f"{base}{self._local - 1}"

    def node(self, op: str, inputs: list[str], out: str | None = None, **attrs) -> str:
        name = f"{self.prefix}.{out or op.lower()}"
        self.add_node(op, inputs, [name], name, attrs)
        return name

    def add_node(self, op: str, inputs: list[str], outputs: list[str], name: str, attrs) -> None:
        proto = self.nodes.add()
        proto.op_type = op
        proto.name = name
        proto.input.extend(inputs)
        proto.output.extend(outputs)
        for key, value in sorted(attrs.items()):
            cache_key = (key, tuple(value) if isinstance(value, list) else value)
            if cache_key not in self._attributes:
                self._attributes[cache_key] = helper.make_attribute(key, value)
            proto.attribute.append(self._attributes[cache_key])

    def weight(self, role: str, dims: tuple[int, ...], fill: float = 0.0) -> str:
        if self.shared:  # one tensor per kind of block, role and shape
            name = f"w.{self._kind}.{role}." + "x".join(map(str, dims))
        else:
            name = f"{self.prefix}.{role}"
        if name not in self._made:
            self._made.add(name)
            count = 1
            for d in dims:
                count *= d
            key = (count, fill)
            if key not in self._payload:
                self._payload[key] = (
                    bytes(4 * count) if fill == 0.0 else struct.pack("<f", fill) * count
                )
            self._tensor(name, TensorProto.FLOAT, dims, self._payload[key])
        return name

    def shape(self, dims: tuple[int, ...]) -> str:
        """An int64 shape constant (Reshape targets), shared by value as exporters fold them."""
        name = "shape." + "x".join(map(str, dims))
        if name not in self._made:
            self._made.add(name)
            data = b"".join(int(d).to_bytes(8, "little", signed=True) for d in dims)
            self._tensor(name, TensorProto.INT64, (len(dims),), data)
        return name

    def _tensor(self, name: str, dtype: int, dims: tuple[int, ...], data: bytes) -> None:
        tensor = self.graph.initializer.add()
        tensor.name = name
        tensor.data_type = dtype
        tensor.dims.extend(dims)
        tensor.raw_data = data

    # layers -----------------------------------------------------------------------------

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1, group: int = 1) -> str:
        tag = self.tag("conv")
        w = self.weight(f"{tag}.w", (cout, cin // group, k, k))
        pad = k // 2
        return self.node(
            "Conv",
            [x, w],
            tag,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad] * 4,
            group=group,
        )

    def bn(self, x: str, channels: int) -> str:
        tag = self.tag("bn")
        params = [
            self.weight(f"{tag}.scale", (channels,)),
            self.weight(f"{tag}.bias", (channels,)),
            self.weight(f"{tag}.mean", (channels,)),
            self.weight(f"{tag}.var", (channels,), fill=1.0),
        ]
        return self.node("BatchNormalization", [x, *params], tag, epsilon=1e-5)

    def act(self, x: str, op: str) -> str:
        return self.node(op, [x], self.tag(op.lower()))

    # blocks -----------------------------------------------------------------------------

    def stem(self) -> None:
        self.block("stem")
        c = WIDTHS[0]
        y = self.act(self.bn(self.conv(self.x, INPUT_SHAPE[1], c, 3, stride=2), c), "HardSwish")
        self.x, self.channels = y, c

    def inverted(self, cout: int | None = None, stride: int = 1, se: bool = False) -> None:
        """Inverted residual; with ``cout``, the transition block (no skip)."""
        self.block("transition" if cout else "inverted_se" if se else "inverted")
        cin = self.channels
        cout = cout or cin
        hidden = EXPANSION * cin
        y = self.act(self.bn(self.conv(self.x, cin, hidden, 1), hidden), "HardSwish")
        y = self.bn(self.conv(y, hidden, hidden, 3, stride=stride, group=hidden), hidden)
        y = self.act(y, "HardSwish" if se else "Relu")
        if se:
            squeezed = hidden // SE_REDUCTION
            s = self.node("GlobalAveragePool", [y], "pool")
            s = self.act(self.conv(s, hidden, squeezed, 1), "Relu")
            s = self.act(self.conv(s, squeezed, hidden, 1), "HardSigmoid")
            y = self.node("Mul", [y, s], "scale")
        y = self.bn(self.conv(y, hidden, cout, 1), cout)
        if cout == cin and stride == 1 and self._kind != "transition":
            y = self.node("Add", [self.x, y], "add")
        self.x, self.channels = y, cout

    def shuffle(self, spatial: int) -> None:
        """ShuffleNetV2 unit: split, a 1x1/dw/1x1 branch, concat, channel shuffle."""
        self.block("shuffle")
        c = self.channels
        half = c // 2
        left, right = f"{self.prefix}.left", f"{self.prefix}.right"
        self.add_node("Split", [self.x], [left, right], f"{self.prefix}.split", {"axis": 1})
        y = self.act(self.bn(self.conv(right, half, half, 1), half), "Relu")
        y = self.bn(self.conv(y, half, half, 3, group=half), half)
        y = self.act(self.bn(self.conv(y, half, half, 1), half), "Relu")
        y = self.node("Concat", [left, y], "concat", axis=1)
        y = self.node("Reshape", [y, self.shape((1, 2, half, spatial, spatial))], "reshape1")
        y = self.node("Transpose", [y], "transpose", perm=[0, 2, 1, 3, 4])
        self.x = self.node("Reshape", [y, self.shape((1, c, spatial, spatial))], "reshape2")

    def basic(self) -> None:
        """ResNet basic block: two 3x3 convs with BN, Add skip, Relu."""
        self.block("basic")
        c = self.channels
        y = self.act(self.bn(self.conv(self.x, c, c, 3), c), "Relu")
        y = self.bn(self.conv(y, c, c, 3), c)
        self.x = self.act(self.node("Add", [self.x, y], "add"), "Relu")

    def pad(self) -> None:
        self.block("pad")
        self.x = self.act(self.x, "Relu")

    def head(self) -> None:
        self.block("head")
        c = self.channels
        y = self.node("GlobalAveragePool", [self.x], "pool")
        y = self.node("Flatten", [y], "flatten", axis=1)
        y = self.node(
            "Gemm", [y, self.weight("fc.w", (CLASSES, c)), self.weight("fc.b", (CLASSES,))],
            "fc", transB=1,
        )  # fmt: skip
        self.x = self.node("Softmax", [y], "output", axis=1)


def build_model(nodes: int, weights: str = "unique") -> onnx.ModelProto:
    """A model of exactly ``nodes`` nodes (at least ``MIN_NODES``)."""
    if nodes < MIN_NODES:
        raise ValueError(f"at least {MIN_NODES} nodes (stem and head)")
    if weights not in ("unique", "shared"):
        raise ValueError(f"weights: 'unique' or 'shared', not {weights!r}")
    model = onnx.ModelProto(ir_version=IR_VERSION, producer_name="costcalc-benchmarks")
    model.opset_import.append(helper.make_opsetid("", OPSET))
    b = _Builder(model.graph, shared=weights == "shared")
    b.stem()
    budget = nodes - HEAD
    spatial = INPUT_SHAPE[2] // 2
    stage = 0
    while len(b.nodes) + STAGE <= budget:
        stride = 2 if stage < STRIDED_STAGES else 1
        spatial //= stride
        b.inverted(cout=WIDTHS[(stage + 1) % len(WIDTHS)], stride=stride)
        b.inverted()
        b.inverted(se=True)
        b.shuffle(spatial)
        b.basic()
        stage += 1
    fillers = [
        (INVERTED_SE, lambda: b.inverted(se=True)),
        (SHUFFLE, lambda: b.shuffle(spatial)),
        (INVERTED, b.inverted),
        (BASIC, b.basic),
    ]  # the largest first: few Relu pads remain
    for size, add in fillers:
        if len(b.nodes) + size <= budget:
            add()
    while len(b.nodes) < budget:
        b.pad()
    b.head()
    graph = model.graph
    graph.name = f"bench_{size_label(nodes)}"
    graph.input.append(helper.make_tensor_value_info("input", TensorProto.FLOAT, INPUT_SHAPE))
    graph.output.append(helper.make_tensor_value_info(b.x, TensorProto.FLOAT, [1, CLASSES]))
    assert len(model.graph.node) == nodes, (len(model.graph.node), nodes)
    return model


def save(model: onnx.ModelProto, path: str | Path) -> Path:
    """``onnx.save``, with the weights in an external file only past protobuf's 2 GB."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if model.ByteSize() >= TWO_GB:
        onnx.save(model, str(path), save_as_external_data=True, location=path.name + ".data")
    else:
        onnx.save(model, str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=parse_count, required=True, help="e.g. 1000, 10k, 1m")
    parser.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    parser.add_argument("--weights", choices=["unique", "shared"], default="unique")
    parser.add_argument("--check", action="store_true", help="run onnx.checker on the result")
    args = parser.parse_args(argv)
    model = build_model(args.nodes, args.weights)
    path = save(model, args.output)
    if args.check:
        onnx.checker.check_model(str(path))
    print(
        f"wrote {path}: {len(model.graph.node):,} nodes, "
        f"{len(model.graph.initializer):,} initializers, {path.stat().st_size / 1e6:.1f} MB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
