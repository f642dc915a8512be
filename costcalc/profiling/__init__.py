"""``costcalc profile``: run the model for real on this machine and put the measured time
of every layer next to costcalc's roofline estimate.

How (see DESIGN.md and ``costcalc profile --help``):

- ONNX files run as they are; PyTorch models (``zoo:NAME``, ``package.module:callable``,
  an ``nn.Module``) are built on the CPU with random weights and exported to ONNX first
  (TorchScript exporter, eval mode). Estimate and measurement always refer to that same
  file, analysed by costcalc the usual way.
- onnxruntime (CPU provider) runs it with its own per-node profiler: ``warmup`` runs, then
  ``runs`` measured ones; every layer's time is the median over the measured runs of its
  kernel's duration; the model's measured time is the median end-to-end ``session.run``
  of a second session without the profiler (which costs a few µs per kernel), the two
  sessions taking turns so that both see the same load.
- Graph optimisations are off by default, so kernels are the file's nodes one for one
  (see :class:`Settings`); the nodes costcalc constant-folds are precomputed, as
  onnxruntime's default optimisations would (see ``prepare.py``).

>>> result = profile("model.onnx", hardware="x86", runs=20)      # doctest: +SKIP
>>> result.report.totals.measured_us, result.report.totals.est_time_us  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx

from costcalc.inputs import InputsArg
from costcalc.profiling.prepare import RuntimeModel, export_torch, load_full, runtime_model
from costcalc.profiling.runtime import Kernel, Settings, Timings, time_model
from costcalc.report import LayerRow, Report

__all__ = [
    "Kernel", "Measurement", "Profile", "Settings", "Timings", "attach", "measure", "onnx_file",
    "profile", "ratio",
]  # fmt: skip

COSTED_KINDS = ("compute", "movement")  # layers with a cost: each should have a kernel


@dataclass
class Profile:
    """A costcalc report with measured times, and how they were measured."""

    report: Report
    timings: Timings
    model_file: str  # the ONNX file profiled (a temporary export for PyTorch models)
    unmatched: list[Kernel] = field(default_factory=list)  # kernels no layer claims
    expanded: dict[str, list[str]] = field(default_factory=dict)  # layer -> its kernels
    notes: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.timings.settings

    @property
    def costed_layers(self) -> list[LayerRow]:
        return [row for row in self.report.layers if row.kind in COSTED_KINDS]

    @property
    def coverage(self) -> tuple[int, int]:
        """(costed layers with a measured time, costed layers)."""
        costed = self.costed_layers
        return sum(row.measured_us is not None for row in costed), len(costed)

    def by_category(self) -> list[dict[str, Any]]:
        """Per kind of work: layers, estimated and measured µs (summed), their ratio.

        Kernels mapped onto no layer (fusions with ``--optimized``) are one more group.
        """
        groups: dict[str, dict[str, Any]] = {}
        for row in self.report.layers:
            if row.est_time_us is None and row.measured_us is None:
                continue
            if row.kind not in COSTED_KINDS and not row.measured_us:
                continue
            group = groups.setdefault(
                row.category, {"category": row.category, "layers": 0, "est_us": 0.0,
                               "measured_us": 0.0, "unmeasured": 0}
            )  # fmt: skip
            group["layers"] += 1
            group["est_us"] += row.est_time_us or 0.0
            if row.measured_us is None:
                group["unmeasured"] += 1
            else:
                group["measured_us"] += row.measured_us
        if self.unmatched:
            groups["(unmatched kernels)"] = {
                "category": "(unmatched kernels)", "layers": len(self.unmatched),
                "est_us": 0.0, "measured_us": sum(k.median_us for k in self.unmatched),
                "unmeasured": 0,
            }  # fmt: skip
        result = sorted(groups.values(), key=lambda g: -g["measured_us"])
        for group in result:
            group["est_us"] = round(group["est_us"], 3)
            group["measured_us"] = round(group["measured_us"], 3)
            group["ratio"] = ratio(group["measured_us"], group["est_us"])
        return result

    def section(self) -> dict[str, Any]:
        """The ``profile`` section of the JSON output."""
        settings = self.settings
        measured, costed = self.coverage
        return {
            "runtime": f"onnxruntime {self.timings.version}",
            "provider": self.timings.provider,
            "runs": settings.runs,
            "warmup": settings.warmup,
            "threads": settings.threads,
            "optimized": settings.optimized,
            "statistic": "median",
            "model_file": self.model_file,
            "wall_us": round(self.timings.wall_us, 3),
            "wall_runs_us": [round(t, 3) for t in self.timings.wall_runs_us],
            "kernel_sum_us": round(self.timings.kernel_sum_us, 3),
            "est_time_us": self.report.totals.est_time_us,
            "hardware": self.report.totals.hardware,
            "ratio": ratio(self.timings.wall_us, self.report.totals.est_time_us),
            "coverage": {"costed_layers": costed, "measured": measured},
            "kernels": [
                {"name": k.name, "op": k.op, "median_us": round(k.median_us, 3)}
                for k in self.timings.kernels
            ],
            "unmatched": [
                {"name": k.name, "op": k.op, "median_us": round(k.median_us, 3)}
                for k in self.unmatched
            ],
            "expanded": self.expanded,
            "by_category": self.by_category(),
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "profile": self.section()}


def ratio(measured: float | None, estimate: float | None) -> float | None:
    """measured / estimate, or None when either is missing or the estimate is 0."""
    if measured is None or not estimate:
        return None
    return round(measured / estimate, 3)


def profile(
    model: Any,
    inputs: InputsArg = None,
    dims: Mapping[str, int] | None = None,
    hardware: Any = "x86",
    runs: int = 20,
    warmup: int = 3,
    threads: int = 1,
    optimized: bool = False,
) -> Profile:
    """Run ``model`` with onnxruntime and return its report with measured times.

    ``model``: an ONNX path, ``"zoo:NAME"``, ``"package.module:callable"`` or an
    ``nn.Module`` (exported to ONNX first). ``hardware``: the profile of the estimate
    beside the measurement (a name, TOML path or ``Hardware``; None for no estimate).
    """
    settings = Settings(runs=runs, warmup=warmup, threads=threads, optimized=optimized)
    with tempfile.TemporaryDirectory(prefix="costcalc-export-") as tmp:
        path, notes = onnx_file(model, inputs, Path(tmp))
        # the export's inputs are fixed: only an ONNX file takes --input/--dim overrides
        exported = not isinstance(model, str | Path) or _is_torch_spec(model)
        report = _analyse(path, None if exported else inputs, None if exported else dims, hardware)
        label = model if isinstance(model, str) else type(model).__name__
        if exported:
            report.model.name = label
            report.model.source = f"{label} (exported to ONNX)"
        measurement = measure(path, report, settings)
        result = attach(report, measurement, f"<export of {label}>" if exported else str(path))
    result.notes[:0] = notes
    return result


def _is_torch_spec(model: str | Path) -> bool:
    from costcalc import specs

    return isinstance(model, str) and specs.is_torch_spec(model)


def onnx_file(model: Any, inputs: InputsArg, folder: Path) -> tuple[Path, list[str]]:
    """The ONNX file to profile: ``model`` itself, or its export into ``folder``."""
    if _is_torch_spec(model):
        return export_torch(model, inputs, folder)
    if isinstance(model, str | Path):
        return Path(model), []
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return export_torch(model, inputs, folder)
    from costcalc.errors import ModelLoadError

    raise ModelLoadError(
        f"cannot profile a {type(model).__name__}: give an ONNX path, zoo:NAME, "
        "package.module:callable or an nn.Module"
    )


def _analyse(path: Path, inputs: InputsArg, dims: Any, hardware: Any) -> Report:
    from costcalc.api import analyze

    return analyze(str(path), inputs=inputs, dims=dims, hardware=hardware)


@dataclass
class Measurement:
    """Timings of a runtime copy of a file, and how its kernels map onto the file's nodes."""

    timings: Timings
    runtime: RuntimeModel


