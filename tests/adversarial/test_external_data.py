"""External weight files: missing ones are counted from dims; ones outside the model's
folder (relative escape, absolute path, symlinks) are never opened; and -o never writes
over them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import onnx
import pytest

from tests.adversarial.helpers import ROOT, matmul_model, one_error_line, run, sha256, tree_hashes


def save_external(proto: onnx.ModelProto, path: Path, location: str = "w.data") -> None:
    """Save with every tensor over 16 bytes in ``location`` (W is 4*4*4 = 64 bytes)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    onnx.save_model(
        copy, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
        location=location, size_threshold=16,
    )  # fmt: skip


def point_to(path: Path, location: str) -> None:
    """Rewrite the location of every external tensor of the model at ``path``."""
    proto = onnx.load(str(path), load_external_data=False)
    for tensor in proto.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    onnx.save_model(proto, str(path))


def test_missing_external_data_counts_params_from_dims(tmp_path):
    path = tmp_path / "m.onnx"
    save_external(matmul_model(), path)
    (tmp_path / "w.data").unlink()
    before = sha256(path)
    result = run("analyze", path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # W is 4x4: 16 params from its dims; x (2, 4) @ W: 2*4*4 = 32 MACs
    assert (data["totals"]["params"], data["totals"]["macs"]) == (16, 32)
    assert data["warnings"] == [
        "external data file 'w.data' not found: parameters counted from initializer dims"
    ]
    assert sha256(path) == before


@pytest.fixture
def escapes(tmp_path) -> dict[str, Path]:
    """Three models whose external data lies outside their folder, each a FIFO: opening one
    for reading blocks until a writer comes, so a process that opens it (from Python or
    from onnx's C++) hangs, and the subprocess timeout fails the test."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("abs.fifo", "link.fifo", "dir.fifo"):
        os.mkfifo(outside / name)
    (outside / "folder").mkdir()
    os.mkfifo(outside / "folder" / "w.data")
    models = {}
    # 1. an absolute location
    folder = tmp_path / "absolute"
    folder.mkdir()
    save_external(matmul_model(), folder / "m.onnx")
    point_to(folder / "m.onnx", str(outside / "abs.fifo"))
    (folder / "w.data").unlink()
    models["absolute"] = folder / "m.onnx"
    # 2. a relative location naming a symlink in the folder that points outside
    folder = tmp_path / "symlink"
    folder.mkdir()
    save_external(matmul_model(), folder / "m.onnx")
    (folder / "w.data").unlink()
    (folder / "w.data").symlink_to(outside / "link.fifo")
    models["symlink"] = folder / "m.onnx"
    # 3. a location under a symlinked directory that points outside
    folder = tmp_path / "symlinked_dir"
    folder.mkdir()
    save_external(matmul_model(), folder / "m.onnx")
    point_to(folder / "m.onnx", "weights/w.data")
    (folder / "w.data").unlink()
    (folder / "weights").symlink_to(outside / "folder", target_is_directory=True)
    models["symlinked_dir"] = folder / "m.onnx"
    return models


def test_external_data_outside_the_folder_is_never_opened(escapes):
    # tests/test_analyze_onnx.py covers '../secret.data' with an audit hook; here the
    # absolute and symlinked cases, with FIFOs that would hang any reader, C++ included
    script = textwrap.dedent("""
        import json, sys, costcalc
        out = {}
        for key, path in json.loads(sys.argv[1]).items():
            report = costcalc.analyze(path)
            out[key] = [report.totals.params, report.totals.macs, report.warnings]
        print(json.dumps(out))
    """)
    arg = json.dumps({k: str(v) for k, v in escapes.items()})
    result = subprocess.run(
        [sys.executable, "-c", script, arg], capture_output=True, text=True, cwd=ROOT,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    absolute = str(escapes["absolute"].parent.parent / "outside" / "abs.fifo")
    # W is 4x4: 16 params, counted from its dims; 2*4*4 = 32 MACs
    assert out["absolute"] == [16, 32, [
        f"external data location {absolute!r} lies outside the model's folder: not opened"
    ]]  # fmt: skip
    assert out["symlink"] == [16, 32, [
        "external data location 'w.data' lies outside the model's folder: not opened"
    ]]  # fmt: skip
    assert out["symlinked_dir"] == [16, 32, [
        "external data location 'weights/w.data' lies outside the model's folder: not opened"
    ]]  # fmt: skip


def test_a_symlink_that_stays_inside_the_folder_is_fine(tmp_path):
    path = tmp_path / "m.onnx"
    save_external(matmul_model(), path)
    (tmp_path / "w.data").rename(tmp_path / "real.data")
    (tmp_path / "w.data").symlink_to(tmp_path / "real.data")
    result = run("analyze", path, "--format", "json")
    data = json.loads(result.stdout)
    assert data["warnings"] == []
    assert data["totals"]["params"] == 16  # the 4x4 W


def test_output_never_replaces_the_models_weight_file(tmp_path):
    path = tmp_path / "m.onnx"
    save_external(matmul_model(), path)
    before = tree_hashes(tmp_path)
    weights = tmp_path / "w.data"
    # without --force: the file exists
    assert one_error_line(run("analyze", path, "-o", weights, "--format", "json")) == (
        f"costcalc: error: {weights}: already exists (use --force to overwrite)"
    )
    # with --force: still refused, it holds the model's weights
    assert one_error_line(run("analyze", path, "-o", weights, "--format", "json", "--force")) == (
        f"costcalc: error: {weights}: refusing to overwrite the weights of the input model {path}"
    )
    # the model itself, also through a hard link (another name for the same file)
    link = tmp_path / "alias.onnx"
    os.link(path, link)
    assert one_error_line(run("analyze", path, "-o", link, "--format", "json", "--force")) == (
        f"costcalc: error: {link}: refusing to overwrite the input model"
    )
    link.unlink()
    assert tree_hashes(tmp_path) == before
