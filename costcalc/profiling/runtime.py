"""Running a model with onnxruntime's own per-node profiler: warm-up runs, then measured
runs; per-kernel medians over the measured runs, and the median end-to-end time."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from costcalc.errors import CostcalcError, ModelLoadError, first_line

KERNEL_SUFFIX = "_kernel_time"
MAX_PROTO_BYTES = 1_800_000_000  # protobuf's 2 GB limit, with room to spare


@dataclass(frozen=True)
class Settings:
    """How a model is timed (the same for ``costcalc profile`` and ``costcalc calibrate``).

    ``optimized=False`` (the default) runs with onnxruntime's graph optimisations off
    (``ORT_DISABLE_ALL``): no fusion, no constant folding, no layout change, so every
    kernel is one node of the file. ``optimized=True`` runs what a deployment would run
    (``ORT_ENABLE_ALL``); fused kernels then cover several layers, or carry new names.
    """

    runs: int = 20
    warmup: int = 3
    threads: int = 1
    optimized: bool = False

    def __post_init__(self) -> None:
        if self.runs < 1:
            raise CostcalcError(f"--runs {self.runs}: at least one measured run is needed")
        if self.warmup < 0:
            raise CostcalcError(f"--warmup {self.warmup}: must be 0 or more")
        if self.threads < 1:
            raise CostcalcError(f"--threads {self.threads}: must be at least 1")


@dataclass
class Kernel:
    name: str
    op: str
    median_us: float
    runs: int  # measured runs in which the kernel ran


@dataclass
class Timings:
    """What onnxruntime measured."""

    settings: Settings
    kernels: list[Kernel]  # in execution order
    wall_runs_us: list[float]  # end-to-end session.run times of the measured runs
    version: str
    provider: str = "CPUExecutionProvider"

    @property
    def wall_us(self) -> float:
        return statistics.median(self.wall_runs_us)

    @property
    def kernel_sum_us(self) -> float:
        return sum(k.median_us for k in self.kernels)


def require_onnxruntime():
    try:
        import onnxruntime
    except ImportError as exc:
        raise CostcalcError(
            "profiling needs onnxruntime: pip install onnxruntime (or costcalc[dev])"
        ) from exc
    return onnxruntime


NUMPY_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_, "tensor(int16)": np.int16,
}  # fmt: skip


def random_feeds(session, shapes: dict[str, list[int] | None], seed: int = 0) -> dict:
    """Random float inputs (normal), zeros for integer and boolean ones."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for value in session.get_inputs():
        dtype = NUMPY_TYPES.get(value.type)
        if dtype is None:
            raise CostcalcError(f"input {value.name!r}: cannot feed a {value.type}")
        shape = shapes.get(value.name) or value.shape
        if shape is None or any(not isinstance(d, int) or d <= 0 for d in shape):
            raise CostcalcError(
                f"input {value.name!r} has no fixed shape ({shape}): give --input or --dim"
            )
        if np.issubdtype(dtype, np.floating):
            feeds[value.name] = rng.standard_normal(tuple(shape)).astype(dtype)
        else:
            feeds[value.name] = np.zeros(tuple(shape), dtype)
    return feeds


def session_options(settings: Settings, profile_prefix: str | None = None):
    ort = require_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = settings.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if settings.optimized
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    options.log_severity_level = 3  # errors only
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return options


def time_model(
    proto: onnx.ModelProto, shapes: dict[str, list[int] | None], settings: Settings
) -> Timings:
    """Time ``proto`` in two sessions run in turn, ``warmup + runs`` times each: a plain
    one for the end-to-end times (the profiler itself costs some 10% of a small model's
    time) and one with onnxruntime's profiler on, for the per-kernel medians. Taking
    turns exposes both to the same load on a shared machine."""
    ort = require_onnxruntime()
    with tempfile.TemporaryDirectory(prefix="costcalc-profile-") as tmp:
        model: bytes | str
        if proto.ByteSize() < MAX_PROTO_BYTES:
            model = proto.SerializeToString()
        else:  # too large for one protobuf: weights beside it
            model = str(Path(tmp) / "model.onnx")
            onnx.save(proto, model, save_as_external_data=True, location="model.data")
        plain = _session(ort, model, session_options(settings))
        profiled = _session(ort, model, session_options(settings, str(Path(tmp) / "ort")))
        feeds = random_feeds(plain, shapes)
        walls = []
        for _ in range(settings.warmup + settings.runs):
            walls += _run(plain, feeds, 1)
            _run(profiled, feeds, 1)
        trace = Path(profiled.end_profiling())
        events = json.loads(trace.read_text())
    kernels = parse_trace(events, settings.warmup)
    return Timings(settings, kernels, walls[settings.warmup :], ort.__version__)


def evaluate(
    proto: onnx.ModelProto,
    outputs: list[str],
    shapes: dict[str, list[int] | None],
    settings: Settings,
) -> dict[str, np.ndarray]:
    """The values of the tensors ``outputs`` of ``proto`` (any tensor, not only the graph's
    outputs), by running it once on random inputs."""
    ort = require_onnxruntime()
    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    del copy.graph.output[:]
    copy.graph.output.extend(onnx.helper.make_empty_tensor_value_info(t) for t in outputs)
    if copy.ByteSize() >= MAX_PROTO_BYTES:
        raise CostcalcError("model too large to precompute its constant-folded nodes")
    session = _session(ort, copy.SerializeToString(), session_options(settings))
    values = session.run(outputs, random_feeds(session, shapes))
    return dict(zip(outputs, values, strict=True))


def _session(ort, model: bytes | str, options):
    try:
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelLoadError(f"onnxruntime cannot load the model: {first_line(exc)}") from exc


def _run(session, feeds: dict, count: int) -> list[float]:
    """Wall times (µs) of ``count`` runs."""
    walls = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            session.run(None, feeds)
            walls.append((time.perf_counter() - start) * 1e6)
    except Exception as exc:
        raise CostcalcError(f"onnxruntime failed to run the model: {first_line(exc)}") from exc
    return walls


def parse_trace(events: list[dict], warmup: int) -> list[Kernel]:
    """Per-kernel median durations (µs) over the runs after the first ``warmup``.

    A kernel event belongs to the ``model_run`` whose time window holds it; a kernel that
    runs several times in one run (inside a loop) counts the sum.
    """
    runs = sorted(
        (e["ts"], e["ts"] + e["dur"])
        for e in events
        if e.get("cat") == "Session" and e.get("name") == "model_run"
    )
    measured = runs[warmup:]
    starts = [start for start, _ in measured]
    per_run: dict[str, dict[int, float]] = {}
    ops: dict[str, str] = {}
    offset: dict[str, float] = {}  # first start within a run: the execution order
    for event in events:
        name = event.get("name", "")
        if event.get("cat") != "Node" or not name.endswith(KERNEL_SUFFIX):
            continue
        ts = event["ts"]
        run = int(np.searchsorted(starts, ts, side="right")) - 1
        if run < 0 or ts > measured[run][1]:
            continue  # a warm-up run
        kernel = name[: -len(KERNEL_SUFFIX)]
        per_run.setdefault(kernel, {}).setdefault(run, 0.0)
        per_run[kernel][run] += float(event["dur"])
        ops.setdefault(kernel, event.get("args", {}).get("op_name", "?"))
        offset[kernel] = min(offset.get(kernel, float("inf")), ts - starts[run])
    kernels = [
        Kernel(name, ops[name], statistics.median(times.values()), len(times))
        for name, times in per_run.items()
    ]
    kernels.sort(key=lambda k: offset[k.name])
    return kernels
