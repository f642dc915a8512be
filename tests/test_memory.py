"""Peak activation memory by liveness, and the training estimate, on hand-built graphs.

Every expected number is computed by hand in the comments: fp32, 4 bytes per element.
Convention: while a layer runs, its inputs and outputs are both alive; graph inputs are
held for the whole run, graph outputs from their producer to the end; views and in-place
ops alias their input's buffer.
"""

from __future__ import annotations

import time

import pytest
from onnx import helper

from costcalc.analyses.memory import apply_memory, liveness
from costcalc.api import load_graph
from costcalc.calculator import calculate
from costcalc.errors import InputSpecError
from costcalc.ir import Graph, Node, TensorSpec
from tests.onnx_models import custom_op_model, model, weight


def analysed(proto, dtype=None, **kwargs):
    graph = load_graph(proto)
    report = calculate(graph, dtype=dtype)
    apply_memory(report, graph, **kwargs)
    return report


def live(report) -> dict[str, int]:
    return {row.name: row.live_bytes for row in report.layers}


def check_peak(report, peak: int, layer: str) -> None:
    assert report.totals.peak_activation_bytes == peak
    assert report.totals.peak_layer == layer
    assert max(row.live_bytes for row in report.layers) == peak


def test_chain_of_relus():
    # x (1,256) = 1024 B -> r1 -> a -> r2 -> b -> r3 -> y (graph output); each 1024 B.
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="r1"),
        helper.make_node("Relu", ["a"], ["b"], name="r2"),
        helper.make_node("Relu", ["b"], ["y"], name="r3"),
    ]
    report = analysed(model(nodes, {"x": (1, 256)}, ["y"]))
    # r1: x + a = 2048; r2: x + a + b = 3072 (a freed after); r3: x + b + y = 3072
    assert live(report) == {"r1": 2048, "r2": 3072, "r3": 3072}
    check_peak(report, 3072, "r2")  # the first layer reaching the peak


def test_chain_changing_width():
    # x (1,64) 256 B -> MatMul W1 (64x256) -> a (1,256) 1024 B -> Relu -> b 1024 B
    #   -> MatMul W2 (256x32) -> y (1,32) 128 B
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["a"], name="fc1"),
        helper.make_node("Relu", ["a"], ["b"], name="act"),
        helper.make_node("MatMul", ["b", "W2"], ["y"], name="fc2"),
    ]
    inits = [weight("W1", (64, 256)), weight("W2", (256, 32))]
    report = analysed(model(nodes, {"x": (1, 64)}, ["y"], inits))
    # fc1: 256 + 1024 = 1280; act: 256 + 1024 + 1024 = 2304; fc2: 256 + 1024 + 128 = 1408
    # the weights (65,536 + 32,768 B) are parameters, not activations
    assert live(report) == {"fc1": 1280, "act": 2304, "fc2": 1408}
    check_peak(report, 2304, "act")


def residual_model():
    # in (1,8,16,16): T = 2048 elements = 8192 B. stem conv 8->8 -> s (T);
    # block: conv1 8->16 -> a (2T), relu1 -> b (2T), conv2 16->8 -> c (T),
    # add(c, s) -> d (T), relu2 -> y (T, graph output). s is the skip: alive until add.
    pad = {"pads": [1, 1, 1, 1]}
    nodes = [
        helper.make_node("Conv", ["in", "W0"], ["s"], name="stem", **pad),
        helper.make_node("Conv", ["s", "W1"], ["a"], name="conv1", **pad),
        helper.make_node("Relu", ["a"], ["b"], name="relu1"),
        helper.make_node("Conv", ["b", "W2"], ["c"], name="conv2", **pad),
        helper.make_node("Add", ["c", "s"], ["d"], name="add"),
        helper.make_node("Relu", ["d"], ["y"], name="relu2"),
    ]
    inits = [weight("W0", (8, 8, 3, 3)), weight("W1", (16, 8, 3, 3)), weight("W2", (8, 16, 3, 3))]
    return model(nodes, {"in": (1, 8, 16, 16)}, ["y"], inits)


def test_residual_block():
    report = analysed(residual_model())
    t = 8192
    assert live(report) == {
        "stem": 2 * t,  # in + s
        "conv1": 4 * t,  # in + s + a (2T)
        "relu1": 6 * t,  # in + s + a + b  (without the skip, s would be gone: 5T)
        "conv2": 5 * t,  # in + s + b + c  (a freed after relu1)
        "add": 4 * t,  # in + s + c + d  (b freed after conv2)
        "relu2": 3 * t,  # in + d + y      (s, c freed after add)
    }
    check_peak(report, 49_152, "relu1")


