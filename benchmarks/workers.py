"""One measured task per process, for ``benchmarks/run.py``.

    python benchmarks/workers.py TASK ARG

prints one JSON line on stdout: ``{"phases": {name: seconds}, "result": {...}}``. The
harness measures the process's wall time and peak resident memory from outside; the phases
are the in-process split (``import``: the tool's modules; ``work``: everything after, the
model build included for the PyTorch peers). Tasks:

- ``costcalc-onnx FILE``: the command ``costcalc analyze FILE --format json`` run in this
  process (``costcalc.cli``, as the console script runs it), its output captured;
- ``onnx-tool FILE``: ``onnx_tool.Model(FILE)``, ``graph.shape_infer()``, ``graph.profile()``;
- ``onnx-infer FILE``: ``onnx.load`` + ``onnx.shape_inference.infer_shapes(data_prop=True)``,
  the floor (costcalc runs the same inference);
- ``costcalc-zoo NAME``: ``costcalc.analyze("zoo:NAME")`` + the JSON report (built and run
  on the meta device);
- ``fvcore NAME``: the zoo model built on the CPU, ``FlopCountAnalysis(model, x).total()``;
- ``flopcounter NAME`` / ``flopcounter-meta NAME``: the model run under torch's
  ``FlopCounterMode`` on the CPU (real tensors) or on the meta device;
- ``costcalc-llm SIZE`` / ``flopcounter-llm SIZE``: the transformer of ``llm_config(SIZE)``
  (``70b``: 80 layers, d_model 8192, grouped-query attention, SwiGLU MLP 28672, vocabulary
  128,256 - Llama-3-70B's shape, 70.6B parameters) built and analysed on the meta device,
  prompt of ``LLM_TOKENS`` tokens.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LLM_TOKENS = 2048
LLM_CONFIGS: dict[str, dict[str, int]] = {
    # layers, d_model, heads, kv_heads, mlp, vocab
    "70b": dict(layers=80, d_model=8192, heads=64, kv_heads=8, mlp=28672, vocab=128_256),
    "tiny": dict(layers=2, d_model=64, heads=4, kv_heads=2, mlp=128, vocab=1000),
}


class _Clock:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - self._last
        self._last = now


def _render_json(report: Any) -> int:
    from costcalc.renderers import render

    text = render(report, "json", by="layer", show_all=False, depth=None, hardware=None)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sink.write(text)
    return len(text)


def costcalc_onnx(path: str, clock: _Clock) -> dict[str, Any]:
    import contextlib
    import io

    from costcalc.cli import main
    from costcalc.gc_pause import freeze_after_analysis

    clock.lap("import")
    freeze_after_analysis()  # as costcalc.cli.run, the console script, does
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main.main(["analyze", path, "--format", "json"], standalone_mode=False)
    clock.lap("work")
    # parsing the whole report would add a second to the measured process: the part
    # before the layers (the report's last key) is parsed, and the layer lines counted
    text = output.getvalue()
    head = json.loads(text[: text.index(',\n  "layers": ')] + "\n}")
    return {
        "macs": head["totals"]["macs"],
        "params": head["totals"]["params"],
        "layers": text.count('\n    {"name":'),
        "unsupported": sorted(u["op"] for u in head["unsupported"]),
        "json_bytes": len(text),
    }


def onnx_tool_profile(path: str, clock: _Clock) -> dict[str, Any]:
    import onnx_tool

    clock.lap("import")
    model = onnx_tool.Model(path)
    model.graph.shape_infer()
    model.graph.profile()
    clock.lap("work")
    return {"macs": float(model.graph.macs[0]), "params": int(model.graph.params)}


def onnx_infer(path: str, clock: _Clock) -> dict[str, Any]:
    import onnx
    from onnx import shape_inference

    clock.lap("import")
    model = onnx.load(path, load_external_data=False)
    clock.lap("load")
    inferred = shape_inference.infer_shapes(model, data_prop=True)
    clock.lap("work")
    return {"value_info": len(inferred.graph.value_info)}


def costcalc_zoo(name: str, clock: _Clock) -> dict[str, Any]:
    import costcalc

    clock.lap("import")
    report = costcalc.analyze(f"zoo:{name}")
    size = _render_json(report)
    clock.lap("work")
    return {"macs": report.totals.macs, "flops": report.totals.flops, "json_bytes": size}


def _zoo_model(name: str, device: str) -> tuple[Any, Any]:
    import torch

    from costcalc import zoo

    entry = zoo.get(name)
    with torch.device(device):
        model = entry.build().eval()
        x = torch.randn(entry.input_shape)
    return model, x


def fvcore_count(name: str, clock: _Clock) -> dict[str, Any]:
    import logging

    import torch
    from fvcore.nn import FlopCountAnalysis

    logging.disable(logging.WARNING)  # its unsupported-op warnings
    clock.lap("import")
    model, x = _zoo_model(name, "cpu")
    clock.lap("build")
    with torch.no_grad():
        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        total = analysis.total()
    clock.lap("work")
    return {"flops": int(total)}


def _flop_counter(model: Any, inputs: tuple[Any, ...]) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*inputs)
    return int(counter.get_total_flops())


def flopcounter(name: str, clock: _Clock, device: str = "cpu") -> dict[str, Any]:
    import torch.utils.flop_counter  # noqa: F401

    clock.lap("import")
    model, x = _zoo_model(name, device)
    clock.lap("build")
    flops = _flop_counter(model, (x,))
    clock.lap("work")
    return {"flops": flops}


def llm_config(size: str) -> dict[str, int]:
    return LLM_CONFIGS[size]


def build_llm(size: str) -> Any:
    """A Llama-like decoder: embedding, RMSNorm, GQA attention with explicit matmuls and
    softmax, SwiGLU MLP, final norm and an untied LM head. Built on the current device."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    cfg = llm_config(size)
    d, heads, kv_heads = cfg["d_model"], cfg["heads"], cfg["kv_heads"]
    head_dim = d // heads

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = nn.Linear(d, d, bias=False)
            self.k = nn.Linear(d, kv_heads * head_dim, bias=False)
            self.v = nn.Linear(d, kv_heads * head_dim, bias=False)
            self.o = nn.Linear(d, d, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            b, s, _ = x.shape
            q = self.q(x).view(b, s, heads, head_dim).transpose(1, 2)
            k = self.k(x).view(b, s, kv_heads, head_dim).transpose(1, 2)
            v = self.v(x).view(b, s, kv_heads, head_dim).transpose(1, 2)
            k = k.repeat_interleave(heads // kv_heads, dim=1)
            v = v.repeat_interleave(heads // kv_heads, dim=1)
            scores = (q @ k.transpose(-2, -1)) * head_dim**-0.5
            y = scores.softmax(dim=-1) @ v
            return self.o(y.transpose(1, 2).reshape(b, s, d))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn_norm = nn.RMSNorm(d)
            self.attn = Attention()
            self.mlp_norm = nn.RMSNorm(d)
            self.gate = nn.Linear(d, cfg["mlp"], bias=False)
            self.up = nn.Linear(d, cfg["mlp"], bias=False)
            self.down = nn.Linear(cfg["mlp"], d, bias=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x + self.attn(self.attn_norm(x))
            h = self.mlp_norm(x)
            return x + self.down(F.silu(self.gate(h)) * self.up(h))

    class Decoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(cfg["vocab"], d)
            self.layers = nn.ModuleList(Block() for _ in range(cfg["layers"]))
            self.norm = nn.RMSNorm(d)
            self.head = nn.Linear(d, cfg["vocab"], bias=False)

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            x = self.embed(tokens)
            for layer in self.layers:
                x = layer(x)
            return self.head(self.norm(x))

    return Decoder()


def _llm_on_meta(size: str) -> tuple[Any, Any]:
    import torch

    with torch.device("meta"):
        model = build_llm(size).eval()
        tokens = torch.zeros((1, LLM_TOKENS), dtype=torch.long)
    return model, tokens


def costcalc_llm(size: str, clock: _Clock) -> dict[str, Any]:
    import torch  # noqa: F401 - the model is built before costcalc sees it

    import costcalc

    clock.lap("import")
    model, tokens = _llm_on_meta(size)
    clock.lap("build")
    report = costcalc.analyze(model, inputs=[tokens])
    size_ = _render_json(report)
    clock.lap("work")
    return {
        "params": report.totals.params,
        "macs": report.totals.macs,
        "layers": len(report.layers),
        "unsupported": sorted(u.op for u in report.unsupported),
        "json_bytes": size_,
    }


def flopcounter_llm(size: str, clock: _Clock) -> dict[str, Any]:
    import torch.utils.flop_counter  # noqa: F401

    clock.lap("import")
    model, tokens = _llm_on_meta(size)
    clock.lap("build")
    flops = _flop_counter(model, (tokens,))
    clock.lap("work")
    return {"flops": flops}


TASKS = {
    "costcalc-onnx": costcalc_onnx,
    "onnx-tool": onnx_tool_profile,
    "onnx-infer": onnx_infer,
    "costcalc-zoo": costcalc_zoo,
    "fvcore": fvcore_count,
    "flopcounter": flopcounter,
    "flopcounter-meta": lambda name, clock: flopcounter(name, clock, device="meta"),
    "costcalc-llm": costcalc_llm,
    "flopcounter-llm": flopcounter_llm,
}


def main(argv: list[str]) -> int:
    task, arg = argv
    if str(ROOT) not in sys.path:  # costcalc from this checkout, installed or not
        sys.path.insert(0, str(ROOT))
    clock = _Clock()
    result = TASKS[task](arg, clock)
    print(json.dumps({"phases": clock.phases, "result": result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
