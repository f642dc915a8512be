"""The committed zoo audit (reports/zoo.md, reports/zoo.csv) matches what costcalc counts now."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from costcalc.zoo.audit import audit, to_markdown

REPORTS = Path(__file__).resolve().parent.parent / "reports"


@pytest.fixture(scope="module")
def frame():
    return audit()


def test_markdown_report_is_current(frame):
    assert (REPORTS / "zoo.md").read_text() == to_markdown(frame), "run `make reports`"


def test_csv_report_is_current(frame):
    assert (REPORTS / "zoo.csv").read_text() == frame.to_csv(index=False), "run `make reports`"


def test_audit_has_exact_counts(frame):
    row = frame.set_index("model").loc["mobilenet_v2"]
    # torchvision's mobilenet_v2: 3,504,872 params; 300,774,272 MACs at 224x224
    assert (row["params"], row["macs"]) == (3_504_872, 300_774_272)
    # (3,504,872 - 3,400,000) / 3,400,000 = +3.08%
    assert row["params_diff_pct"] == pytest.approx(3.08)


def test_audit_has_the_dense_twin_and_patterns(frame):
    row = frame.set_index("model").loc["mobilenet_v1"]
    # MobileNet Table 4: the same network with standard convs, 29.3M params / 4866M MACs;
    # exactly 29,294,088 and 4,867,293,184 (derived in tests/test_baseline.py)
    assert (row["dense_params"], row["dense_macs"]) == (29_294_088, 4_867_293_184)
    assert row["patterns"] == "13 depthwise-separable"
