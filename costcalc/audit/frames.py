"""The rows as a pandas DataFrame (nullable integer columns) and back as plain values.

pandas is imported on use: a quarter of a second at start-up."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from costcalc.audit.rows import COLUMNS, INT_COLUMNS, Row

if TYPE_CHECKING:
    import pandas as pd


def to_frame(rows: list[Row]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in INT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in ("macs_saving", "seconds"):
        frame[column] = frame[column].astype("Float64")
    return frame


def failed(frame: pd.DataFrame) -> pd.Series:
    """Which rows failed."""
    return frame["status"].str.startswith("failed")


def records(frame: pd.DataFrame) -> list[Row]:
    """The rows as plain Python values (exact ints, floats, str; missing -> None)."""
    return [
        {column: plain(value) for column, value in row.items()} for row in frame.to_dict("records")
    ]


def plain(value: Any) -> Any:
    """A frame's cell as a plain Python value (missing: None)."""
    import pandas as pd

    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
