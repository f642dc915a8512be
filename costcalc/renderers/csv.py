"""CSV renderer: the per-layer table (or a grouping) with exact integers, for pandas."""

from __future__ import annotations

from costcalc.report import Report


def render(report: Report, by: str = "layer", depth: int | None = None, **_: object) -> str:
    frame = report.to_dataframe() if by == "layer" else report.group_by(by, depth)
    if by == "layer":
        for column in ("inputs", "outputs"):
            frame[column] = frame[column].map(_shapes)
    return frame.to_csv(index=False)


def _shapes(shapes: list[list[int] | None]) -> str:
    return ";".join("x".join(map(str, s)) if s is not None else "?" for s in shapes)
