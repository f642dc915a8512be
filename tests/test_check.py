"""costcalc check: budgets in TOML, exit 0 within, 1 over, 2 on every kind of bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path

import click
import onnx
import pytest
from click.testing import CliRunner, Result

import costcalc
from costcalc.budget import METRICS, BudgetError, load_budget
from costcalc.cli import CostcalcGroup
from costcalc.commands.check import check
from costcalc.report import Totals
from tests.onnx_models import conv_model, custom_op_model

REPO = Path(__file__).resolve().parent.parent

# The model of most tests: one Conv 3->4, 3x3, pad 1, bias, on a 1x3x8x8 input.
#   params  = 4*3*3*3 weights + 4 biases = 108 + 4 = 112
#   MACs    = 4 out channels * 8*8 positions * 3*3*3 = 6,912
#   peak activation bytes = input 3*64*4 B + output 4*64*4 B = 768 + 1,024 = 1,792
#   h200 estimate: 5.0 us (the 5 us kernel overhead; the work itself takes < 0.001 us)
PARAMS, MACS, PEAK = 112, 6_912, 1_792


def cli() -> click.Group:
    group = CostcalcGroup("costcalc")
    group.add_command(check)
    return group


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli(), ["check", *args], env={"COLUMNS": "200", **(env or {})})


@pytest.fixture
def onnx_path(tmp_path: Path) -> Path:
    path = tmp_path / "conv.onnx"
    onnx.save(conv_model((1, 3, 8, 8), (4, 3, 3, 3), bias=True, pads=[1, 1, 1, 1]), path)
    return path


def write(folder: Path, text: str, name: str = "budget.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("costcalc: error: ")
    return lines[0]


# --------------------------------------------------------------------------- exit 0 and 1

WITHIN = """
[budget]
params = 112                  # exactly the model's 112: a limit is a maximum, inclusive
macs = "7K"                   # 7,000 >= 6,912
peak_activation_bytes = "2KiB"          # 2,048 >= 1,792
latency_ms = { value = 0.01, hardware = "h200" }   # 5.0 us = 0.005 ms
"""


def test_within_budget_exits_0(onnx_path: Path, tmp_path: Path) -> None:
    result = run(str(onnx_path), "--budget", str(write(tmp_path, WITHIN)))
    assert result.exit_code == 0, result.output
    for text in ("params", "macs", "peak_activation_bytes", "latency_ms @ h200", "PASS"):
        assert text in result.stdout
    assert "FAIL" not in result.stdout
    assert "within all 4 limit(s)" in result.stdout
    assert "0.005 ms" in result.stdout  # 5.0 us / 1000


def test_over_an_absolute_limit_exits_1(onnx_path: Path, tmp_path: Path) -> None:
    budget = write(tmp_path, '[budget]\nparams = "1K"\nmacs = "6.9K"\n')
    result = run(str(onnx_path), "--budget", str(budget), "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is False
    rows = {r["key"]: r for r in data["results"]}
    # params 112 <= 1,000: margin 888; macs 6,912 > 6,900: margin -12
    assert (rows["params"]["passed"], rows["params"]["margin"]) == (True, 888)
    assert (rows["macs"]["passed"], rows["macs"]["margin"]) == (False, -12)
    assert rows["macs"]["line"] == 3


@pytest.fixture
def small_baseline(tmp_path: Path) -> Path:
    """The report of a Conv 3->2 (half the output channels of the model under test):
    params 2*27 + 2 = 56, MACs 2*64*27 = 3,456."""
    report = costcalc.analyze(conv_model((1, 3, 8, 8), (2, 3, 3, 3), bias=True, pads=[1, 1, 1, 1]))
    assert (report.totals.params, report.totals.macs) == (56, 3_456)
    path = tmp_path / "reports" / "small.json"
    path.parent.mkdir()
    path.write_text(report.to_json())
    return path


@pytest.mark.parametrize(
    ("change", "code", "limit"),
    [
        ("+100%", 0, 6_912),  # 3,456 * 2 = 6,912: the value sits exactly on the limit
        ("+99%", 1, 6_877),  # 3,456 * 1.99 = 6,877.44: 6,912 is over
        ("+3456", 0, 6_912),  # an absolute change: 3,456 + 3,456
        ("+3.4K", 1, 6_856),  # 3,456 + 3,400 = 6,856
    ],
)
def test_regression_limits(
    onnx_path: Path, tmp_path: Path, small_baseline: Path, change: str, code: int, limit: int
) -> None:
    # the baseline path is relative to the budget file's folder
    text = f'[regression]\nbaseline = "reports/small.json"\nmacs = "{change}"\n'
    result = run(str(onnx_path), "--budget", str(write(tmp_path, text)), "--format", "json")
    assert result.exit_code == code, result.output
    (row,) = json.loads(result.stdout)["results"]
    assert (row["section"], row["baseline"], row["value"], row["limit"]) == (
        "regression", 3_456, MACS, limit,
    )  # fmt: skip


def test_a_negative_change_requires_a_drop(onnx_path: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "same.json"
    baseline.write_text(costcalc.analyze(str(onnx_path)).to_json())
    text = '[regression]\nbaseline = "same.json"\nparams = "+0%"\nmacs = "-5%"\n'
    result = run(str(onnx_path), "--budget", str(write(tmp_path, text)), "--format", "json")
    assert result.exit_code == 1
    rows = {r["key"]: r for r in json.loads(result.stdout)["results"]}
    assert rows["params"]["passed"] and rows["params"]["limit"] == PARAMS  # +0%: unchanged
    assert not rows["macs"]["passed"]
    assert rows["macs"]["limit"] == 6_566  # floor(6,912 * 0.95 = 6,566.4)


def test_latency_regression_uses_the_baselines_hardware(onnx_path: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "timed.json"
    baseline.write_text(costcalc.analyze(str(onnx_path), hardware="h200").to_json())
    text = '[regression]\nbaseline = "timed.json"\nlatency_ms = "+0%"\n'
    result = run(str(onnx_path), "--budget", str(write(tmp_path, text)), "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["results"]
    assert (row["hardware"], row["value"], row["limit"]) == ("h200", 0.005, 0.005)


def test_dense_limits_run_the_dense_baseline(tmp_path: Path) -> None:
    path = tmp_path / "dw.onnx"
    onnx.save(conv_model((1, 4, 8, 8), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1]), path)
    # depthwise 3x3 on 4 channels: 4*64*9 = 2,304 MACs; its dense twin 4*64*4*9 = 9,216
    budget = write(tmp_path, '[budget]\nmacs = "2304"\ndense_macs = "9K"\n')
    result = run(str(path), "--budget", str(budget), "--format", "json")
    assert result.exit_code == 1
    rows = {r["key"]: r for r in json.loads(result.stdout)["results"]}
    assert (rows["macs"]["value"], rows["macs"]["passed"]) == (2_304, True)
    assert (rows["dense_macs"]["value"], rows["dense_macs"]["passed"]) == (9_216, False)


def test_model_options_and_their_overrides(tmp_path: Path) -> None:
    path = tmp_path / "batch.onnx"
    onnx.save(conv_model(("N", 3, 8, 8), (4, 3, 3, 3), bias=True, pads=[1, 1, 1, 1]), path)
    text = f'[model]\nsource = "{path.name}"\ndims = {{ N = 2 }}\n[budget]\nmacs = "10K"\n'
    budget = write(tmp_path, text)
    # N = 2: 2 * 6,912 = 13,824 MACs > 10,000; the model comes from [model] source
    assert run("--budget", str(budget)).exit_code == 1
    # --dim N=1 overrides the file: 6,912 <= 10,000
    assert run("--budget", str(budget), "--dim", "N=1").exit_code == 0
    # --input replaces the shape: 1x3x8x8 binds N = 1 too
    assert run("--budget", str(budget), "--input", "1x3x8x8").exit_code == 0


# --------------------------------------------------------------------------- lower bounds


@pytest.fixture
def custom_path(tmp_path: Path) -> Path:
    """Relu -> com.example.Mystery -> Relu: 2 uncosted ops (the custom op, and the Relu
    after it, whose input shape is unknown); totals are a lower bound."""
    path = tmp_path / "custom.onnx"
    onnx.save(custom_op_model(), path)
    return path


def test_a_lower_bound_fails_by_default(custom_path: Path, tmp_path: Path) -> None:
    result = run(str(custom_path), "--budget", str(write(tmp_path, "[budget]\nflops = 1000\n")))
    assert result.exit_code == 1, result.output
    assert "lower bound (2 uncosted op(s))" in result.stdout
    assert "allow_lower_bound = true" in result.stdout


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ("allow_lower_bound = true", 0),
        ("unsupported_ops = 2", 0),  # 2 uncosted ops <= 2
        ("unsupported_ops = 1", 1),  # 2 > 1
    ],
)
def test_a_lower_bound_accepted(custom_path: Path, tmp_path: Path, extra: str, code: int) -> None:
    budget = write(tmp_path, f"[budget]\nflops = 1000\n{extra}\n")
    result = run(str(custom_path), "--budget", str(budget))
    assert result.exit_code == code, result.output
    assert "warning: totals are a lower bound" in result.stderr


# --------------------------------------------------------------------------- exit 2


def test_unparsable_toml_names_the_line(onnx_path: Path, tmp_path: Path) -> None:
    budget = write(tmp_path, '[budget]\nparams = "4M"\nmacs = \n')
    line = one_error_line(run(str(onnx_path), "--budget", str(budget)))
    assert "not valid TOML" in line and "line 3" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[budget]\nmac = "4M"\n',
            "budget.toml:2: [budget] mac: unknown key (did you mean 'macs'?)",
        ),
        ('[budget]\nparams = "4M"\n[regresion]\n', "budget.toml:3: unknown section [regresion]"),
        ('[model]\ninput = ["1x3x8x8"]\n[budget]\nparams = 1\n', "[model] input: unknown key"),
        ('[regression]\nbaseline = "b.json"\nmaks = "+1%"\n', "did you mean 'macs'?"),
        ('params = "4M"\n', "params: a key outside any section"),
        (
            '[budget]\nlatency_ms = { value = 1, hardwre = "h200" }\n',
            "[budget] latency_ms: unknown key 'hardwre' (did you mean 'hardware'?)",
        ),
    ],
)
def test_unknown_keys(onnx_path: Path, tmp_path: Path, text: str, expected: str) -> None:
    line = one_error_line(run(str(onnx_path), "--budget", str(write(tmp_path, text))))
    assert expected in line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"4Q"', "'4Q' is not a quantity"),
        ("-1", "-1: a limit must be a positive number"),
        ("0", "0: a limit must be a positive number"),
        ('"-1M"', "'-1M' is not a quantity"),
        ("nan", "nan: a limit must be a positive number"),
        ("true", "True (bool) is not a number"),
        ("[1, 2]", "[1, 2] (list) is not a number"),
        ("{ value = 1 }", "a table only for est_time_us and latency_ms"),
    ],
)
def test_bad_values_name_the_key(
    onnx_path: Path, tmp_path: Path, value: str, expected: str
) -> None:
    budget = write(tmp_path, f'[budget]\nmacs = "1G"\nparams = {value}\n')
    line = one_error_line(run(str(onnx_path), "--budget", str(budget)))
    assert "budget.toml:3: [budget] params: " in line and expected in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[regression]\nbaseline = 'b.json'\nmacs = 2\n", 'write a change like "+2%"'),
        ("[regression]\nbaseline = 'b.json'\nmacs = '+2Q'\n", "'+2Q': write a change"),
        ("[regression]\nbaseline = 'b.json'\nmacs = '-100%'\n", "a drop of 100% or more"),
        ("[regression]\nmacs = '+2%'\n", "relative limits need `baseline"),
        ("[regression]\nbaseline = 'b.json'\n", "a baseline but no limit"),
        ("[budget]\nlatency_ms = 2.0\n", "latency_ms: needs a hardware profile"),
        # b.json was saved without --hardware: no estimate to compare with
        ("[regression]\nbaseline = 'b.json'\nlatency_ms = '+0%'\n", "has no estimate on a"),
        ("[budget]\nlatency_ms = { value = 2.0, hardware = 'h900' }\n", "no such profile"),
        ("[budget]\nunsupported_ops = -1\n", "unsupported_ops: -1 must be a count"),
        ("[budget]\nmacs = 1\nallow_lower_bound = 'yes'\n", "must be true or false"),
        ("[model]\ndims = { N = 0 }\n[budget]\nmacs = 1\n", "[model] dims: must be a table"),
        ("[budget]\n", "no limits"),
    ],
)
def test_bad_limits(
    onnx_path: Path, tmp_path: Path, small_baseline: Path, text: str, expected: str
) -> None:
    (tmp_path / "b.json").write_text(small_baseline.read_text())
    line = one_error_line(run(str(onnx_path), "--budget", str(write(tmp_path, text))))
    assert expected in line


def test_missing_baseline(onnx_path: Path, tmp_path: Path) -> None:
    text = '[regression]\nbaseline = "reports/gone.json"\nmacs = "+2%"\n'
    line = one_error_line(run(str(onnx_path), "--budget", str(write(tmp_path, text))))
    assert "budget.toml:2: [regression] baseline 'reports/gone.json': no such file" in line


@pytest.mark.parametrize(
    "content",
    ['{"schema": "other/1", "totals": {}}', "not json", '{"schema": "costcalc.report/1"}'],
)
def test_baseline_not_a_report(onnx_path: Path, tmp_path: Path, content: str) -> None:
    (tmp_path / "base.json").write_text(content)
    text = '[regression]\nbaseline = "base.json"\nmacs = "+2%"\n'
    line = one_error_line(run(str(onnx_path), "--budget", str(write(tmp_path, text))))
    assert "[regression] baseline 'base.json': not a costcalc JSON report" in line


def test_baseline_without_the_metric(onnx_path: Path, tmp_path: Path, small_baseline) -> None:
    # saved without --baseline dense: its dense_macs is null
    text = '[regression]\nbaseline = "reports/small.json"\ndense_macs = "+2%"\n'
    line = one_error_line(run(str(onnx_path), "--budget", str(write(tmp_path, text))))
    assert "dense_macs: the baseline" in line and "has no dense_macs" in line


def test_missing_budget_file(onnx_path: Path, tmp_path: Path) -> None:
    line = one_error_line(run(str(onnx_path), "--budget", str(tmp_path / "none.toml")))
    assert "none.toml: budget file not found" in line


def test_missing_model(tmp_path: Path) -> None:
    line = one_error_line(run("--budget", str(write(tmp_path, "[budget]\nmacs = 1\n"))))
    assert "no model" in line and "[model] source" in line


# --------------------------------------------------------------------------- pyproject.toml

PYPROJECT = """
[project]
name = "demo"

