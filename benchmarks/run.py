"""The benchmark harness: costcalc against its peers, on the same files, in one run.

Every measurement is one fresh process (``benchmarks/workers.py TASK ARG``): its wall time
(start to exit, interpreter start-up and imports included: what a user waits for) and its
peak resident memory (``ru_maxrss`` of that child, from ``os.wait4``). Each is repeated
``--repeat`` times, the tools interleaved, and the medians are reported. A run past
``--timeout`` is killed and recorded as a timeout; that tool then skips its remaining
repeats and larger sizes.

- ONNX graphs from ``benchmarks/generate.py`` (1k, 10k, 100k, 1M nodes): costcalc's
  analysis + JSON report, onnx-tool's shape inference + profile (up to ``--onnx-tool-max``
  nodes), and onnx's own ``infer_shapes`` (the floor: costcalc runs it too);
- the PyTorch zoo: ``costcalc.analyze("zoo:NAME")`` against fvcore's
  ``FlopCountAnalysis(...).total()`` and torch's ``FlopCounterMode``, on the CPU with real
  tensors (what those tools need: their time includes running the model) and on meta;
- a 70B-parameter Llama-shaped transformer analysed on the meta device;
- start-up: ``costcalc --help``, ``import costcalc`` and a bare interpreter.

The tables are written below the marker line of ``benchmarks/README.md`` (the text above it
is kept); the raw measurements go to ``build/bench/results.json``.

    python benchmarks/run.py                            # everything (about 20 minutes)
    python benchmarks/run.py --sizes 1k,10k --repeat 5 --skip-torch
    python benchmarks/run.py --quick --skip-peers -o /tmp/bench.md   # a smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import parse_count, size_label  # noqa: E402
from workers import LLM_TOKENS, llm_config  # noqa: E402

MARKER = "<!-- benchmarks/run.py writes everything below this line; edit above it -->"
DEFAULT_INTRO = """# Benchmarks

`make bench` (or `python benchmarks/run.py`) regenerates everything below the marker line:
costcalc against onnx-tool and onnx's own shape inference on generated ONNX graphs
(`benchmarks/generate.py`), against fvcore and torch's `FlopCounterMode` on the zoo, a
70B-parameter transformer on the meta device, and start-up time.
"""
DEFAULT_SIZES = "1k,10k,100k,1m"
QUICK_SIZES = "200,1k"
DEFAULT_ZOO = "mobilenet_v2,mobilenet_v3_large,shufflenet_v2_x1.0,resnet50"
QUICK_ZOO = "mobilenet_v1_0.5"
PEERS_ONNX = ("onnx-tool", "onnx-infer")
PEERS_ZOO = ("fvcore", "flopcounter", "flopcounter-meta")
LABELS = {
    "costcalc-onnx": "costcalc",
    "onnx-tool": "onnx-tool",
    "onnx-infer": "onnx infer_shapes",
    "costcalc-zoo": "costcalc",
    "fvcore": "fvcore",
    "flopcounter": "FlopCounterMode (CPU)",
    "flopcounter-meta": "FlopCounterMode (meta)",
    "costcalc-llm": "costcalc",
    "flopcounter-llm": "FlopCounterMode (meta)",
}
BIG = 1_000_000  # from this size on, --big-repeat runs per cell
GOAL_100K_S = 5.0
GOAL_1M_S, GOAL_1M_MIB = 60.0, 4096
GOAL_SPEEDUP_10K = 10.0
GOAL_LLM_S, GOAL_LLM_MIB = 60.0, 2048
GOAL_FCM_RATIO = 1.5
GOAL_HELP_S = 0.3
GOAL_EXPONENT = 1.15  # fitted on sizes from 10k nodes: fixed costs no longer dominate


@dataclass
class Measurement:
    """One process: what ran, how long, how much memory, what it said."""

    task: str
    arg: str
    status: str  # ok | timeout | error
    wall_s: float
    rss_mib: float
    phases: dict[str, float] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def run_process(cmd: list[str], timeout: float) -> tuple[str, float, float, str, str]:
    """Run ``cmd``; (status, wall seconds, peak RSS MiB, stdout, stderr tail)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen quiet
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    rss = usage.ru_maxrss / 1024  # KiB on Linux
    if killed.is_set():
        return "timeout", wall, rss, stdout, ""
    if proc.returncode != 0:
        return "error", wall, rss, stdout, stderr.strip()[-2000:]
    return "ok", wall, rss, stdout, ""