def measure(model: Path | str | onnx.ModelProto, report: Report, settings: Settings) -> Measurement:
    """Time the ONNX file (or ModelProto) ``model`` whose (resolved) report is ``report``."""
    proto = model if isinstance(model, onnx.ModelProto) else load_full(Path(model))
    folded = [i for i, row in enumerate(report.layers) if row.kind == "folded"]
    free = [i for i, row in enumerate(report.layers) if row.kind == "free"]
    runtime = runtime_model(proto, report.model.inputs, folded, free)
    timings = time_model(runtime.proto, report.model.inputs, settings)
    return Measurement(timings, runtime)


def attach(report: Report, measurement: Measurement, model_file: str) -> Profile:
    """Put the kernels' medians on the report's rows (``measured_us``) and the median
    end-to-end time on its totals; kernels no row claims are kept as ``unmatched``."""
    timings, runtime = measurement.timings, measurement.runtime
    for row in report.layers:
        row.measured_us = None
    unmatched = []
    fused = 0
    for kernel in timings.kernels:
        index, by_tensor = runtime.node_of(kernel.name, kernel.op)
        if index is None or index >= len(report.layers):
            unmatched.append(kernel)
            continue
        fused += by_tensor
        row = report.layers[index]
        row.measured_us = round((row.measured_us or 0.0) + kernel.median_us, 3)
    report.totals.measured_us = round(timings.wall_us, 3)
    expanded = {report.layers[i].name: names for i, names in runtime.expanded.items()}
    result = Profile(report, timings, model_file, unmatched, expanded)
    settings = timings.settings
    if expanded:
        ops = sorted({report.layers[i].op for i in runtime.expanded})
        result.notes.append(
            f"{len(expanded)} layer(s) ({', '.join(ops)}) have no onnxruntime CPU kernel and "
            "ran as their ONNX function body; their time is the sum of those kernels"
        )
    if runtime.folded:
        result.notes.append(
            f"{len(runtime.folded)} constant-folded node(s) (shape arithmetic, Identity "
            "of weights) were precomputed before timing, as onnxruntime's default "
            "optimisations do; like the estimate, they run no kernel"
            + (
                f"; {len(runtime.dropped)} node(s) left unused were dropped"
                if runtime.dropped
                else ""
            )
        )
    measured, costed = result.coverage
    if settings.optimized:
        result.notes.append(
            "graph optimisations on (--optimized): a fused kernel's time goes to its first "
            "layer (found by name, or by the tensor it writes: "
            f"{fused} kernel(s)), the layers fused into it show none; {measured}/{costed} "
            f"costed layers measured, {len(unmatched)} kernel(s) unmatched (layout "
            "reorders...)"
        )
    elif measured < costed:
        missing = [r.name for r in result.costed_layers if r.measured_us is None]
        result.notes.append(
            f"{costed - measured} costed layer(s) without a kernel: {', '.join(missing[:5])}"
            + (" ..." if len(missing) > 5 else "")
        )
    return result