def test_branchy_concat():
    # in (1,16,8,8): U = 1024 elements = 4096 B. stem relu -> x (U); three branches
    # reading x: 1x1 conv 16->8 -> p (U/2), 3x3 conv 16->8 -> q (U/2), 3x3 maxpool
    # stride 1 -> r (U); concat -> y (1,32,8,8) = 2U, the graph output.
    nodes = [
        helper.make_node("Relu", ["in"], ["x"], name="stem"),
        helper.make_node("Conv", ["x", "W1"], ["p"], name="b1x1"),
        helper.make_node("Conv", ["x", "W3"], ["q"], name="b3x3", pads=[1, 1, 1, 1]),
        helper.make_node(
            "MaxPool", ["x"], ["r"], name="pool", kernel_shape=[3, 3], pads=[1, 1, 1, 1]
        ),
        helper.make_node("Concat", ["p", "q", "r"], ["y"], name="concat", axis=1),
    ]
    inits = [weight("W1", (8, 16, 1, 1)), weight("W3", (8, 16, 3, 3))]
    report = analysed(model(nodes, {"in": (1, 16, 8, 8)}, ["y"], inits))
    u = 4096
    assert live(report) == {
        "stem": 2 * u,  # in + x
        "b1x1": 2 * u + u // 2,  # in + x + p
        "b3x3": 3 * u,  # in + x + p + q
        "pool": 4 * u,  # in + x + p + q + r (x freed after its last branch)
        "concat": 5 * u,  # in + p + q + r + y(2U)  (6U had x been kept)
    }
    check_peak(report, 20_480, "concat")


def test_views_alias_their_input():
    # x (1,4,8,8): T = 256 elements = 1024 B. relu1(x) -> a; reshape(a) -> v (a view of a);
    # relu2(x) -> b; flatten(b) -> f (a view of b); add(v, f) -> y (1,256), graph output.
    # a's last direct reader is the reshape, but its view v is read by the add: a lives on.
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu1"),
        helper.make_node("Reshape", ["a", "shape"], ["v"], name="reshape"),
        helper.make_node("Relu", ["x"], ["b"], name="relu2"),
        helper.make_node("Flatten", ["b"], ["f"], name="flatten"),
        helper.make_node("Add", ["v", "f"], ["y"], name="add"),
    ]
    shape = helper.make_tensor("shape", 7, [2], [1, 256])  # int64
    report = analysed(model(nodes, {"x": (1, 4, 8, 8)}, ["y"], [shape]))
    t = 1024
    assert live(report) == {
        "relu1": 2 * t,  # x + a
        "reshape": 2 * t,  # x + a (v is a, no new bytes)
        "relu2": 3 * t,  # x + a + b
        "flatten": 3 * t,  # x + a + b (f is b)
        "add": 4 * t,  # x + a + b + y
    }
    check_peak(report, 4096, "add")


def test_graph_output_that_is_a_view_is_held():
    # x (1,256) 1024 B -> relu -> a -> flatten -> y (output, a view of a) ; x -> relu2 -> z
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu"),
        helper.make_node("Flatten", ["a"], ["y"], name="flatten"),
        helper.make_node("Relu", ["x"], ["z"], name="relu2"),
    ]
    report = analysed(model(nodes, {"x": (1, 256)}, ["y", "z"]))
    # relu: x + a; flatten: x + a; relu2: x + a (held: y aliases it) + z
    assert live(report) == {"relu": 2048, "flatten": 2048, "relu2": 3072}


def test_fp16_halves_activation_bytes():
    fp32 = analysed(residual_model())
    fp16 = analysed(residual_model(), dtype="float16")
    assert fp16.totals.peak_activation_bytes * 2 == fp32.totals.peak_activation_bytes
    assert [r.live_bytes * 2 for r in fp16.layers] == [r.live_bytes for r in fp32.layers]
    assert fp16.totals.peak_layer == fp32.totals.peak_layer == "relu1"


def test_unknown_shape_is_zero_and_warned_once():
    report = analysed(custom_op_model())  # relu -> Mystery (no shape) -> relu
    warnings = [w for w in report.warnings if w.startswith("memory:")]
    assert len(warnings) == 1 and "lower bound" in warnings[0]
    graph = load_graph(custom_op_model())
    apply_memory(report, graph)  # a second run adds no second warning
    assert len([w for w in report.warnings if w.startswith("memory:")]) == 1


def training_model():
    # x (1,10) 40 B -> MatMul W (10x100): 1,000 params -> y (1,100) 400 B
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")]
    return model(nodes, {"x": (1, 10)}, ["y"], [weight("W", (10, 100))])