def measure(task: str, arg: str, timeout: float) -> Measurement:
    cmd = [sys.executable, str(HERE / "workers.py"), task, arg]
    status, wall, rss, stdout, stderr = run_process(cmd, timeout)
    m = Measurement(task, arg, status, wall, rss, error=stderr)
    if status == "ok":
        try:
            payload = json.loads(stdout.strip().splitlines()[-1])
            m.phases, m.result = payload["phases"], payload["result"]
        except (IndexError, ValueError, KeyError):
            m.status, m.error = "error", f"no result line in the output: {stdout[-500:]!r}"
    return m


def measure_command(name: str, cmd: list[str], timeout: float) -> Measurement:
    status, wall, rss, _, stderr = run_process(cmd, timeout)
    return Measurement("startup", name, status, wall, rss, error=stderr)


class Bench:
    """Runs the cases, collecting every Measurement; logs progress on stderr."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.runs: list[Measurement] = []
        self.notes: list[str] = []
        self.files: dict[int, dict[str, Any]] = {}
        self.given_up: dict[str, str] = {}  # task -> why it stopped
        self.context: dict[str, Any] = {}

    def save(self, path: Path) -> None:
        data = {
            "context": self.context,
            "files": {str(n): info for n, info in self.files.items()},
            "notes": self.notes,
            "given_up": self.given_up,
            "runs": [asdict(r) for r in self.runs],
        }
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")

    def load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.context = data["context"]
        self.files = {int(n): info for n, info in data["files"].items()}
        self.notes, self.given_up = data["notes"], data["given_up"]
        self.runs = [Measurement(**r) for r in data["runs"]]

    def log(self, text: str) -> None:
        if not self.args.silent:
            print(text, file=sys.stderr, flush=True)

    def repeat_tasks(self, tasks: list[tuple[str, str]], repeat: int, sticky: bool) -> None:
        """Each (task, arg) ``repeat`` times, interleaved. A timeout or an error stops the
        task's remaining repeats and, if ``sticky``, every later case of that task."""
        stopped: set[str] = set()
        for i in range(repeat):
            for task, arg in tasks:
                if task in stopped or task in self.given_up:
                    continue
                timeout = self.args.timeout
                if task.startswith("costcalc"):
                    timeout = max(timeout, self.args.costcalc_timeout)
                m = measure(task, arg, timeout)
                self.runs.append(m)
                self.log(
                    f"  [{i + 1}/{repeat}] {task} {Path(arg).name}: {m.status} "
                    f"{m.wall_s:.2f} s {m.rss_mib:.0f} MiB"
                )
                if m.status == "ok":
                    continue
                stopped.add(task)
                last = (m.error.strip().splitlines() or [""])[-1]
                why = f"timeout ({timeout:.0f} s)" if m.status == "timeout" else last
                later = "; not run on larger sizes" if sticky else ""
                self.notes.append(f"{task} {Path(arg).name}: {why}{later}")
                if sticky:
                    self.given_up[task] = f"{why} at {Path(arg).name}"
                if m.status == "error":
                    self.log(m.error)

    # cases ------------------------------------------------------------------------------

    def startup(self) -> None:
        self.log("start-up")
        script = Path(sys.executable).parent / "costcalc"
        help_cmd = [str(script), "--help"] if script.exists() else [
            sys.executable, "-m", "costcalc", "--help"]  # fmt: skip
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import costcalc'": [sys.executable, "-c", "import costcalc"],
            "costcalc --help": help_cmd,
        }
        for _ in range(max(self.args.repeat, 1 if self.args.quick else 5)):
            for name, cmd in commands.items():
                self.runs.append(measure_command(name, cmd, self.args.timeout))

    def onnx_file(self, nodes: int) -> Path:
        """The generated model of ``nodes`` nodes, made once per version of the generator."""
        digest = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:8]
        path = Path(self.args.build_dir) / f"bench-{size_label(nodes)}-{digest}.onnx"
        if not path.exists():
            self.log(f"generating {path}")
            tmp = path.with_suffix(".tmp.onnx")
            cmd = [sys.executable, str(HERE / "generate.py"), "--nodes", str(nodes), "-o", tmp]
            subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT)
            tmp.replace(path)
        self.files[nodes] = {"path": str(path), "mb": path.stat().st_size / 1e6}
        return path

    def onnx(self, sizes: list[int]) -> None:
        for nodes in sizes:
            path = str(self.onnx_file(nodes))
            self.log(f"ONNX, {nodes:,} nodes")
            tasks = [("costcalc-onnx", path)]
            if not self.args.skip_peers:
                tasks.append(("onnx-infer", path))
                if nodes <= self.args.onnx_tool_max and self.peer_available("onnx-tool"):
                    tasks.append(("onnx-tool", path))
            repeat = self.args.repeat
            if nodes >= BIG:
                repeat = min(repeat, self.args.big_repeat)
            self.repeat_tasks(tasks, repeat, sticky=True)

    def peer_available(self, task: str) -> bool:
        module = {"onnx-tool": "onnx_tool", "fvcore": "fvcore"}[task]
        if task in self.given_up:
            return False
        try:
            __import__(module)
        except Exception as exc:  # not installed, or broken: say why, measure the rest
            why = f"not available ({type(exc).__name__}: {exc})"
            self.given_up[task] = why
            self.notes.append(f"{task}: not measured, {why}; `pip install {task}`")
            return False
        return True

    def torch_available(self) -> bool:
        try:
            importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            self.notes.append("torch is not installed: the PyTorch cases were skipped")
            return False
        return True

    def zoo(self, models: list[str]) -> None:
        for name in models:
            self.log(f"zoo:{name}")
            tasks = [("costcalc-zoo", name)]
            if not self.args.skip_peers:
                if self.peer_available("fvcore"):
                    tasks.append(("fvcore", name))
                tasks += [("flopcounter", name), ("flopcounter-meta", name)]
            self.repeat_tasks(tasks, self.args.repeat, sticky=False)

    def llm(self, size: str) -> None:
        self.log(f"transformer {size} on meta")
        tasks = [("costcalc-llm", size)]
        if not self.args.skip_peers:
            tasks.append(("flopcounter-llm", size))
        self.repeat_tasks(tasks, self.args.repeat, sticky=False)


