"""What is on disk is not always a model: every such file gets one line and exit 2, a
valid-but-odd model a correct report, and the file is never changed."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper, shape_inference

import costcalc
from costcalc.errors import CostcalcError
from costcalc.parsers import onnx as onnx_parser
from costcalc.parsers import onnx_shapes
from tests.adversarial.helpers import one_error_line, relu_model, run, save, sha256
from tests.onnx_models import conv_bn_relu_model, model

LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    b"size 13964\n"
)
HTML = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body></body></html>\n"


def _zip_bytes(tmp_path: Path) -> bytes:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("archive/data.pkl", b"not read")
    return archive.read_bytes()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file, not an ONNX model"),
        (LFS_POINTER, "not a valid ONNX model: it is a Git LFS pointer (run `git lfs pull`)"),
        (HTML, "not a valid ONNX model: it is an HTML page (a failed download?)"),
        (b"<?xml version='1.0'?><model/>", "not a valid ONNX model: it is an XML/HTML document"),
        (b'{"format": "not onnx"}', "not a valid ONNX model: it is a JSON or text file"),
        (b"just some words\n", "not a valid ONNX model: it is a text file"),
        (
            pickle.dumps({"state_dict": 1}, protocol=4),
            "not a valid ONNX model: it is a Python pickle (never unpickled)",
        ),
        (
            "zip",
            "not a valid ONNX model: it is a ZIP archive (a PyTorch checkpoint? it is never "
            "unpickled)",
        ),
        (
            b"\x1f\x8b\x08\x00\x00\x00",
            "not a valid ONNX model: it is a gzip file (decompress it first)",
        ),
        (
            b"\xff\xfe\x00\x01\x02",
            "not a valid ONNX model (Error parsing message with type 'onnx.ModelProto': Wire "
            "format was corrupt)",
        ),
    ],
    ids=["zero-byte", "lfs", "html", "xml", "json", "text", "pickle", "zip", "gzip", "binary"],
)
def test_files_that_are_not_models(tmp_path, content, expected):
    path = tmp_path / "model.onnx"
    path.write_bytes(_zip_bytes(tmp_path) if content == "zip" else content)
    before = sha256(path)
    line = one_error_line(run("analyze", path))
    assert line == f"costcalc: error: {path}: {expected}"
    assert sha256(path) == before


def test_a_directory_and_a_missing_file(tmp_path):
    # also in tests/test_cli.py; here with the exact lines
    folder = tmp_path / "model.onnx"
    folder.mkdir()
    assert one_error_line(run("analyze", folder)) == (
        f"costcalc: error: {folder}: is a directory, not an ONNX file"
    )
    missing = tmp_path / "nowhere.onnx"
    assert one_error_line(run("analyze", missing)) == f"costcalc: error: {missing}: no such file"


def test_every_truncation_is_rejected_in_one_line(tmp_path):
    data = conv_bn_relu_model().SerializeToString()
    path = tmp_path / "cut.onnx"
    reasons = set()
    for cut in range(len(data)):  # every prefix, from the empty file to one byte short
        path.write_bytes(data[:cut])
        line = one_error_line(run("analyze", path))
        reasons.add(line.removeprefix(f"costcalc: error: {path}: ").split(" (")[0])
    # protobuf rejects a cut inside any field; the few cuts between fields parse, and
    # the structural check names what they lost: the graph, or the opset imports
    assert reasons == {
        "empty file, not an ONNX model",
        "not a valid ONNX model",
        "not an ONNX model",
        "the model imports no opset: the file is truncated or not a complete ONNX model",
    }


def test_a_cut_that_still_parses_is_caught_by_the_structural_check(tmp_path):
    proto = conv_bn_relu_model()
    data = proto.SerializeToString()
    # the fields serialise in number order: the graph (7) comes before opset_import (8),
    # so cutting the file right after the graph leaves a message protobuf accepts
    no_opsets = onnx.ModelProto()
    no_opsets.CopyFrom(proto)
    no_opsets.ClearField("opset_import")
    prefix = no_opsets.SerializeToString()
    assert data.startswith(prefix) and len(prefix) < len(data)
    path = tmp_path / "half.onnx"
    path.write_bytes(prefix)
    parsed = onnx.load(str(path))
    assert len(parsed.graph.node) == 3  # protobuf sees a whole graph
    # onnx's own checker rejects it too (it fails on the missing opset import as well as on
    # outputs without a declared shape, which exporters write: too strict to run as is)
    with pytest.raises(onnx.checker.ValidationError):
        onnx.checker.check_model(parsed, full_check=False)
    assert one_error_line(run("analyze", path)) == (
        f"costcalc: error: {path}: the model imports no opset: the file is truncated or not a "
        "complete ONNX model"
    )


def test_half_a_graph_names_the_missing_tensor(tmp_path):
    proto = conv_bn_relu_model()
    del proto.graph.node[0]  # the conv is gone; the BatchNorm still reads its output
    path = save(proto, tmp_path / "half.onnx")
    assert one_error_line(run("analyze", path)) == (
        "costcalc: error: node 'bn' (BatchNormalization) reads tensor 'c', which no input, "
        "initializer or node defines (a truncated or edited model?)"
    )


def test_nodes_out_of_order_are_sorted_not_rejected():
    proto = conv_bn_relu_model()
    nodes = list(proto.graph.node)
    del proto.graph.node[:]
    proto.graph.node.extend(reversed(nodes))  # relu, bn, conv
    before = proto.SerializeToString()
    report = costcalc.analyze(proto)
    assert [r.name for r in report.layers] == ["conv", "bn", "relu"]
    # the same totals as the ordered model: 2*21,600 + 1,600 + 800 = 45,600 FLOPs
    # (tests/test_analyze_onnx.py::test_conv_bn_relu_counts derives each term)
    assert report.totals.flops == 45_600
    assert proto.SerializeToString() == before  # sorted in costcalc's copy only


def test_a_model_without_a_graph(tmp_path):
    empty = onnx.ModelProto(ir_version=8)
    path = tmp_path / "nograph.onnx"
    path.write_bytes(empty.SerializeToString())
    assert one_error_line(run("analyze", path)) == (
        f"costcalc: error: {path}: not an ONNX model (no graph in the file)"
    )
    # the same from the API, with a ModelProto
    with pytest.raises(CostcalcError, match="no graph"):
        costcalc.analyze(empty)


def test_a_model_without_nodes_is_a_valid_empty_report(tmp_path):
    # decision: a graph with no nodes (its input is its output) is valid ONNX; there is
    # nothing to cost, so every total is 0, and a warning says why. Exit 0.
    value = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph([], "passthrough", [value], [value])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = save(proto, tmp_path / "empty_graph.onnx")
    result = run("analyze", path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["layers"] == []
    totals = data["totals"]
    assert (totals["params"], totals["macs"], totals["flops"]) == (0, 0, 0)
    # the input is held for the run: 2*3 fp32 = 24 bytes
    assert totals["peak_activation_bytes"] == 24
    assert data["warnings"] == ["the graph has no nodes: nothing to cost, every total is 0"]


def test_a_file_over_protobufs_limit_says_so(tmp_path, monkeypatch):
    # a real one would be 2 GiB; the limit is lowered instead. Any file that size fails
    # to parse, and the message says why and what such models do instead.
    monkeypatch.setattr(onnx_parser, "PROTOBUF_LIMIT", 64)
    path = tmp_path / "huge.onnx"
    path.write_bytes(b"\x0f" * 100)  # wire type 7 does not exist: not parseable
    assert one_error_line(run("analyze", path)) == (
        f"costcalc: error: {path}: not a valid ONNX model: it is larger than protobuf's limit "
        "of 64 bytes (models this large keep their weights in external data files)"
    )


def test_a_model_over_the_inline_limit_is_inferred_through_a_file(monkeypatch):
    # a model whose copy is over protobuf's 2 GiB limit cannot be inferred in memory; the
    # resolver then saves it to a temporary folder and uses infer_shapes_path. Lowering
    # INLINE_LIMIT to 1 byte exercises that path on a small model.
    proto = conv_bn_relu_model()
    expected = costcalc.analyze(proto).to_dict()
    calls = {"memory": 0, "path": 0}
    in_memory, by_path = shape_inference.infer_shapes, shape_inference.infer_shapes_path

    def count_memory(*args, **kwargs):
        calls["memory"] += 1
        return in_memory(*args, **kwargs)

    def count_path(*args, **kwargs):
        calls["path"] += 1
        return by_path(*args, **kwargs)

    monkeypatch.setattr(shape_inference, "infer_shapes", count_memory)
    monkeypatch.setattr(shape_inference, "infer_shapes_path", count_path)
    monkeypatch.setattr(onnx_shapes, "INLINE_LIMIT", 1)
    report = costcalc.analyze(proto)
    assert calls["path"] >= 1 and calls["memory"] == 0
    assert report.to_dict() == expected


def test_a_model_with_symbolic_dims_left_unbound(tmp_path):
    # also in tests/test_analyze_onnx.py (API); here the CLI line names the fix
    path = save(model([helper.make_node("Relu", ["x"], ["y"], name="r")], {"x": ("N", 3)}, ["y"]),
                tmp_path / "sym.onnx")  # fmt: skip
    assert one_error_line(run("analyze", path)) == (
        "costcalc: error: input 'x' has an unbound dimension 'N' (axis 0): bind it with "
        "--dim N=SIZE or give the shape with --input x=Nx3"
    )
    result = run("analyze", path, "--dim", "N=5", "--format", "json")
    # bound: Relu on 5*3 = 15 elements, 1 FLOP each
    assert json.loads(result.stdout)["totals"]["flops"] == 15


def test_the_relu_helper_model_is_valid():
    assert costcalc.analyze(relu_model()).totals.flops == 6  # 2*3 elements, 1 FLOP each


def _if_model() -> onnx.ModelProto:
    """x -> If(constant true) -> y, each branch one Relu reading x from the outer scope."""
    branch = [helper.make_graph(
        [helper.make_node("Relu", ["x"], [f"{tag}_out"], name=f"{tag}_RELUX")], tag, [],
        [helper.make_tensor_value_info(f"{tag}_out", onnx.TensorProto.FLOAT, None)],
    ) for tag in ("then", "else")]  # fmt: skip
    cond = helper.make_node(
        "Constant", [], ["c"], value=helper.make_tensor("c", onnx.TensorProto.BOOL, [], [True])
    )
    node = helper.make_node("If", ["c"], ["y"], then_branch=branch[0], else_branch=branch[1])
    return model([cond, node], {"x": (2, 3)}, ["y"])


def _attribute_named_relux() -> onnx.ModelProto:
    node = helper.make_node("LeakyRelu", ["x"], ["y"], name="leaky", alpha=0.1)
    node.attribute[0].name = "RELUX"  # corrupted below, before any check reads it
    return model([node], {"x": (2, 3)}, ["y"])


def _node_named_relux() -> onnx.ModelProto:
    proto = relu_model()
    proto.graph.node[0].name = "RELUX"
    return proto


def _initializer_named_relux() -> onnx.ModelProto:
    weight = numpy_helper.from_array(np.ones((3, 3), np.float32), "RELUX")
    node = helper.make_node("MatMul", ["x", "RELUX"], ["y"], name="mm")
    return model([node], {"x": (2, 3)}, ["y"], [weight])


@pytest.mark.parametrize(
    ("build", "where"),
    [
        (_node_named_relux, "node"),
        (lambda: _rename_input(relu_model(), "x", "RELUX"), "tensor"),  # an input's name
        (_attribute_named_relux, "node"),
        (_initializer_named_relux, "tensor"),
        (_if_model, "node"),  # a node inside an If branch
    ],
    ids=["node-name", "graph-input", "attribute-name", "initializer", "subgraph-node"],
)
def test_names_that_are_not_utf8_are_a_corrupt_file(tmp_path, build, where):
    # 0xff never occurs in UTF-8: protobuf hands such a name back as bytes
    data = build().SerializeToString()
    assert data.count(b"RELUX") >= 1
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(data.replace(b"RELUX", b"REL\xff\xfe"))
    before = sha256(path)
    line = one_error_line(run("analyze", path))
    assert "not valid UTF-8" in line and "corrupt file" in line and where in line, line
    assert sha256(path) == before


def _rename_input(proto: onnx.ModelProto, old: str, new: str) -> onnx.ModelProto:
    proto.graph.input[0].name = new
    for node in proto.graph.node:
        node.input[:] = [new if i == old else i for i in node.input]
    return proto


def test_a_node_like_a_valid_one_but_for_an_empty_input_is_still_checked(tmp_path):
    # onnx's check of a node without attributes is remembered per op and filled slots: the
    # second Relu reads no tensor (an empty name in its required slot) and must be caught
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="good"),
        helper.make_node("Relu", [""], ["b"], name="bad"),
        helper.make_node("Add", ["a", "b"], ["y"], name="add"),
    ]
    path = save(model(nodes, {"x": (2, 3)}, ["y"]), tmp_path / "empty_input.onnx")
    line = one_error_line(run("analyze", path))
    assert "node 'bad' (Relu) is invalid for opset" in line, line
