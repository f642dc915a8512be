"""Start-up stays light: no torch on the ONNX path, no pandas or torch for --help."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_help_imports_neither_torch_nor_pandas():
    out = run_python("""
        import sys
        from click.testing import CliRunner
        from costcalc.cli import main
        assert CliRunner().invoke(main, ["--help"]).exit_code == 0
        print(sorted(m for m in ("torch", "pandas", "matplotlib", "onnx") if m in sys.modules))
    """)
    assert out == "[]"


def test_analysing_an_onnx_file_does_not_import_torch(tmp_path):
    from tests.onnx_models import conv_bn_relu_model

    path = tmp_path / "m.onnx"
    import onnx

    onnx.save(conv_bn_relu_model(), str(path))
    out = run_python(f"""
        import sys, costcalc
        report = costcalc.analyze({str(path)!r}, baseline="dense", hardware="x86")
        print(report.totals.macs, "torch" in sys.modules)
    """)
    # conv 8x10x10 outputs x 3*9 = 21,600 MACs (see test_analyze_onnx.py)
    assert out == "21600 False"
