"""costcalc audit: many models in worker processes, one row each, failures recorded."""

from __future__ import annotations

import json
from pathlib import Path

import click
import onnx
import pandas as pd
import pytest
from click.testing import CliRunner

import costcalc
from costcalc import zoo
from costcalc.audit import COLUMNS, INT_COLUMNS, NO_ONNX, audit, expand
from costcalc.cli import CostcalcGroup
from costcalc.commands.audit import audit as audit_command
from tests import onnx_models

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
SLEEPER = "tests.audit_sleeper:build"
CRASHER = "tests.audit_sleeper:crash"


@click.group(cls=CostcalcGroup)
def cli() -> None:
    pass


cli.add_command(audit_command)


def invoke(*args: str):
    return CliRunner().invoke(cli, ["audit", *args])


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={c: "Int64" for c in INT_COLUMNS}, keep_default_na=False,
                       na_values=[""])  # fmt: skip


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="seconds").reset_index(drop=True)


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("broken") / "broken.onnx"
    path.write_text("this is a text file, not a model\n")
    return path


@pytest.fixture(scope="module")
def models_folder(tmp_path_factory) -> Path:
    """Two small ONNX models, one in a subfolder, and a file that is not .onnx."""
    folder = tmp_path_factory.mktemp("models")
    (folder / "sub").mkdir()
    onnx.save(onnx_models.conv_bn_relu_model(), folder / "sub" / "b_conv_bn.onnx")
    onnx.save(onnx_models.conv_model((1, 3, 8, 8), (4, 3, 3, 3)), folder / "a_conv.onnx")
    (folder / "notes.txt").write_text("not a model")
    return folder


@pytest.fixture(scope="module")
def zoo_batch(tmp_path_factory, broken):
    """`costcalc audit zoo:all BROKEN --jobs 2 -o summary.csv` (the acceptance run)."""
    out = tmp_path_factory.mktemp("out") / "summary.csv"
    result = invoke("zoo:all", str(broken), "--jobs", "2", "-o", str(out))
    return result, out


def test_zoo_plus_broken_file_one_row_per_input(zoo_batch, broken):
    result, out = zoo_batch
    assert result.exit_code == 0, result.output
    frame = read_csv(out)
    assert list(frame.columns) == COLUMNS
    assert list(frame["model"]) == [f"zoo:{n}" for n in zoo.names()] + [str(broken)]
    assert (frame["status"].iloc[:-1] == "ok").all()
    status = frame["status"].iloc[-1]
    assert status.startswith("failed: ") and "not a valid ONNX model" in status
    assert "\n" not in status
    assert frame.iloc[-1][INT_COLUMNS].isna().all()  # no made-up zeros
    assert "wrote" in result.output and "1 failed" in result.output


def test_zoo_rows_are_analyze_totals_exactly(zoo_batch):
    frame = read_csv(zoo_batch[1]).set_index("model")
    row = frame.loc["zoo:mobilenet_v2"]
    assert row["params"] == 3_504_872
    totals = costcalc.analyze("zoo:mobilenet_v2", baseline="dense").totals
    for column in ("params", "macs", "flops", "param_bytes", "peak_activation_bytes",
                   "read_bytes", "write_bytes", "dense_params", "dense_macs"):  # fmt: skip
        assert row[column] == getattr(totals, column), column
    assert row["macs_saving"] == pytest.approx(totals.dense_macs / totals.macs)
    assert row["patterns"] == "17 depthwise-separable"
    assert row["unsupported_ops"] == 0
    assert row["inputs"].endswith("=1x3x224x224")
    assert frame.loc["zoo:resnet50", "params"] == 25_557_032


def test_csv_keeps_exact_integers(zoo_batch):
    text = zoo_batch[1].read_text()
    header, mobilenet_v2 = text.splitlines()[0], text.splitlines()[3]
    assert header.split(",")[:5] == ["model", "source", "status", "inputs", "params"]
    assert mobilenet_v2.startswith("zoo:mobilenet_v2,zoo:mobilenet_v2,ok,")
    assert ",3504872,300774272," in mobilenet_v2  # no 3.504872e6, no 3504872.0


def test_inline_jobs_give_the_same_rows(zoo_batch, broken):
    pooled = read_csv(zoo_batch[1])
    inline = audit(["zoo:all", str(broken)], jobs=1)
    expected = comparable(pooled)
    pd.testing.assert_frame_equal(comparable(read_csv_roundtrip(inline)), expected)