# statistics -----------------------------------------------------------------------------


def median_of(runs: list[Measurement], task: str, arg: str) -> dict[str, Any] | None:
    """Medians of the successful runs; None if there were none; status when all failed."""
    mine = [r for r in runs if r.task == task and r.arg == arg]
    if not mine:
        return None
    ok = [r for r in mine if r.status == "ok"]
    if not ok:
        return {"status": mine[-1].status, "runs": len(mine), "wall_s": mine[-1].wall_s}
    return {
        "status": "ok",
        "runs": len(ok),
        "wall_s": statistics.median(r.wall_s for r in ok),
        "rss_mib": statistics.median(r.rss_mib for r in ok),
        "work_s": statistics.median(r.phases.get("work", 0.0) for r in ok),
        "min_s": min(r.wall_s for r in ok),
        "max_s": max(r.wall_s for r in ok),
        "result": ok[-1].result,
    }


def _s(stat: dict[str, Any] | None, key: str = "wall_s") -> str:
    if stat is None:
        return "–"
    if stat["status"] != "ok":
        return stat["status"]
    return f"{stat[key]:.2f}" if stat[key] < 100 else f"{stat[key]:.0f}"


def _mib(stat: dict[str, Any] | None) -> str:
    if stat is None:
        return "–"
    return f"{stat['rss_mib']:,.0f}" if stat["status"] == "ok" else "–"


