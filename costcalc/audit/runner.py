"""Running a batch of jobs: in worker processes, or (``jobs=1``) in this process with a
``SIGALRM`` timeout; rows recorded in input order, progress reported as they finish."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from costcalc.audit.frames import to_frame
from costcalc.audit.jobs import AuditJob, AuditOptions
from costcalc.audit.rows import Row, failed_row, run_job, timed_out
from costcalc.audit.workers import Pool, import_torch

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_TIMEOUT = 300.0
_NO_OPTIONS = AuditOptions()  # each model's own inputs, dims and dtypes

ProgressCallback = Callable[[Row, int, int], None]


def default_jobs() -> int:
    """min(2, CPU count): two workers overlap torch's start-up without oversubscribing."""
    return max(1, min(2, os.cpu_count() or 1))


def run_jobs(
    job_list: Sequence[AuditJob],
    options: AuditOptions = _NO_OPTIONS,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Run already expanded jobs (see ``audit``)."""
    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")
    limit = timeout if timeout and timeout > 0 else None
    rows: list[Row | None] = [None] * len(job_list)
    done = 0

    def record(index: int, row: Row) -> None:
        nonlocal done
        row["seconds"] = round(float(row["seconds"]), 3)
        rows[index] = row
        done += 1
        if progress is not None:
            progress(row, done, len(job_list))

    todo = []
    for index, job in enumerate(job_list):
        if job.error is not None:
            record(index, failed_row(job, job.error, 0.0))
        else:
            todo.append(index)
    if todo and workers == 1:
        if any(job_list[index].is_torch for index in todo):
            import_torch()  # once, before the first model's clock starts
        for index in todo:
            record(index, _run_inline(job_list[index], options, limit))
    elif todo:
        Pool(job_list, options, min(workers, len(todo)), limit, record).run(todo)
    return to_frame([row for row in rows if row is not None])


class _JobTimeout(BaseException):  # not an Exception: run_job must not catch it
    pass


def _run_inline(job: AuditJob, options: AuditOptions, limit: float | None) -> Row:
    can_alarm = (
        limit is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not can_alarm:
        return run_job(job, options)

    def on_alarm(signum, frame):
        raise _JobTimeout

    start = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, limit)
        return run_job(job, options)
    except _JobTimeout:
        return failed_row(job, timed_out(limit), time.perf_counter() - start)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
