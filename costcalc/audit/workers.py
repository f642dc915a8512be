"""Spawned worker processes, one model at a time each; a worker whose model times out or
that dies is killed and replaced, its row failed."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from costcalc.audit.jobs import AuditJob, AuditOptions
from costcalc.audit.rows import Row, failed_row, run_job, timed_out


class WorkerStartError(RuntimeError):
    """The worker processes cannot start (e.g. a script without a ``__main__`` guard)."""


def worker_main(conn: Any, preload_torch: bool) -> None:
    """A worker: analyse the jobs it is sent, one at a time, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    if preload_torch and import_torch():  # before the first job starts its clock
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


def import_torch() -> bool:
    """Import torch if it is installed (its start-up kept out of the models' clocks)."""
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


class Pool:
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
            target=worker_main, args=(child, self.preload_torch), daemon=True
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
                self._replace(worker, timed_out(self.limit), now - worker.started)

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