def _ratio(num: dict[str, Any] | None, den: dict[str, Any] | None) -> str:
    """num ÷ den of the wall times; a lower bound when ``num`` timed out."""
    if not num or not den or den["status"] != "ok":
        return "–"
    if num["status"] == "timeout":
        return f"> {num['wall_s'] / den['wall_s']:.0f}×"
    if num["status"] != "ok":
        return "–"
    return f"{num['wall_s'] / den['wall_s']:.1f}×"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def context(args: argparse.Namespace, started: float, load_before: float) -> dict[str, Any]:
    """Where and how the run happened, for the README's header."""
    dists = ("costcalc", "onnx", "onnx-tool", "torch", "fvcore")
    return {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python benchmarks/run.py", *args.argv]),
        "machine": f"{platform.machine()} Linux, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "versions": ", ".join(f"{d} {_version(d)}" for d in dists),
        "repeat": args.repeat,
        "big_repeat": min(args.repeat, args.big_repeat),
        "minutes": (time.time() - started) / 60,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }


def render(bench: Bench) -> str:
    """The generated part of the README: context, tables, goals."""
    c = bench.context
    out = [
        MARKER,
        "",
        f"## Results ({c['when']})",
        "",
        f"`{c['command']}` on {c['machine']}; {c['versions']}. Medians of {c['repeat']} "
        f"run(s) per cell ({c['big_repeat']} from 1M nodes on), each a fresh process "
        "(interpreter start-up and imports included); peak RSS is the process's maximum "
        f"resident set. The whole run took {c['minutes']:.1f} minutes.",
        "",
        f"**Caveat: the machine is shared** (load average {c['load_before']:.1f} at the "
        f"start, {c['load_after']:.1f} at the end, on {c['cpus']} CPUs): other jobs ran "
        "alongside, so absolute times are noisy. The ratios compare tools measured "
        "interleaved in the same minutes, and are the more reliable figures.",
        "",
    ]
    out += _onnx_section(bench)
    out += _torch_section(bench)
    out += _startup_section(bench)
    out += _goals_section(bench)
    if bench.notes:
        out += ["### Notes", "", *(f"- {n}" for n in dict.fromkeys(bench.notes)), ""]
    return "\n".join(out)


def _onnx_section(bench: Bench) -> list[str]:
    if not bench.files:
        return []
    runs = bench.runs
    rows, curve = [], []
    previous: tuple[int, float] | None = None
    for nodes, info in sorted(bench.files.items()):
        path = info["path"]
        cc = median_of(runs, "costcalc-onnx", path)
        tool = median_of(runs, "onnx-tool", path)
        floor = median_of(runs, "onnx-infer", path)
        rows.append([
            f"{nodes:,}", f"{info['mb']:.1f}",
            _s(cc), _s(cc, "work_s"), _mib(cc),
            _s(tool), _mib(tool), _ratio(tool, cc),
            _s(floor), _s(floor, "work_s"), _mib(floor), _ratio(cc, floor),
        ])  # fmt: skip
        if cc and cc["status"] == "ok":
            per_node = cc["work_s"] / nodes * 1e6
            growth = "–"
            if previous:
                growth = f"{(cc['work_s'] / previous[1]) / (nodes / previous[0]):.2f}"
            curve.append([f"{nodes:,}", _s(cc), _s(cc, "work_s"), f"{per_node:.1f}", growth])
            previous = (nodes, cc["work_s"])
    header = [
        "nodes", "file MB", "costcalc s", "(in-process s)", "costcalc MiB",
        "onnx-tool s", "onnx-tool MiB", "onnx-tool ÷ costcalc",
        "infer_shapes s", "(in-process s)", "infer_shapes MiB", "costcalc ÷ infer_shapes",
    ]  # fmt: skip
    return [
        "### ONNX graphs: costcalc vs onnx-tool vs onnx's shape inference",
        "",
        "Generated by `benchmarks/generate.py` (MobileNetV2/V3, ShuffleNetV2 and ResNet blocks, "
        "every block its own weights). costcalc: the command `costcalc analyze FILE "
        "--format json` run in the measured process (as the console script runs it), the "
        "report captured. onnx-tool: "
        "`Model(path)`, `graph.shape_infer()`, `graph.profile()`. infer_shapes: `onnx.load` "
        "+ `infer_shapes(data_prop=True)`, the floor (costcalc runs it too). "
        "In-process: after the imports. `onnx-tool ÷ costcalc` > 1: costcalc is faster.",
        "",
        *_table(header, rows),
        "",
        "costcalc's time against the node count (in-process; growth = time ratio ÷ node "
        "ratio against the previous size: 1.00 is linear):",
        "",
        *_table(["nodes", "wall s", "in-process s", "µs per node", "growth"], curve),
        "",
    ]


