"""How close is costcalc's latency estimate to a measurement, before and after calibration?

For every zoo model (or those named), profile it once with onnxruntime on this machine
(the exported ONNX graph, graph optimisations off, as ``costcalc profile`` does), then
estimate it with each hardware profile, and report the relative error of the total,
|estimate - measured| / measured, per model and its median over the models. The measured
total is the median end-to-end ``session.run``.

The calibrated profile comes from ``costcalc calibrate`` (microbenchmarks only, never the
zoo models): pass one with ``--calibrated FILE``, or let the script calibrate first (with
the same thread count) and keep the result with ``--save-calibration FILE``.

    python benchmarks/latency_eval.py                     # calibrate, then every zoo model
    python benchmarks/latency_eval.py --calibrated here.toml --models mobilenet_v2,resnet50
    python benchmarks/latency_eval.py --runs 30 -o reports/latency_eval.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costcalc import zoo
from costcalc.analyses.roofline import layer_time_us
from costcalc.api import analyze
from costcalc.hardware import Hardware, load_hardware
from costcalc.profiling import Settings, attach, measure, onnx_file


def relative_error(estimate: float, measured: float) -> float:
    return abs(estimate - measured) / measured


def evaluate(
    models: list[str],
    hardware_profiles: dict[str, Hardware | str],
    settings: Settings | None = None,
    log=print,
    repeat: int = 1,
    op_tables: bool = False,
) -> dict[str, Any]:
    """Profile each model (``repeat`` times, keeping the quietest: the lowest median, as
    other processes on a shared machine only ever slow a run down); estimate it with
    every profile; the errors of the totals. ``op_tables``: also estimate with a
    calibrated profile's ``op:<Op>`` tables (see :func:`with_op_tables`).

    Returns ``{"models": [{model, measured_us, kernel_sum_us, layers_measured,
    estimates: {profile: est_us}, errors: {profile: rel_error},
    layer_errors: {profile: median per-layer rel error}}], "median_error": {profile: x},
    "median_layer_error": {...}, "settings": {...}}``.
    """
    settings = settings or Settings()
    profiles = {
        label: hw if isinstance(hw, Hardware) else load_hardware(hw)
        for label, hw in hardware_profiles.items()
    }
    rows = []
    for name in models:
        spec = name if ":" in name or name.endswith(".onnx") else f"zoo:{name}"
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="costcalc-eval-") as tmp:
            path, _ = onnx_file(spec, None, Path(tmp))
            reports = {label: analyze(str(path), hardware=hw) for label, hw in profiles.items()}
            first = next(iter(reports.values()))
            measurement = min(
                (measure(path, first, settings) for _ in range(max(1, repeat))),
                key=lambda m: m.timings.wall_us,
            )
            for report in reports.values():
                attach(report, measurement, str(path))
        measured = [row.measured_us for row in first.layers]
        per_layer = {label: [row.est_time_us for row in r.layers] for label, r in reports.items()}
        if op_tables:
            for label, hw in profiles.items():
                if any(key.startswith("op:") for key in hw.efficiency):
                    per_layer[f"{label}+op"] = with_op_tables(reports[label], hw)
        total = first.totals.measured_us
        estimates = {label: round(sum(t or 0.0 for t in times), 3)
                     for label, times in per_layer.items()}  # fmt: skip
        row = {
            "model": name,
            "measured_us": total,
            "kernel_sum_us": round(measurement.timings.kernel_sum_us, 3),
            "layers_measured": sum(t is not None for t in measured),
            "estimates": estimates,
            "errors": {label: round(relative_error(e, total), 4) for label, e in estimates.items()},
            "layer_errors": {
                label: _layer_error(times, measured) for label, times in per_layer.items()
            },
        }
        rows.append(row)
        log(
            f"{name:<22} measured {total / 1000:8.2f} ms  "
            + "  ".join(
                f"{label} {estimates[label] / 1000:8.2f} ms ({100 * row['errors'][label]:5.1f}%)"
                for label in estimates
            )
            + f"  [{time.perf_counter() - started:.1f}s]"
        )
    labels = list(rows[0]["estimates"]) if rows else []
    return {
        "settings": {
            "runs": settings.runs,
            "warmup": settings.warmup,
            "threads": settings.threads,
            "optimized": settings.optimized,
        },
        "repeat": repeat,
        "profiles": {label: hw.name for label, hw in profiles.items()},
        "models": rows,
        "median_error": {
            label: round(statistics.median(r["errors"][label] for r in rows), 4) for label in labels
        },
        "median_layer_error": {
            label: round(statistics.median(r["layer_errors"][label] for r in rows), 4)
            for label in labels
        },
    }


def with_op_tables(report, hardware: Hardware) -> list[float | None]:
    """Per-layer estimates if the roofline looked up ``[efficiency."op:<Op>"]`` before the
    layer's category (what `costcalc calibrate` writes for op types that run at very
    different speeds from the rest of their category, PRelu against Relu...). A preview:
    each layer with an op table is re-estimated by the roofline's own ``layer_time_us``
    with that table standing in for its category's."""
    times = []
    for row in report.layers:
        table = hardware.efficiency.get(f"op:{row.op}")
        if table is None or not row.est_time_us:
            times.append(row.est_time_us)
            continue
        swapped = replace(hardware, efficiency={**hardware.efficiency, row.category: table})
        times.append(layer_time_us(row, swapped, report.model.dtype or "float32")[0])
    return times


def _layer_error(estimates: list[float | None], measured: list[float | None]) -> float:
    """Median relative error over the layers that have both an estimate and a time."""
    errors = [relative_error(e, m) for e, m in zip(estimates, measured, strict=True) if e and m]
    return round(statistics.median(errors), 4) if errors else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated zoo names (default: the whole zoo)")
    parser.add_argument("--datasheet", default="x86", help="the uncalibrated profile")
    parser.add_argument("--calibrated", help="a profile from `costcalc calibrate`")
    parser.add_argument("--save-calibration", help="where to keep the fresh calibration")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="measure each model N times, "
                        "keep the quietest (lowest median)")  # fmt: skip
    parser.add_argument("--op-tables", action="store_true", help="also show the estimate "
                        'with the calibrated profile\'s [efficiency."op:<Op>"] tables')  # fmt: skip
    parser.add_argument("-o", "--output", help="write the results as JSON")
    args = parser.parse_args(argv)

    settings = Settings(runs=args.runs, warmup=args.warmup, threads=args.threads)
    calibrated: Hardware | str
    if args.calibrated:
        calibrated = args.calibrated
    else:
        from costcalc.calibration import calibrate

        print(f"calibrating on microbenchmarks ({args.threads} thread(s))...", flush=True)
        calibration = calibrate(base=args.datasheet, threads=args.threads)
        calibrated = calibration.hardware()
        if args.save_calibration:
            Path(args.save_calibration).write_text(calibration.to_toml())
    models = args.models.split(",") if args.models else zoo.names()
    results = evaluate(
        models,
        {"datasheet": args.datasheet, "calibrated": calibrated},
        settings,
        log=lambda line: print(line, flush=True),
        repeat=args.repeat,
        op_tables=args.op_tables,
    )
    print(
        f"\nmedian relative error of the total over {len(models)} models "
        f"({settings.threads} thread(s), medians of {settings.runs} runs):"
    )
    for label, error in results["median_error"].items():
        layer = results["median_layer_error"][label]
        print(
            f"  {label:<11} {100 * error:6.1f}%   "
            f"(per layer, median of medians: {100 * layer:.1f}%)"
        )
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
