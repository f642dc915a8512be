"""JSON renderer: the versioned ``costcalc.report/1`` document."""

from __future__ import annotations

from costcalc.report import Report


def render(report: Report, **_: object) -> str:
    return report.to_json() + "\n"