def _torch_section(bench: Bench) -> list[str]:
    runs = bench.runs
    models = list(dict.fromkeys(r.arg for r in runs if r.task == "costcalc-zoo"))
    out: list[str] = []
    if models:
        rows = []
        for name in models:
            cc = median_of(runs, "costcalc-zoo", name)
            fv = median_of(runs, "fvcore", name)
            cpu = median_of(runs, "flopcounter", name)
            meta = median_of(runs, "flopcounter-meta", name)
            rows.append([
                name, _s(cc), _mib(cc), _s(fv), _mib(fv), _s(cpu), _mib(cpu),
                _s(meta), _mib(meta),
                _ratio(fv, cc), _ratio(cc, cpu), _ratio(cc, meta),
            ])  # fmt: skip
        header = [
            "zoo model", "costcalc s", "MiB", "fvcore s", "MiB", "FCM CPU s", "MiB",
            "FCM meta s", "MiB", "fvcore ÷ costcalc", "costcalc ÷ FCM CPU",
            "costcalc ÷ FCM meta",
        ]  # fmt: skip
        out += [
            "### PyTorch zoo: costcalc vs fvcore vs FlopCounterMode (FCM)",
            "",
            "costcalc: `costcalc.analyze('zoo:NAME')` + the JSON report (built and traced "
            "on the meta device, full per-layer report). fvcore: the model built on the "
            "CPU, `FlopCountAnalysis(model, x).total()` (a JIT trace running real "
            "tensors). FCM: the model built on the CPU (or meta) and run once under "
            "`FlopCounterMode` (totals only). All process times include `import torch`.",
            "",
            *_table(header, rows),
            "",
        ]
    sizes = list(dict.fromkeys(r.arg for r in runs if r.task == "costcalc-llm"))
    for size in sizes:
        cc = median_of(runs, "costcalc-llm", size)
        fcm = median_of(runs, "flopcounter-llm", size)
        res = (cc or {}).get("result", {})
        fcm_macs = (fcm or {}).get("result", {}).get("flops", 0) // 2
        rows = [
            ["costcalc", _s(cc), _mib(cc), f"{res.get('params', 0):,}",
             f"{res.get('macs', 0):,}", f"{res.get('layers', 0):,}"],
        ]  # fmt: skip
        if fcm:
            rows.append([
                "FlopCounterMode (meta)", _s(fcm), _mib(fcm), "–",
                f"{fcm_macs:,} (flops ÷ 2)", "–",
            ])  # fmt: skip
        shape = " (Llama-3-70B's shape)" if size == "70b" else ""
        cfg = llm_config(size)
        out += [
            f"### A {size} transformer on the meta device",
            "",
            f"{cfg['layers']} layers, d_model {cfg['d_model']:,}, {cfg['heads']} heads "
            f"({cfg['kv_heads']} KV heads), SwiGLU MLP {cfg['mlp']:,}, vocabulary "
            f"{cfg['vocab']:,}, RMSNorm, untied head{shape}; "
            "`benchmarks/workers.py:build_llm`; one prompt of "
            f"{LLM_TOKENS:,} tokens. Built on meta, then `costcalc.analyze(model, "
            "inputs=[tokens])` + the JSON report.",
            "",
            *_table(["tool", "wall s", "peak MiB", "params", "MACs", "layers"], rows),
            "",
        ]
    return out