def read_csv_roundtrip(frame: pd.DataFrame) -> pd.DataFrame:
    from io import StringIO

    buffer = StringIO(frame.to_csv(index=False))
    return read_csv(buffer)  # type: ignore[arg-type]


def test_folder_expands_to_its_onnx_files_sorted(models_folder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    seen = []
    frame = audit(
        [str(models_folder), str(empty)],
        jobs=1,
        progress=lambda row, done, total: seen.append((row["model"], done, total)),
    )
    assert list(frame["model"]) == [
        str(models_folder / "a_conv.onnx"),
        str(models_folder / "sub" / "b_conv_bn.onnx"),
        str(empty),
    ]
    assert list(frame["status"]) == ["ok", "ok", f"failed: {NO_ONNX}"]
    a_conv = costcalc.analyze(str(models_folder / "a_conv.onnx"), baseline="dense").totals
    assert frame["params"].iloc[0] == a_conv.params == 4 * 3 * 3 * 3
    assert frame["macs"].iloc[0] == a_conv.macs
    assert sorted(done for _, done, _ in seen) == [1, 2, 3]
    assert {total for _, _, total in seen} == {3}


def test_expand_zoo_all_and_specs(broken):
    everything = [job.model for job in expand(["zoo:*"])]
    assert everything == [job.model for job in expand(["zoo:all"])]
    assert everything == [f"zoo:{name}" for name in zoo.names()]
    jobs = expand(["zoo:resnet50", str(broken), SLEEPER])
    assert [job.source for job in jobs] == ["zoo:resnet50", str(broken.resolve()), SLEEPER]
    assert [job.is_torch for job in jobs] == [True, False, True]


def test_timeout_and_dead_worker_fail_their_rows_only(models_folder, monkeypatch):
    monkeypatch.chdir(ROOT)  # the workers import tests.audit_sleeper from here
    a_conv = str(models_folder / "a_conv.onnx")
    b_conv = str(models_folder / "sub" / "b_conv_bn.onnx")
    frame = audit([a_conv, SLEEPER, CRASHER, b_conv], jobs=2, timeout=3)
    assert list(frame["model"]) == [a_conv, SLEEPER, CRASHER, b_conv]
    assert list(frame["status"]) == [
        "ok",
        "failed: timed out after 3 s",
        "failed: worker process died (exit code 3)",
        "ok",
    ]
    assert frame["seconds"].iloc[1] >= 3


def test_inline_timeout(monkeypatch):
    monkeypatch.chdir(ROOT)
    frame = audit([SLEEPER, "zoo:mobilenet_v1_0.5"], jobs=1, timeout=0.5)
    assert list(frame["status"]) == ["failed: timed out after 0.5 s", "ok"]


def test_refuses_to_overwrite_before_running(tmp_path, broken):
    out = tmp_path / "summary.csv"
    out.write_text("keep me")
    result = invoke(str(broken), "-o", str(out), "--jobs", "1")
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert out.read_text() == "keep me"
    result = invoke(str(broken), "-o", str(out), "--jobs", "1", "--force")
    assert result.exit_code == 0, result.output
    assert read_csv(out)["status"].iloc[0].startswith("failed: ")


def test_exit_codes(models_folder, broken):
    assert invoke(str(models_folder), str(broken), "--jobs", "1", "-q").exit_code == 0
    strict = invoke(str(models_folder), str(broken), "--jobs", "1", "--strict")
    assert strict.exit_code == 1
    assert invoke(str(models_folder), "--jobs", "1", "--strict").exit_code == 0
    assert invoke().exit_code == 2  # no MODEL
    bad = invoke(str(models_folder), "--input", "1xax3")
    assert bad.exit_code == 2 and "costcalc: error:" in bad.output


def test_json_and_table_output(models_folder, broken):
    result = invoke(str(models_folder), str(broken), "--jobs", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "costcalc.audit/1"
    rows = data["rows"]
    assert [r["status"] for r in rows][:2] == ["ok", "ok"]
    assert isinstance(rows[0]["params"], int) and rows[2]["params"] is None
    table = invoke(str(models_folder), str(broken), "--jobs", "1")
    assert table.exit_code == 0
    assert "3 models, 2 ok, 1 failed" in table.stdout
    assert "not a valid ONNX model" in table.stdout
