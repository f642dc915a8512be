"""Batch audit: many models analysed in worker processes, one summary row per model.

>>> frame = audit(["zoo:all", "models/", "broken.onnx"], jobs=2)   # doctest: +SKIP

Inputs (``expand``): an ONNX file; a folder (every ``*.onnx`` below it, recursively, in
sorted order; a folder without any is one failed row, ``failed: no .onnx files in
folder``); ``zoo:NAME``; ``zoo:all`` or ``zoo:*`` (every zoo model, registry order);
``package.module:callable``. Rows keep the input order.

Each model is analysed with ``costcalc.analyze(..., baseline="dense")``. A model that
raises, or runs past the per-model timeout, or whose worker process dies, gets
``status = "failed: <one-line reason>"`` and the batch goes on.

Workers are ``spawn``-ed processes (safe next to torch's threads), one model at a time
each, torch limited to one thread. They are managed here rather than by a
``ProcessPoolExecutor`` because a timed-out model must be stopped, not just abandoned: its
worker is killed and replaced. The timeout counts from the moment a worker starts the
model (not the worker's own start-up, torch import included). ``jobs=1`` analyses in this
process, without workers (for debugging); there the timeout is enforced with ``SIGALRM``
(main thread, POSIX only), which interrupts Python code but not a long native call.

The modules: ``jobs`` (what the inputs name), ``rows`` (one model analysed into a row),
``runner`` (a batch, in order), ``workers`` (the worker processes), ``frames`` (rows as a
DataFrame), ``render`` (CSV, JSON, Markdown, a Rich table). pandas is imported on use.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from costcalc.audit.frames import failed, records, to_frame
from costcalc.audit.jobs import NO_ONNX, ZOO_ALL, AuditJob, AuditOptions, expand
from costcalc.audit.render import FORMATS, SCHEMA, format_for, render, summary_table, to_markdown
from costcalc.audit.rows import (
    COLUMNS,
    INT_COLUMNS,
    MAX_REASON,
    Row,
    failed_row,
    one_line,
    report_row,
    run_job,
)
from costcalc.audit.runner import DEFAULT_TIMEOUT, ProgressCallback, default_jobs, run_jobs
from costcalc.audit.workers import WorkerStartError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS", "DEFAULT_TIMEOUT", "FORMATS", "INT_COLUMNS", "MAX_REASON", "NO_ONNX", "SCHEMA",
    "ZOO_ALL", "AuditJob", "AuditOptions", "ProgressCallback", "Row", "WorkerStartError",
    "audit", "default_jobs", "expand", "failed", "failed_row", "format_for", "one_line",
    "records", "render", "report_row", "run_job", "run_jobs", "summary_table", "to_frame",
    "to_markdown",
]  # fmt: skip


def audit(
    specs: Iterable[str | Path],
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    inputs: Iterable[str] = (),
    dims: Iterable[str] = (),
    dtype: str | None = None,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Analyse every model ``specs`` names; one row each, in input order.

    ``jobs``: worker processes (default ``min(2, CPUs)``; 1: in this process);
    ``timeout``: seconds per model (``None`` or 0: none); ``inputs``/``dims``/``dtype``:
    as ``costcalc analyze``'s options, for every model; ``progress(row, done, total)``
    is called as each model finishes (in completion order).
    """
    job_list = expand(specs)
    options = AuditOptions(tuple(inputs), tuple(dims), dtype)
    return run_jobs(job_list, options, jobs=jobs, timeout=timeout, progress=progress)
