"""Every command: a missing file or a bad option is one line on stderr and exit code 2,
never click's four-line usage block, never a traceback.

Driven through the command line only. The bad-option cases are generated for every
command registered on ``costcalc.cli.main``, so a command added later is covered too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from costcalc.cli import main
from tests.adversarial.helpers import one_error_line, relu_model, run, save

COMMANDS = main.list_commands(None)
MISSING = "missing.onnx"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option(command):
    line = one_error_line(run(command, "--no-such-option"))
    assert line == (
        f"costcalc: error: costcalc {command}: No such option '--no-such-option' "
        f"(see costcalc {command} --help)"
    )


def test_an_unknown_command():
    assert one_error_line(run("analyse", "m.onnx")) == (
        "costcalc: error: costcalc: No such command 'analyse'. Did you mean 'analyze'? (see "
        "costcalc --help)"
    )


@pytest.fixture
def files(tmp_path):
    save(relu_model(), tmp_path / "m.onnx")
    (tmp_path / "budget.toml").write_text('[budget]\nparams = "1M"\n')
    return {
        "model": str(tmp_path / "m.onnx"),
        "missing": str(tmp_path / MISSING),
        "budget": str(tmp_path / "budget.toml"),
        "missing_toml": str(tmp_path / "missing.toml"),
        "png": str(tmp_path / "out.png"),
        "nowhere": str(tmp_path / "no" / "such" / "folder" / "out.json"),
    }


# (args, the message after "costcalc: error: "); {names} are the files above
CASES = {
    "analyze": [
        (["analyze", "{missing}"], "{missing}: no such file"),
        (["analyze"], "costcalc analyze: Missing argument 'MODEL' (see costcalc analyze --help)"),
        (["analyze", "{model}", "--format", "xml"], "costcalc analyze: Invalid value for "
         "'--format': 'xml' is not one of 'csv', 'html', 'json', 'markdown', 'table' (see "
         "costcalc analyze --help)"),
        (["analyze", "{model}", "-o", "{nowhere}"],
         "{nowhere}: folder {nowhere_parent} does not exist"),
    ],
    "check": [
        (["check", "{missing}", "--budget", "{budget}"], "{missing}: no such file"),
        (["check", "{model}", "--budget", "{missing_toml}"], "{missing_toml}: budget file not "
         "found"),
    ],
    "diff": [
        (["diff", "{missing}", "{model}"], "{missing}: no such file"),
        (["diff", "{model}", "{missing}"], "{missing}: no such file"),
        (["diff", "{model}"], "costcalc diff: Missing argument 'B' (see costcalc diff --help)"),
    ],
    "plot": [
        (["plot", "{missing}", "-o", "{png}"], "{missing}: no such file"),
        (["plot", "{model}"], "costcalc plot: Missing option '-o' / '--output' (see costcalc "
         "plot --help)"),
        (["plot", "{model}", "-o", "{png}", "--kind", "pie"], "costcalc plot: Invalid value for "
         "'--kind': 'pie' is not one of 'roofline', 'bars' (see costcalc plot --help)"),
    ],
    "profile": [
        (["profile", "{missing}"], "{missing}: no such file"),
    ],
    "zoo": [
        (["zoo", "-o", "{nowhere}"], "{nowhere}: folder {nowhere_parent} does not exist"),
        (["zoo", "--format", "xx"], "costcalc zoo: Invalid value for '--format': 'xx' is not one "
         "of 'table', 'csv', 'markdown', 'json' (see costcalc zoo --help)"),
    ],
    "layer": [
        (["layer", "conv", "--cin", "abc"], "costcalc layer conv: Invalid value for '--cin': "
         "'abc' is not a valid integer (see costcalc layer conv --help)"),
        (["layer", "nope"], "costcalc layer: No such command 'nope' (see costcalc layer --help)"),
    ],
    "crosscheck": [
        (["crosscheck", "{missing}"], "{missing}: crosscheck needs a PyTorch model (zoo:NAME or "
         "package.module:callable), not an ONNX file"),
        (["crosscheck", "no_such_module_xyz:build"], "no_such_module_xyz:build: cannot import "
         "'no_such_module_xyz' (No module named 'no_such_module_xyz')"),
    ],
    "hardware": [
        (["hardware", "{missing_toml}"], "--hardware {missing_toml}: no such profile or file "
         "(shipped: a100, h100, h200, jetson_orin, rpi4, t4, x86)"),
    ],
    "calibrate": [
        (["calibrate"], "costcalc calibrate: Missing option '-o' / '--output' (see costcalc "
         "calibrate --help)"),
        (["calibrate", "-o", "{png}", "--base", "{missing_toml}"], "--hardware {missing_toml}: "
         "no such profile or file (shipped: a100, h100, h200, jetson_orin, rpi4, t4, x86)"),
    ],
    "audit": [
        (["audit", "{model}", "--jobs", "0"], "costcalc audit: Invalid value for '-j' / "
         "'--jobs': 0 is not in the range x>=1 (see costcalc audit --help)"),
        (["audit"], "costcalc audit: Missing argument 'MODEL...' (see costcalc audit --help)"),
    ],
}  # fmt: skip
PARAMS = [
    pytest.param(command, args, message, id=f"{command}-{i}",
                 marks=[] if command in COMMANDS else [pytest.mark.skip(
                     reason=f"`costcalc {command}` is not registered in costcalc.cli")])
    for command, cases in CASES.items() for i, (args, message) in enumerate(cases)
]  # fmt: skip


@pytest.mark.parametrize(("command", "args", "message"), PARAMS)
def test_missing_files_and_bad_values(files, command, args, message):
    names = {**files, "nowhere_parent": str(Path(files["nowhere"]).parent)}
    line = one_error_line(run(*(a.format(**names) for a in args)))
    assert line == "costcalc: error: " + message.format(**names)


def test_every_registered_command_has_file_cases():
    # a new command gets its missing-file / bad-value cases here
    assert set(COMMANDS) <= set(CASES), sorted(set(COMMANDS) - set(CASES))


def test_audit_of_a_path_that_does_not_exist(files):
    # a typo in a CI script is bad usage, not one failed row among many: exit 2, one line
    line = one_error_line(run("audit", files["missing"], "--jobs", "1", "-q"))
    assert "no such file or folder" in line
