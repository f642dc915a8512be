"""No data loss: every command that writes a file writes it atomically (a temporary file in
the same folder, then a rename), never over an existing file without --force, never over
an input, and a failed run leaves no file at all, temporary or final. Reading a model
never changes it.

The commands are driven only through their options; the shared mechanism under test is
costcalc.output.write_bytes, which every one of them uses.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
from pathlib import Path

import pytest

import costcalc
from tests.adversarial.helpers import one_error_line, relu_model, run, save, sha256, tree_hashes


@pytest.fixture
def workdir(tmp_path) -> Path:
    save(relu_model(), tmp_path / "m.onnx")
    (tmp_path / "budget.toml").write_text('[budget]\nparams = "1M"\nmacs = "1M"\n')
    return tmp_path


# command -> its arguments, given the model and the output path
WRITERS = {
    "analyze": lambda m, o: ["analyze", m, "-o", o, "--format", "json"],
    "diff": lambda m, o: ["diff", m, m, "-o", o, "--format", "json"],
    "check": lambda m, o: ["check", m, "--budget", m.parent / "budget.toml", "-o", o,
                           "--format", "json"],
    "audit": lambda m, o: ["audit", m, "-o", o, "--format", "json", "--jobs", "1", "-q"],
    "plot": lambda m, o: ["plot", m, "-o", o, "--kind", "bars"],
    "profile": lambda m, o: ["profile", m, "-o", o, "--format", "json", "--runs", "1",
                             "--warmup", "0"],
}  # fmt: skip


def _output(workdir: Path, command: str) -> Path:
    return workdir / ("out.png" if command == "plot" else "out.json")


def _no_temporary_files(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_writes_a_complete_file_and_leaves_no_temporary(workdir, command):
    out = _output(workdir, command)
    result = run(*WRITERS[command](workdir / "m.onnx", out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    _no_temporary_files(workdir)


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_never_over_an_existing_file_without_force(workdir, command):
    out = _output(workdir, command)
    out.write_bytes(b"precious")
    before = tree_hashes(workdir)
    assert one_error_line(run(*WRITERS[command](workdir / "m.onnx", out))) == (
        f"costcalc: error: {out}: already exists (use --force to overwrite)"
    )
    assert tree_hashes(workdir) == before


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_never_over_the_input_even_with_force(workdir, command):
    model = workdir / "m.onnx"
    if command == "plot":  # plot wants an image name: a model saved under one
        model = save(relu_model(), workdir / "model.png")
    before = tree_hashes(workdir)
    args = [*WRITERS[command](model, model), "--force"]
    assert one_error_line(run(*args)) == (
        f"costcalc: error: {model}: refusing to overwrite the input model"
    )
    assert tree_hashes(workdir) == before


def test_check_never_writes_over_its_budget_file(workdir):
    model, budget = workdir / "m.onnx", workdir / "budget.toml"
    before = tree_hashes(workdir)
    result = run("check", model, "--budget", budget, "-o", budget, "--force", "--format", "json")
    assert one_error_line(result) == (
        f"costcalc: error: {budget}: refusing to overwrite the input model"
    )
    assert tree_hashes(workdir) == before


def test_zoo_never_over_an_existing_file_without_force(tmp_path):
    out = tmp_path / "zoo.json"
    out.write_bytes(b"precious")
    assert one_error_line(run("zoo", "--format", "json", "-o", out)) == (
        f"costcalc: error: {out}: already exists (use --force to overwrite)"
    )
    assert out.read_bytes() == b"precious"


@pytest.fixture
def full_disk(monkeypatch):
    """os.fsync fails as on a full disk: after the temporary file is created and written."""

    def fail(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fail)


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("force", [False, True])
def test_a_failed_write_leaves_nothing_behind(workdir, full_disk, command, force):
    out = _output(workdir, command)
    if force:  # replacing a file: the old one survives intact
        out.write_bytes(b"previous")
    before = tree_hashes(workdir)
    args = WRITERS[command](workdir / "m.onnx", out) + (["--force"] if force else [])
    assert one_error_line(run(*args)) == (
        f"costcalc: error: {out}: cannot write (No space left on device)"
    )
    assert tree_hashes(workdir) == before  # no partial file, no temporary, model intact
    _no_temporary_files(workdir)


def test_a_renderer_failing_midway_leaves_no_file(workdir, monkeypatch):
    import costcalc.renderers.json as json_renderer

    def fail(report, **options):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(json_renderer, "render", fail)
    out = workdir / "out.json"
    before = tree_hashes(workdir)
    assert one_error_line(run("analyze", workdir / "m.onnx", "-o", out, "--format", "json")) == (
        "costcalc: error: RuntimeError: renderer crashed"
    )
    assert tree_hashes(workdir) == before


def test_an_interrupt_while_writing_leaves_nothing(workdir, monkeypatch):
    from costcalc.output import write_text

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    before = tree_hashes(workdir)
    with pytest.raises(KeyboardInterrupt):
        write_text(workdir / "report.json", "{}")
    assert tree_hashes(workdir) == before


def test_without_hard_links_the_file_is_still_placed_exclusively(workdir, monkeypatch):
    from costcalc.errors import OutputError
    from costcalc.output import write_text

    def no_links(src, dst):
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    write_text(workdir / "new.txt", "complete")
    assert (workdir / "new.txt").read_text() == "complete"
    with pytest.raises(OutputError, match="already exists"):
        write_text(workdir / "new.txt", "other")
    assert (workdir / "new.txt").read_text() == "complete"
    _no_temporary_files(workdir)


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", "{m}", "--format", "json"],
        ["analyze", "{m}", "--input", "5x3", "--dtype", "fp16", "--baseline", "dense"],
        ["diff", "{m}", "{m}"],
        ["check", "{m}", "--budget", "{budget}"],
        ["audit", "{m}", "--jobs", "1", "-q"],
        ["profile", "{m}", "--runs", "1", "--warmup", "0"],
        ["plot", "{m}", "-o", "{out_png}"],
    ],
    ids=["analyze", "analyze-overrides", "diff", "check", "audit", "profile", "plot"],
)
def test_reading_a_model_never_changes_it(workdir, args):
    before = tree_hashes(workdir)
    mtime = (workdir / "m.onnx").stat().st_mtime_ns
    out_png = workdir.parent / f"{workdir.name}.png"  # written outside the model's folder
    names = {"m": workdir / "m.onnx", "budget": workdir / "budget.toml", "out_png": out_png}
    result = run(*(a.format(**names) for a in args))
    assert result.exit_code == 0, result.output
    assert tree_hashes(workdir) == before
    assert (workdir / "m.onnx").stat().st_mtime_ns == mtime


def test_the_api_leaves_file_and_proto_unchanged(workdir):
    # (also in tests/test_analyze_onnx.py for a file and a ModelProto, one case each)
    path = workdir / "m.onnx"
    before = sha256(path)
    proto = relu_model()
    serialized = proto.SerializeToString()
    for model in (path, str(path), proto):
        costcalc.analyze(model, inputs=["x=4x3"], dtype="fp16", baseline="dense")
    assert sha256(path) == before
    assert proto.SerializeToString() == serialized


@pytest.mark.parametrize("force", [False, True])
def test_dev_null_is_written_to_never_replaced(workdir, force):
    # an atomic write would put a regular file in /dev's place (as root it can): a
    # character device is written to in place, with or without --force
    before = os.stat(os.devnull)
    args = ["analyze", workdir / "m.onnx", "-o", os.devnull, "--format", "json"]
    result = run(*args, *(["--force"] if force else []))
    assert result.exit_code == 0, result.output
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_dev) == (
        before.st_ino, before.st_dev,
    )  # fmt: skip
    assert not [p for p in Path(os.devnull).parent.iterdir() if p.name.startswith(".null.")]


def test_a_named_pipe_receives_the_report(workdir):
    fifo = workdir / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("analyze", workdir / "m.onnx", "-o", fifo, "--format", "json")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    # x (2, 3) -> Relu: 6 FLOPs
    assert json.loads(received[0])["totals"]["flops"] == 6
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    _no_temporary_files(workdir)