def _startup_section(bench: Bench) -> list[str]:
    names = list(dict.fromkeys(r.arg for r in bench.runs if r.task == "startup"))
    if not names:
        return []
    rows = [[f"`{n}`", _s(median_of(bench.runs, "startup", n))] for n in names]
    return ["### Start-up", "", *_table(["command", "wall s"], rows), ""]


def _goals_section(bench: Bench) -> list[str]:
    runs, rows = bench.runs, []

    def verdict(ok: bool | None) -> str:
        return "–" if ok is None else ("**met**" if ok else "**not met**")

    def onnx_stat(task: str, nodes: int) -> dict[str, Any] | None:
        info = bench.files.get(nodes)
        return median_of(runs, task, info["path"]) if info else None

    cc100k = onnx_stat("costcalc-onnx", 100_000)
    if cc100k and cc100k["status"] == "ok":
        rows.append([
            "100k nodes < 5 s", f"{cc100k['wall_s']:.2f} s", verdict(cc100k["wall_s"] < GOAL_100K_S)
        ])  # fmt: skip
    cc1m = onnx_stat("costcalc-onnx", 1_000_000)
    if cc1m:
        if cc1m["status"] == "ok":
            ok = cc1m["wall_s"] < GOAL_1M_S and cc1m["rss_mib"] < GOAL_1M_MIB
            text = f"{cc1m['wall_s']:.1f} s, {cc1m['rss_mib']:,.0f} MiB"
        else:
            ok, text = False, cc1m["status"]
        rows.append(["1M nodes < 60 s and < 4 GB", text, verdict(ok)])
    cc10k, tool10k = onnx_stat("costcalc-onnx", 10_000), onnx_stat("onnx-tool", 10_000)
    if cc10k and tool10k and cc10k["status"] == "ok" and tool10k["status"] != "error":
        speed = tool10k["wall_s"] / cc10k["wall_s"]  # a lower bound if onnx-tool timed out
        bound = "> " if tool10k["status"] == "timeout" else ""
        rows.append([
            "≥ 10× faster than onnx-tool at 10k", f"{bound}{speed:.1f}×",
            verdict(speed >= GOAL_SPEEDUP_10K),
        ])  # fmt: skip
    points = [
        (n, median_of(runs, "costcalc-onnx", i["path"])) for n, i in sorted(bench.files.items())
    ]
    points = [(n, s["work_s"]) for n, s in points if s and s["status"] == "ok" and n >= 10_000]
    if len(points) >= 2:
        k = growth_exponent(points)
        rows.append([
            "time linear in node count",
            f"time ∝ nodes^{k:.2f} ({points[0][0]:,} to {points[-1][0]:,} nodes)",
            verdict(k <= GOAL_EXPONENT),
        ])  # fmt: skip
    for size in dict.fromkeys(r.arg for r in runs if r.task == "costcalc-llm"):
        llm = median_of(runs, "costcalc-llm", size)
        if llm and llm["status"] == "ok":
            ok = llm["wall_s"] < GOAL_LLM_S and llm["rss_mib"] < GOAL_LLM_MIB
            rows.append([
                f"{size} transformer on meta < 60 s and < 2 GB",
                f"{llm['wall_s']:.1f} s, {llm['rss_mib']:,.0f} MiB", verdict(ok),
            ])  # fmt: skip
    ratios = []
    for name in dict.fromkeys(r.arg for r in runs if r.task == "costcalc-zoo"):
        cc, fcm = median_of(runs, "costcalc-zoo", name), median_of(runs, "flopcounter", name)
        if cc and fcm and cc["status"] == fcm["status"] == "ok":
            ratios.append((name, cc["wall_s"] / fcm["wall_s"]))
    if ratios:
        worst = max(ratios, key=lambda r: r[1])
        rows.append([
            "PyTorch path within 1.5× of FlopCounterMode (CPU) on the zoo",
            f"worst {worst[1]:.2f}× ({worst[0]})", verdict(worst[1] <= GOAL_FCM_RATIO),
        ])  # fmt: skip
    helped = median_of(runs, "startup", "costcalc --help")
    if helped and helped["status"] == "ok":
        rows.append([
            "`costcalc --help` < 0.3 s", f"{helped['wall_s']:.3f} s",
            verdict(helped["wall_s"] < GOAL_HELP_S),
        ])  # fmt: skip
    if not rows:
        return []
    return ["### Goals (issue 8)", "", *_table(["goal", "measured", "verdict"], rows, "lll"), ""]


