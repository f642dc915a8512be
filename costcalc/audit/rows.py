"""One model analysed into one summary row; a failure becomes the row's status."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

from costcalc.audit.jobs import AuditJob, AuditOptions
from costcalc.errors import CostcalcError, first_line

COLUMNS = [
    "model", "source", "status", "inputs", "params", "macs", "flops", "param_bytes",
    "peak_activation_bytes", "read_bytes", "write_bytes", "dense_params", "dense_macs",
    "macs_saving", "unsupported_ops", "patterns", "warnings", "seconds",
]  # fmt: skip
INT_COLUMNS = [
    "params", "macs", "flops", "param_bytes", "peak_activation_bytes", "read_bytes",
    "write_bytes", "dense_params", "dense_macs", "unsupported_ops", "warnings",
]  # fmt: skip
MAX_REASON = 300

Row = dict[str, Any]


def run_job(job: AuditJob, options: AuditOptions) -> Row:
    """Analyse one model; never raises (a failure becomes the row's status)."""
    if job.error is not None:
        return failed_row(job, job.error, 0.0)
    from costcalc.api import analyze

    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # costcalc's own warnings are in the report
            warnings.simplefilter("ignore")
            report = analyze(
                job.source,
                inputs=list(options.inputs),
                dims=list(options.dims),
                dtype=options.dtype,
                baseline="dense",
            )
    except Exception as exc:  # any failure is this model's, never the batch's
        return failed_row(job, one_line(exc), time.perf_counter() - start)
    return report_row(job, report, time.perf_counter() - start)


def one_line(exc: BaseException) -> str:
    """The first line of the error (with its type unless it is a CostcalcError)."""
    message = first_line(exc)
    if str(exc).strip() and not isinstance(exc, CostcalcError):
        message = f"{type(exc).__name__}: {message}"
    return message if len(message) <= MAX_REASON else message[: MAX_REASON - 1] + "…"


def timed_out(limit: float | None) -> str:
    """The failure reason of a model that ran past the timeout."""
    return f"timed out after {limit:g} s"


def failed_row(job: AuditJob, reason: str, seconds: float) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row.update(model=job.model, source=job.source, status=f"failed: {reason}", seconds=seconds)
    return row


def report_row(job: AuditJob, report: Any, seconds: float) -> Row:
    """The audit row of a Report: its totals, dense twin, patterns, unsupported count."""
    totals = report.totals
    kinds = Counter(p.kind for p in report.patterns or [])
    saving = None
    if totals.dense_macs is not None and totals.macs:
        saving = totals.dense_macs / totals.macs
    return {
        "model": job.model,
        "source": job.source,
        "status": "ok (lower bound)" if totals.lower_bound else "ok",
        "inputs": ";".join(
            f"{name}={_shape(shape)}" for name, shape in report.model.inputs.items()
        ),
        "params": totals.params,
        "macs": totals.macs,
        "flops": totals.flops,
        "param_bytes": totals.param_bytes,
        "peak_activation_bytes": getattr(totals, "peak_activation_bytes", None),
        "read_bytes": totals.read_bytes,
        "write_bytes": totals.write_bytes,
        "dense_params": totals.dense_params,
        "dense_macs": totals.dense_macs,
        "macs_saving": saving,
        "unsupported_ops": sum(u.count for u in report.unsupported),
        "patterns": None
        if report.patterns is None
        else ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())),
        "warnings": len(report.warnings),
        "seconds": seconds,
    }


def _shape(shape: Sequence[int] | None) -> str:
    return "?" if shape is None else "x".join(map(str, shape))
