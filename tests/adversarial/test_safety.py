"""Safety: nothing untrusted is unpickled or evaluated, and analysing a model imports only
what the user named, never a file that happens to lie in the current folder.

External-data paths resolved inside the model's folder (symlinks included) are tested in
test_external_data.py.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.adversarial.helpers import ROOT, relu_model, save

PACKAGE = ROOT / "costcalc"

# Calls that would deserialise or execute untrusted data.
FORBIDDEN = {
    "eval", "exec", "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load",
    "_pickle.loads", "cPickle.load", "marshal.load", "marshal.loads", "shelve.open",
    "dill.load", "dill.loads", "cloudpickle.load", "cloudpickle.loads", "joblib.load",
    "yaml.load", "yaml.unsafe_load", "torch.jit.load", "torch.package.PackageImporter",
}  # fmt: skip
UNPICKLING_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve",
                      "marshal"}  # fmt: skip


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        where = f"{shown}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.module in UNPICKLING_MODULES:
            found.append(f"{where}: from {node.module} import ...")
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name in FORBIDDEN:
            found.append(f"{where}: {name}()")
        elif name == "torch.load" and not _is_true(_keyword(node, "weights_only")):
            found.append(f"{where}: torch.load() without weights_only=True")
        elif name in ("np.load", "numpy.load") and _is_true(_keyword(node, "allow_pickle")):
            found.append(f"{where}: {name}(allow_pickle=True)")
    return found


def test_nothing_untrusted_is_unpickled_or_evaluated():
    # every call in the package, by its dotted name (an AST walk: docstrings and comments
    # that mention eval() do not count); torch.load only with weights_only=True
    found = [f for path in sorted(PACKAGE.rglob("*.py")) for f in _findings(path)]
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "probe.py"
    source = textwrap.dedent("""
        import pickle, torch, numpy as np
        from pickle import loads
        pickle.load(open("x", "rb"))
        torch.load("m.pt")
        torch.load("m.pt", weights_only=True)
        np.load("a.npy", allow_pickle=True)
        eval("1")
    """)
    bad.write_text(source)
    found = [f.split(": ", 1)[1] for f in _findings(bad)]
    assert sorted(found) == sorted([
        "from pickle import ...", "pickle.load()", "torch.load() without weights_only=True",
        "np.load(allow_pickle=True)", "eval()",
    ])  # fmt: skip


# Files a hostile current folder could hold: each records its import in a marker file.
# (Not costcalc.py: `python -m costcalc` imports it from the current folder before any
# costcalc code runs; that is Python's doing. The console script and cli.py do not.)
HOSTILE = ("onnx", "torch", "numpy", "pandas", "rich", "click", "matplotlib", "costcalc_plugin",
           "google", "json", "csv", "tomllib", "hypothesis")  # fmt: skip


@pytest.fixture(scope="module")
def startup_modules() -> set[str]:
    """Top-level modules imported by ``import costcalc.cli``: under ``python -m costcalc``
    Python imports them from the current folder first, before any costcalc code runs."""
    script = (
        "import sys; before = {m.split('.')[0] for m in sys.modules}; import costcalc.cli; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} - before)))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, check=True)  # fmt: skip
    return set(result.stdout.split())


@pytest.fixture
def hostile_folder(tmp_path) -> Path:
    for name in HOSTILE:
        (tmp_path / f"{name}.py").write_text(
            f"open({str(tmp_path / 'IMPORTED')!r} + '.{name}', 'w').close()\n"
            f"raise SystemExit('hostile {name}.py imported')\n"
        )
    save(relu_model(), tmp_path / "model.onnx")
    (tmp_path / "mynet.py").write_text(
        textwrap.dedent("""
        import torch.nn as nn

        def build():
            return nn.Sequential(nn.Linear(3, 2), nn.ReLU())
        """)
    )
    return tmp_path


def _imported(folder: Path) -> list[str]:
    return sorted(p.name.removeprefix("IMPORTED.") for p in folder.glob("IMPORTED.*"))


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", "model.onnx", "--format", "json"],
        ["analyze", "model.onnx", "--format", "csv"],
        ["analyze", "zoo:mobilenet_v2", "--input", "1x3x32x32", "--format", "json"],
        ["analyze", "mynet:build", "--input", "1x3", "--format", "csv"],
    ],
    ids=["onnx", "onnx-csv", "zoo", "module-spec"],
)
@pytest.mark.parametrize("launcher", ["cli.py", "-m"])
def test_only_what_the_user_names_is_imported(hostile_folder, startup_modules, args, launcher):
    # `python -m` puts the current folder first on sys.path, and imports the package (and
    # what it imports: json, click, rich...) from there before costcalc's __main__ can
    # drop it; every module imported later (onnx, torch, pandas, matplotlib, a plugin)
    # must not come from the folder. The launcher script never has the folder on sys.path.
    # A module spec makes it importable while the model loads: mynet is imported, and
    # torch (which mynet imports) still comes from site-packages.
    if launcher == "-m":
        for name in startup_modules & set(HOSTILE):
            (hostile_folder / f"{name}.py").unlink()
    command = [sys.executable, str(ROOT / "cli.py")] if launcher == "cli.py" else [
        sys.executable, "-m", "costcalc"]  # fmt: skip
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(hostile_folder)}
    result = subprocess.run(
        [*command, *args], capture_output=True, text=True, cwd=hostile_folder, env=env,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _imported(hostile_folder) == []
