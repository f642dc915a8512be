"""Hardware profiles: peak FLOP/s per dtype, memory bandwidth, per-kernel overhead, and
(when calibrated) per-kind-of-op efficiency factors. Shipped ones live in ``profiles/`` as
TOML; ``load_hardware`` also takes a path to the user's own.

TOML schema::

    name = "NVIDIA H200 SXM 141GB"
    kind = "gpu"                       # gpu | cpu | soc
    source = "where the numbers come from (datasheet, page)"
    memory_bandwidth_gbps = 4800.0     # GB/s (10^9 bytes per second)
    kernel_overhead_us = 4.0           # fixed time per kernel launch / op dispatch
    [peak_tflops]                      # dense peak, 10^12 FLOP/s, per dtype
    float32 = 67.0
    float16 = 989.0
    [efficiency.conv-depthwise]        # optional, per layer category (costcalc calibrate):
    compute = 0.05                     #   fraction of peak FLOP/s reached
    memory = 0.6                       #   fraction of peak bandwidth reached
    overhead_us = 12.0                 #   per-kernel overhead for this kind of op
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from costcalc.errors import InputSpecError

PROFILES = Path(__file__).parent / "profiles"


@dataclass(frozen=True)
class Efficiency:
    compute: float = 1.0
    memory: float = 1.0
    overhead_us: float | None = None  # None: the profile's kernel_overhead_us


@dataclass(frozen=True)
class Hardware:
    name: str
    kind: str
    source: str
    peak_flops: dict[str, float]  # FLOP/s per dtype name ("float32", "float16", ...)
    bandwidth: float  # bytes/s
    overhead_us: float
    efficiency: dict[str, Efficiency] = field(default_factory=dict)
    key: str = ""  # the short name it was loaded by ("h200") or the file path

    def flops_per_second(self, dtype: str) -> float:
        """Peak FLOP/s at ``dtype``; a dtype without its own figure uses float32's."""
        if dtype in self.peak_flops:
            return self.peak_flops[dtype]
        return self.peak_flops.get("float32") or max(self.peak_flops.values())

    def efficiency_for(self, category: str, op: str | None = None) -> Efficiency:
        """The calibrated factors of one op type (``[efficiency."op:PRelu"]``) if the
        profile has them, else of its category, else ``default``, else none (1.0)."""
        if op is not None and f"op:{op}" in self.efficiency:
            return self.efficiency[f"op:{op}"]
        return self.efficiency.get(category, self.efficiency.get("default", Efficiency()))


def names() -> list[str]:
    """Short names of the shipped profiles (the TOML file stems)."""
    return sorted(p.stem for p in PROFILES.glob("*.toml"))


def load_hardware(name_or_path: str | Path) -> Hardware:
    """A shipped profile by short name (``h200``, ``rpi4``...) or a TOML file."""
    path = Path(name_or_path)
    if not path.suffix and (PROFILES / f"{name_or_path}.toml").exists():
        path = PROFILES / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(names())
        raise InputSpecError(
            f"--hardware {name_or_path}: no such profile or file (shipped: {known})"
        )
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputSpecError(f"--hardware {path}: not valid TOML ({exc})") from exc
    return parse_hardware(data, key=str(name_or_path), where=str(path))


def parse_hardware(data: dict, key: str = "", where: str = "<profile>") -> Hardware:
    def number(table: dict, name: str, context: str) -> float:
        value = table.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InputSpecError(f"{where}: {context}{name} must be a non-negative number")
        return float(value)

    for required in ("name", "memory_bandwidth_gbps", "peak_tflops"):
        if required not in data:
            raise InputSpecError(f"{where}: missing key {required!r}")
    peaks = data["peak_tflops"]
    if not isinstance(peaks, dict) or not peaks:
        raise InputSpecError(f"{where}: [peak_tflops] must list at least one dtype")
    peak_flops = {dtype: number(peaks, dtype, "peak_tflops.") * 1e12 for dtype in peaks}
    efficiency = {}
    for category, table in data.get("efficiency", {}).items():
        if not isinstance(table, dict):
            raise InputSpecError(f"{where}: [efficiency.{category}] must be a table")
        efficiency[category] = Efficiency(
            compute=number(table, "compute", f"efficiency.{category}.")
            if "compute" in table
            else 1.0,
            memory=number(table, "memory", f"efficiency.{category}.") if "memory" in table else 1.0,
            overhead_us=number(table, "overhead_us", f"efficiency.{category}.")
            if "overhead_us" in table
            else None,
        )
    return Hardware(
        name=str(data["name"]),
        kind=str(data.get("kind", "")),
        source=str(data.get("source", "")),
        peak_flops=peak_flops,
        bandwidth=number(data, "memory_bandwidth_gbps", "") * 1e9,
        overhead_us=number(data, "kernel_overhead_us", "") if "kernel_overhead_us" in data else 0.0,
        efficiency=efficiency,
        key=key,
    )
