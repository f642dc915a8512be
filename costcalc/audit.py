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
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from costcalc.errors import CostcalcError

SCHEMA = "costcalc.audit/1"

COLUMNS = [
    "model", "source", "status", "inputs", "params", "macs", "flops", "param_bytes",
    "peak_activation_bytes", "read_bytes", "write_bytes", "dense_params", "dense_macs",
    "macs_saving", "unsupported_ops", "patterns", "warnings", "seconds",
]  # fmt: skip
INT_COLUMNS = [
    "params", "macs", "flops", "param_bytes", "peak_activation_bytes", "read_bytes",
    "write_bytes", "dense_params", "dense_macs", "unsupported_ops", "warnings",
]  # fmt: skip
ZOO_ALL = ("zoo:all", "zoo:*")
NO_ONNX = "no .onnx files in folder"
DEFAULT_TIMEOUT = 300.0
MAX_REASON = 300

Row = dict[str, Any]
ProgressCallback = Callable[[Row, int, int], None]


def default_jobs() -> int:
    """min(2, CPU count): two workers overlap torch's start-up without oversubscribing."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class AuditJob:
    """One model to analyse: as the user named it, and what it resolves to."""

    model: str  # as given (a file found in a given folder: folder/relative path)
    source: str  # the ONNX file's absolute path, or the spec
    error: str | None = None  # known to fail before any analysis (an empty folder)

    @property
    def is_torch(self) -> bool:
        from costcalc.specs import is_torch_spec

        return self.error is None and is_torch_spec(self.source)


@dataclass(frozen=True)
class AuditOptions:
    """What every model is analysed with (the CLI's --input, --dim, --dtype)."""

    inputs: tuple[str, ...] = ()
    dims: tuple[str, ...] = ()
    dtype: str | None = None


def expand(specs: Iterable[str | Path]) -> list[AuditJob]:
    """The models named by ``specs``, in order: folders and ``zoo:all`` expanded."""
    from costcalc import zoo
    from costcalc.specs import is_torch_spec

    jobs: list[AuditJob] = []
    for given in map(str, specs):
        if given in ZOO_ALL:
            jobs += [AuditJob(f"zoo:{name}", f"zoo:{name}") for name in zoo.names()]
        elif is_torch_spec(given):
            jobs.append(AuditJob(given, given))
        elif Path(given).is_dir():
            found = _onnx_files(Path(given))
            if not found:
                jobs.append(AuditJob(given, str(Path(given).resolve()), error=NO_ONNX))
            jobs += [
                AuditJob(os.path.join(given, rel), str((Path(given) / rel).resolve()))
                for rel in found
            ]
        else:  # a file (a missing or unreadable one fails in its own row)
            jobs.append(AuditJob(given, str(Path(given).resolve())))
    return jobs


def _onnx_files(folder: Path) -> list[str]:
    """Paths (relative to ``folder``, POSIX, sorted) of the .onnx files below it."""
    found = [
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.suffix.lower() == ".onnx" and path.is_file()
    ]
    return sorted(found)


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
    text = str(exc).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    if text and not isinstance(exc, CostcalcError):
        message = f"{type(exc).__name__}: {message}"
    return message if len(message) <= MAX_REASON else message[: MAX_REASON - 1] + "…"


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


def run_jobs(
    job_list: Sequence[AuditJob],
    options: AuditOptions = AuditOptions(),
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
            _import_torch()  # once, before the first model's clock starts
        for index in todo:
            record(index, _run_inline(job_list[index], options, limit))
    elif todo:
        _Pool(job_list, options, min(workers, len(todo)), limit, record).run(todo)
    return to_frame([row for row in rows if row is not None])


def to_frame(rows: list[Row]) -> pd.DataFrame:
    import pandas as pd  # on use: a quarter of a second at start-up

    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in INT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in ("macs_saving", "seconds"):
        frame[column] = frame[column].astype("Float64")
    return frame


def failed(frame: pd.DataFrame) -> pd.Series:
    """Which rows failed."""
    return frame["status"].str.startswith("failed")


# --- in this process -------------------------------------------------------------------


class WorkerStartError(RuntimeError):
    """The worker processes cannot start (e.g. a script without a ``__main__`` guard)."""


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
        return failed_row(job, _timed_out(limit), time.perf_counter() - start)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timed_out(limit: float | None) -> str:
    return f"timed out after {limit:g} s"


# --- worker processes ------------------------------------------------------------------


def _worker_main(conn: Any, preload_torch: bool) -> None:
    """A worker: analyse the jobs it is sent, one at a time, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    if preload_torch and _import_torch():  # before the first job starts its clock
        _single_threaded_torch()
    import costcalc.api  # noqa: F401

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, job, options = message
        conn.send(("start", index))
        row = run_job(job, options)
        _single_threaded_torch()
        conn.send(("done", index, row))


def _import_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _single_threaded_torch() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


@dataclass
class _Worker:
    process: Any
    conn: Any
    index: int | None = None  # the job it is running
    started: float | None = None  # when it said it started that job (monotonic)
    ran: bool = False  # it has started at least one job


class _Pool:
    """``size`` spawned workers; a worker whose job times out or dies is replaced."""

    def __init__(
        self,
        job_list: Sequence[AuditJob],
        options: AuditOptions,
        size: int,
        limit: float | None,
        record: Callable[[int, Row], None],
    ) -> None:
        import multiprocessing

        self.context = multiprocessing.get_context("spawn")
        self.jobs = job_list
        self.options = options
        self.size = size
        self.limit = limit
        self.record = record
        self.workers: list[_Worker] = []
        self.pending: deque[int] = deque()
        self.preload_torch = False

    def run(self, todo: Sequence[int]) -> None:
        self.pending = deque(todo)
        self.preload_torch = any(self.jobs[i].is_torch for i in todo)
        try:
            for _ in range(self.size):
                self._assign(self._spawn())
            while self._busy():
                self._step()
        finally:
            self._shutdown()

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.preload_torch), daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def _assign(self, worker: _Worker) -> None:
        worker.index, worker.started = None, None
        if self.pending:
            worker.index = self.pending.popleft()
            with contextlib.suppress(OSError):  # a dead worker: _receive reports it
                worker.conn.send((worker.index, self.jobs[worker.index], self.options))

    def _busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.index is not None]

    def _step(self) -> None:
        from multiprocessing.connection import wait

        busy = self._busy()
        wait(
            [w.conn for w in busy] + [w.process.sentinel for w in busy],
            timeout=self._next_deadline(busy),
        )
        for worker in busy:
            self._receive(worker)
        now = time.monotonic()
        for worker in self._busy():
            started = worker.started
            if self.limit is not None and started is not None and now - started > self.limit:
                self._replace(worker, _timed_out(self.limit), now - worker.started)

    def _next_deadline(self, busy: list[_Worker]) -> float | None:
        starts = [w.started for w in busy if w.started is not None]
        if self.limit is None or not starts:
            return None if self.limit is None else 1.0  # re-check once a job has started
        return max(0.0, min(starts) + self.limit - time.monotonic() + 0.01)

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.index is not None and worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "start":
                    worker.started = time.monotonic()
                    worker.ran = True
                else:
                    _, index, row = message
                    self.record(index, row)
                    self._assign(worker)
        except (EOFError, OSError):  # the worker died
            worker.process.join(5)
        if worker.index is not None and not worker.process.is_alive():
            code = worker.process.exitcode
            if worker.started is None and not worker.ran:  # it never got going
                raise WorkerStartError(
                    f"a worker process could not start (exit code {code}); a script "
                    "calling audit() needs `if __name__ == '__main__':`, or use jobs=1"
                )
            elapsed = time.monotonic() - worker.started if worker.started else 0.0
            self._replace(worker, f"worker process died (exit code {code})", elapsed)

    def _replace(self, worker: _Worker, reason: str, seconds: float) -> None:
        """Record the worker's job as failed, stop it, and give its place to a new one."""
        assert worker.index is not None
        self.record(worker.index, failed_row(self.jobs[worker.index], reason, seconds))
        worker.index = None
        self._stop(worker)
        self.workers.remove(worker)
        if self.pending:
            self._assign(self._spawn())

    @staticmethod
    def _stop(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _shutdown(self) -> None:
        for worker in self.workers:
            if worker.index is None:
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(None)
        deadline = time.monotonic() + 5
        for worker in self.workers:
            if worker.index is None:
                worker.process.join(max(0.0, deadline - time.monotonic()))
            self._stop(worker)
        self.workers.clear()


# --- rendering -------------------------------------------------------------------------

FORMATS = ("table", "csv", "json", "markdown")
_BY_EXTENSION = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}


def format_for(path: str | Path | None, requested: str | None) -> str:
    """The explicit format, else the one the output file's extension names, else table."""
    if requested:
        return requested
    if path is not None:
        return _BY_EXTENSION.get(Path(path).suffix.lower(), "table")
    return "table"


def records(frame: pd.DataFrame) -> list[Row]:
    """The rows as plain Python values (exact ints, floats, str; missing -> None)."""
    return [
        {column: _plain(value) for column, value in row.items()} for row in frame.to_dict("records")
    ]


def _plain(value: Any) -> Any:
    import pandas as pd  # on use: a quarter of a second at start-up

    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def render(frame: pd.DataFrame, fmt: str, width: int = 160) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        import json

        return json.dumps({"schema": SCHEMA, "rows": records(frame)}, indent=2) + "\n"
    if fmt == "markdown":
        return to_markdown(frame)
    if fmt == "table":
        from io import StringIO

        from rich.console import Console

        buffer = StringIO()
        Console(file=buffer, width=width, color_system=None).print(summary_table(frame))
        return buffer.getvalue()
    raise ValueError(f"unknown audit format {fmt!r} (choose from {', '.join(FORMATS)})")


def _count(value: Any) -> str:
    return "—" if _plain(value) is None else f"{int(value):,}"


def _saving(value: Any) -> str:
    return "—" if _plain(value) is None else f"{float(value):.2f}x"


def to_markdown(frame: pd.DataFrame) -> str:
    ok = int((~failed(frame)).sum())
    lines = [
        f"# costcalc audit: {len(frame)} models, {ok} ok, {len(frame) - ok} failed",
        "",
        "| model | status | params | MACs | FLOPs | peak activations (B) | dense MACs | "
        "saving | unsupported | patterns | s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in records(frame):
        cells = [
            row["model"], row["status"], _count(row["params"]), _count(row["macs"]),
            _count(row["flops"]), _count(row["peak_activation_bytes"]),
            _count(row["dense_macs"]), _saving(row["macs_saving"]),
            _count(row["unsupported_ops"]), row["patterns"] or "—", f"{row['seconds']:.2f}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def summary_table(frame: pd.DataFrame, width: int | None = None) -> Any:
    """A Rich table, one line per model, then the reason of each failure. To fit in
    ``width`` columns, under 140 FLOPs, dense MACs and patterns are left out and under
    100 the unsupported-op count too (the CSV has them all)."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from costcalc.units import human_bytes, human_count

    wide = width is None or width >= 140
    numbers: list[tuple[str, Callable[[Row], str], bool]] = [
        ("Params", lambda r: human_count(r["params"]), False),
        ("MACs", lambda r: human_count(r["macs"]), False),
        ("FLOPs", lambda r: human_count(r["flops"]), True),
        ("Peak act.", lambda r: human_bytes(r["peak_activation_bytes"]), False),
        ("Dense MACs", lambda r: human_count(r["dense_macs"]), True),
        ("Saving", lambda r: _saving(r["macs_saving"]), False),
    ]
    numbers = [column for column in numbers if wide or not column[2]]
    if width is None or width >= 100:
        numbers.append(("Unsup.", lambda r: str(r["unsupported_ops"]), False))
    ok = int((~failed(frame)).sum())
    table = Table(
        title=f"costcalc audit: {len(frame)} models, {ok} ok, {len(frame) - ok} failed",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("Model", overflow="fold", min_width=12)
    table.add_column("Status", no_wrap=True)
    for header, _, _ in numbers:
        table.add_column(header, justify="right", no_wrap=True)
    if wide:
        table.add_column("Patterns", overflow="fold")
    table.add_column("Time", justify="right", no_wrap=True)
    reasons: list[Text] = []
    for row in records(frame):
        status = row["status"]
        if status.startswith("failed"):
            cells = [""] * (len(numbers) + wide)
            table.add_row(row["model"], Text("failed", style="red"), *cells, _time(row))
            reason = status.removeprefix("failed: ")
            reasons.append(Text.assemble(("✗ ", "red"), f"{row['model']}: {reason}"))
            continue
        cells = [show(row) for _, show, _ in numbers] + ([row["patterns"] or ""] if wide else [])
        style = "green" if status == "ok" else "yellow"
        table.add_row(row["model"], Text(status, style=style), *cells, _time(row))
    return Group(table, *reasons) if reasons else table


def _time(row: Row) -> str:
    return f"{row['seconds']:.2f}s"