[tool.costcalc.model]
source = "conv.onnx"

[tool.costcalc.budget]
macs = "{macs}"
"""


def test_pyproject_lookup(onnx_path: Path, tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, PYPROJECT.format(macs="7K"), "pyproject.toml")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # found in the parent; conv.onnx relative to it
    result = run()
    assert result.exit_code == 0, result.output
    assert "pyproject.toml" in result.stdout
    write(tmp_path, PYPROJECT.format(macs="6K"), "pyproject.toml")
    assert run().exit_code == 1  # 6,912 > 6,000


def test_pyproject_errors_name_the_table(onnx_path: Path, tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, PYPROJECT.replace("macs", "mac").format(mac="7K"), "pyproject.toml")
    monkeypatch.chdir(tmp_path)
    line = one_error_line(run())
    assert "pyproject.toml:9: [tool.costcalc.budget] mac: unknown key" in line


def test_no_pyproject_section(onnx_path: Path, tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, '[project]\nname = "demo"\n', "pyproject.toml")
    monkeypatch.chdir(tmp_path)
    line = one_error_line(run(str(onnx_path)))
    assert "no budget: give --budget FILE, or add [tool.costcalc.budget]" in line


# --------------------------------------------------------------------------- output formats

MIXED = '[budget]\nparams = 200\nmacs = "6.9K"\n'  # params 112 <= 200 passes; macs fails


def test_github_annotations_and_step_summary(onnx_path: Path, tmp_path: Path, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.chdir(tmp_path)
    write(tmp_path, MIXED)
    result = run(
        str(onnx_path), "--budget", "budget.toml", "--format", "github",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    # macs 6,912 over 6,900 by 12 = 0.17% of the limit; "%" is escaped as %25
    assert (
        "::error title=costcalc budget,file=budget.toml,line=3::"
        "macs 6.91K exceeds 6.90K (<= 6.90K) by 12 (0.2%25)"
    ) in lines
    # params: margin 200 - 112 = 88, 44.0% of the limit
    assert (
        "::notice title=costcalc budget,file=budget.toml,line=2::"
        "params 112 is within 200 (<= 200; margin 88, 44.0%25)"
    ) in lines
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, not replaced
    assert "## costcalc check" in text and "| macs |" in text and "❌ FAIL" in text


def test_junit_xml(onnx_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.xml"
    budget = write(tmp_path, MIXED + 'peak_activation_bytes = "1KiB"\n')  # 1,792 > 1,024
    result = run(str(onnx_path), "--budget", str(budget), "--format", "junit", "-o", str(out))
    assert result.exit_code == 1, result.output  # the file is written before exit 1
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["params", "macs", "peak_activation_bytes"]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["macs", "peak_activation_bytes"]
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    # -o never overwrites without --force
    again = run(str(onnx_path), "--budget", str(budget), "--format", "junit", "-o", str(out))
    assert "already exists" in one_error_line(again)


@pytest.mark.parametrize(("suffix", "marker"), [(".md", "| Limit |"), (".html", "<table")])
def test_markdown_and_html(onnx_path: Path, tmp_path: Path, suffix: str, marker: str) -> None:
    out = tmp_path / f"check{suffix}"  # the format comes from the extension
    result = run(str(onnx_path), "--budget", str(write(tmp_path, MIXED)), "-o", str(out))
    assert result.exit_code == 1
    text = out.read_text()
    assert marker in text and "macs" in text and "FAIL" in text and "PASS" in text
    assert "exceeds 1 of 2 limit(s)" in text
    assert "FAIL: " in result.stderr  # the verdict still reaches the log


def test_markdown_on_stdout(onnx_path: Path, tmp_path: Path) -> None:
    budget = write(tmp_path, "[budget]\nparams = 200\n")
    result = run(str(onnx_path), "--budget", str(budget), "--format", "markdown")
    assert result.exit_code == 0
    assert "| params | 112 | 200 | +88 (44.0%) | ✅ PASS |" in result.stdout


# --------------------------------------------------------------------------- the rest


def test_every_numeric_total_is_a_budget_key() -> None:
    numeric = {f.name for f in fields(Totals) if f.type in ("int", "int | None", "float | None")}
    assert numeric - {"measured_us"} <= set(METRICS)
    assert {"params", "macs", "peak_activation_bytes", "est_time_us", "latency_ms"} <= set(METRICS)


def test_load_budget_api(tmp_path: Path) -> None:
    budget = load_budget(write(tmp_path, '[budget]\nparams = "3.6M"\nmacs = 3e8\n'))
    assert [(lim.key, lim.amount) for lim in budget.limits] == [
        ("params", 3_600_000), ("macs", 3e8),
    ]  # fmt: skip
    with pytest.raises(BudgetError, match="mac"):
        load_budget(write(tmp_path, "[budget]\nmac = 1\n"))


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli(), ["check", "--help"])
    assert result.exit_code == 0
    assert "costcalc check zoo:mobilenet_v2 --budget budgets/mobilenet_v2.toml" in result.output


def test_the_repos_own_budget() -> None:
    pytest.importorskip("torch")
    result = run("zoo:mobilenet_v2", "--budget", str(REPO / "budgets" / "mobilenet_v2.toml"))
    assert result.exit_code == 0, result.output
    # 4 absolute limits and 2 regression limits (params and macs, +0%)
    assert "within all 6 limit(s)" in result.stdout


def test_the_pre_commit_hook_is_valid_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "costcalc-check", "costcalc check", "python",
    )  # fmt: skip
    assert hook["pass_filenames"] is False