def growth_exponent(points: list[tuple[int, float]]) -> float:
    """k of time = c · nodes^k, least squares on log-log: 1 is linear, 2 quadratic."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def write_readme(path: Path, generated: str) -> None:
    """Keep everything above the marker line (a default intro if there is none)."""
    intro = DEFAULT_INTRO
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if MARKER in text:
            intro = text.split(MARKER, 1)[0].rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(intro + "\n" + generated.rstrip("\n") + "\n", encoding="utf-8")
    tmp.replace(path)


def plot(bench: Bench, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for task in ("costcalc-onnx", "onnx-tool", "onnx-infer"):
        points = [(n, median_of(bench.runs, task, i["path"])) for n, i in bench.files.items()]
        points = sorted((n, s["wall_s"]) for n, s in points if s and s["status"] == "ok")
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=LABELS[task])
    ax.set(xscale="log", yscale="log", xlabel="nodes", ylabel="wall time (s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=None, help=f"node counts (default {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int, default=None, help="runs per cell (default 3)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run: a smoke test")
    parser.add_argument("--skip-peers", action="store_true", help="costcalc only")
    parser.add_argument("--skip-torch", action="store_true", help="no PyTorch cases")
    parser.add_argument("--skip-onnx", action="store_true", help="no ONNX cases")
    parser.add_argument("--zoo", default=None, help=f"zoo models (default {DEFAULT_ZOO})")
    parser.add_argument("--llm", default=None, help="transformer size: 70b (default) or tiny")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per process")
    parser.add_argument(
        "--costcalc-timeout", type=float, default=900.0, help="seconds per costcalc process"
    )
    parser.add_argument(
        "--big-repeat", type=int, default=1, help="runs per cell from 1M nodes on (default 1)"
    )
    parser.add_argument(
        "--onnx-tool-max", type=parse_count, default=100_000, help="largest size for onnx-tool"
    )
    parser.add_argument("-o", "--output", default=str(HERE / "README.md"), help="the README")
    parser.add_argument("--json", default=None, help="raw results (default BUILD_DIR/results.json)")
    parser.add_argument("--build-dir", default=str(ROOT / "build" / "bench"))
    parser.add_argument("--plot", default=None, help="also a PNG of time against node count")
    parser.add_argument("--silent", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--render",
        default=None,
        metavar="RESULTS_JSON",
        help="only rewrite the README from a saved run",
    )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.sizes = [parse_count(s) for s in (args.sizes or (
        QUICK_SIZES if args.quick else DEFAULT_SIZES)).split(",") if s]  # fmt: skip
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.zoo = [z for z in (args.zoo or (QUICK_ZOO if args.quick else DEFAULT_ZOO)).split(",") if z]
    args.llm = args.llm or ("tiny" if args.quick else "70b")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    raw = Path(args.json or Path(args.build_dir) / "results.json")
    if args.render:  # no measurement: the tables again from a saved run
        bench.load(Path(args.render))
    else:
        started, load_before = time.time(), os.getloadavg()[0]
        Path(args.build_dir).mkdir(parents=True, exist_ok=True)
        bench.startup()
        if not args.skip_onnx:
            bench.onnx(args.sizes)
        if not args.skip_torch and bench.torch_available():
            bench.zoo(args.zoo)
            bench.llm(args.llm)
        bench.context = context(args, started, load_before)
        bench.save(raw)
    write_readme(Path(args.output), render(bench))
    if args.plot:
        plot(bench, Path(args.plot))
    bench.log(f"wrote {args.output}" + ("" if args.render else f" and {raw}"))
    failed = [r for r in bench.runs if r.status == "error" and r.task.startswith("costcalc")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