@pytest.mark.parametrize(
    ("optimizer", "state"), [("sgd", 0), ("sgd-momentum", 4_000), ("adam", 8_000)]
)
def test_training_estimate(optimizer, state):
    report = analysed(training_model(), training=True, optimizer=optimizer)
    # params 1,000 fp32 = 4,000 B; gradients 4,000 B; state copies x 1,000 x 4 B;
    # activations kept: x 40 + y 400 = 440 B
    assert report.totals.training_bytes == {
        "params": 4_000,
        "gradients": 4_000,
        "optimizer_state": state,
        "activations_kept": 440,
        "total": 8_440 + state,
    }


def test_training_fp16_keeps_fp32_optimizer_state():
    report = analysed(training_model(), dtype="float16", training=True, optimizer="adam")
    # params and gradients at fp16 (2,000 B each), adam moments in fp32 (8,000 B),
    # activations x 20 + y 200 = 220 B
    parts = report.totals.training_bytes
    assert (parts["params"], parts["gradients"], parts["optimizer_state"]) == (2_000, 2_000, 8_000)
    assert parts["activations_kept"] == 220 and parts["total"] == 12_220


def test_training_not_run_is_none():
    assert analysed(training_model()).totals.training_bytes is None


def test_unknown_optimizer_is_rejected():
    graph = load_graph(training_model())
    report = calculate(graph)
    with pytest.raises(InputSpecError, match="optimizer"):
        apply_memory(report, graph, training=True, optimizer="rmsprop")


def test_training_keeps_each_buffer_once_and_no_views():
    # residual block: in, s, a, b, c, d, y = T + T + 2T + 2T + T + T + T = 9T
    report = analysed(residual_model(), training=True, optimizer="sgd")
    assert report.totals.training_bytes["activations_kept"] == 9 * 8192


def _conv_relu_conv(inplace: bool):
    nn = pytest.importorskip("torch").nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(inplace=inplace), nn.Conv2d(16, 1, 1)
    )


def test_inplace_activation():
    import costcalc

    shape = [(1, 3, 8, 8)]
    plain = costcalc.analyze(_conv_relu_conv(False), inputs=shape)
    inplace = costcalc.analyze(_conv_relu_conv(True), inputs=shape)
    graph = load_graph(_conv_relu_conv(True), shape)
    assert graph.nodes[1].attrs.get("inplace_of") == 0
    apply_memory(plain, load_graph(_conv_relu_conv(False), shape))
    apply_memory(inplace, graph)
    # in (1,3,8,8) 768 B; conv1 out (1,16,8,8) 4096 B; relu out 4096 B; conv2 out 256 B
    # plain:   conv1 768+4096 = 4864; relu 768+4096+4096 = 8960; conv2 768+4096+256 = 5120
    # inplace: conv1 4864; relu 4864 (writes into conv1's output); conv2 5120
    assert [r.live_bytes for r in plain.layers] == [4864, 8960, 5120]
    assert [r.live_bytes for r in inplace.layers] == [4864, 4864, 5120]
    # at the activation the in-place version holds exactly one (1,16,8,8) tensor less
    assert plain.layers[1].live_bytes - inplace.layers[1].live_bytes == 4096
    check_peak(plain, 8960, plain.layers[1].name)
    check_peak(inplace, 5120, inplace.layers[2].name)


def test_torch_view_aliases():
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def forward(self, x):
            a = torch.relu(x)  # 1024 B
            v = a.view(1, 256)  # a view: no bytes
            return torch.relu(v)  # 1024 B

    graph = load_graph(Net(), [(1, 4, 8, 8)])
    report = calculate(graph)
    apply_memory(report, graph)
    # relu: x + a = 2048; view: 2048; relu: x + a + y = 3072
    assert [r.live_bytes for r in report.layers] == [2048, 2048, 3072]


def test_linear_on_a_long_chain():
    # 50,000 Relus in a chain: each layer holds x, its input and its output (3 KiB);
    # a quadratic pass would not finish in time.
    n = 50_000
    spec = [TensorSpec(f"t{i}", (1, 256), "float32") for i in range(n + 1)]
    nodes = tuple(Node(f"r{i}", "Relu", (spec[i],), (spec[i + 1],)) for i in range(n))
    graph = Graph("chain", nodes, (spec[0],), (spec[n],))
    began = time.perf_counter()
    lv = liveness(graph)
    live = lv.live_per_node(n)
    assert time.perf_counter() - began < 2
    assert live[0] == 2048 and live[1] == live[n // 2] == live[-1] == 3072
