"""The dense baseline: what each lightweight layer and block would cost dense.

Per layer: every convolution against the same conv with groups = 1 (same Cin, Cout,
kernel, stride, dilation, padding); other layers are their own baseline. Per pattern: a
depthwise-separable block against the standard KxK conv Cin -> Cout it replaces (MAC
saving 1 / (1/Cout + 1/K^2)); a group conv against groups = 1; a GDC against global
average pooling; an SE block against no SE (its overhead). The model's dense twin
replaces every depthwise-separable block by that standard conv and every other grouped
conv by its dense version: ``totals.dense_params`` and ``totals.dense_macs``.

Bytes are counted the same way as the layer's own: the dense conv reads the same input
and writes the same output, with its larger weights.
"""

from __future__ import annotations

from collections import Counter
from math import prod

from costcalc.analyses.graph_walk import conv_geometry
from costcalc.analyses.patterns import PRIORITY, Pattern, find_patterns
from costcalc.ir import Graph, Node, TensorSpec
from costcalc.report import LayerRow, PatternRow, Report
from costcalc.units import analysed_dtype, tensor_bytes


def apply_dense_baseline(report: Report, graph: Graph) -> None:
    """Fill the dense columns, the patterns and the model's dense twin into ``report``."""
    override = report.model.dtype
    rows = report.layers
    for node, row in zip(graph.nodes, rows, strict=True):
        _layer_baseline(node, row, override)
    patterns = find_patterns(graph)
    labels = _label(patterns)
    _name_rows(patterns, labels, rows)
    report.patterns = [
        _pattern_row(p, labels[i], graph, rows, report, override) for i, p in enumerate(patterns)
    ]
    _model_twin(report, graph, patterns, override)


def _nbytes(tensor: TensorSpec | None, override: str | None) -> int:
    if tensor is None or tensor.shape is None:
        return 0
    return tensor_bytes(prod(tensor.shape), analysed_dtype(tensor.dtype, override))


def dense_conv(node: Node) -> tuple[int, int] | None:
    """(weight elements, MACs) of ``node`` with groups = 1; None for a non-conv."""
    x, w, y = node.input(0), node.input(1), node.outputs[0] if node.outputs else None
    if node.op not in ("Conv", "ConvTranspose") or None in (x, w, y):
        return None
    if x.shape is None or w.shape is None or y.shape is None:
        return None
    cin, cout, kernel = x.shape[1], y.shape[1], prod(w.shape[2:])
    if node.op == "Conv":
        return cout * cin * kernel, y.shape[0] * cout * prod(y.shape[2:]) * cin * kernel
    return cin * cout * kernel, x.shape[0] * cin * prod(x.shape[2:]) * cout * kernel


def _layer_baseline(node: Node, row: LayerRow, override: str | None) -> None:
    moved = None if row.read_bytes is None else row.read_bytes + (row.write_bytes or 0)
    dense = dense_conv(node) if row.macs is not None else None
    if dense is None:
        row.dense_params, row.dense_macs, row.dense_bytes = row.params, row.macs, moved
        return
    weights, macs = dense
    w = node.input(1)
    actual_weights = prod(w.shape)
    weight_bytes = _nbytes(w, override)
    dense_weight_bytes = weight_bytes * weights // actual_weights
    row.dense_params = row.params + weights - actual_weights if row.params else 0
    row.dense_macs = macs
    row.dense_bytes = moved - weight_bytes + dense_weight_bytes


def _label(patterns: list[Pattern]) -> list[str]:
    counts: Counter[str] = Counter()
    labels = []
    for pattern in patterns:
        counts[pattern.kind] += 1
        labels.append(f"{pattern.kind}#{counts[pattern.kind]}")
    return labels


def _name_rows(patterns: list[Pattern], labels: list[str], rows: list[LayerRow]) -> None:
    rank = {kind: i for i, kind in enumerate(PRIORITY)}
    best: dict[int, tuple[int, str]] = {}
    for pattern, label in zip(patterns, labels, strict=True):
        for member in (*pattern.members, *pattern.crossed):
            candidate = (rank.get(pattern.kind, len(rank)), label)
            if member not in best or candidate < best[member]:
                best[member] = candidate
    for member, (_, label) in best.items():
        rows[member].pattern = label


def _common_module(rows: list[LayerRow]) -> str | None:
    paths = [r.module.split(".") for r in rows if r.module]
    if not paths:
        return None
    common = paths[0]
    for path in paths[1:]:
        shared = 0
        while shared < min(len(common), len(path)) and common[shared] == path[shared]:
            shared += 1
        common = common[:shared]
    return ".".join(common) or None


def _sum(rows: list[LayerRow], field: str) -> int:
    return sum(getattr(r, field) or 0 for r in rows)


def standard_conv(graph: Graph, pattern: Pattern, override: str | None) -> tuple[int, int, int]:
    """(params, MACs, bytes) of the standard KxK conv a depthwise-separable block replaces."""
    dw, pw = graph.nodes[pattern.members[0]], graph.nodes[pattern.members[-1]]
    g_dw, g_pw = conv_geometry(dw), conv_geometry(pw)
    cin, cout, kernel = g_dw["cin"], g_pw["cout"], prod(g_dw["kernel"])
    weights = cin * cout * kernel
    params = weights + (cout if g_pw["bias"] else 0)
    macs = g_pw["batch"] * cout * prod(g_pw["out_spatial"]) * cin * kernel
    weight_bytes = tensor_bytes(weights, analysed_dtype(dw.input(1).dtype, override))
    moved = _nbytes(dw.input(0), override) + weight_bytes + _nbytes(pw.outputs[0], override)
    return params, macs, moved


def _pattern_row(pattern, label, graph, rows, report, override) -> PatternRow:
    members = [rows[i] for i in pattern.members]
    everything = [rows[i] for i in (*pattern.members, *pattern.crossed)]
    row = PatternRow(
        id=label, kind=pattern.kind, layers=[r.name for r in members],
        module=_common_module(members), attrs=dict(pattern.attrs),
        params=_sum(everything, "params"), macs=_sum(everything, "macs"),
        flops=_sum(everything, "flops"),
        bytes=_sum(everything, "read_bytes") + _sum(everything, "write_bytes"),
        baseline="", dense_params=None, dense_macs=None, dense_bytes=None,
    )  # fmt: skip
    attrs = pattern.attrs
    if pattern.kind == "depthwise-separable":
        k = "x".join(map(str, attrs["kernel"]))
        row.baseline = f"standard {k} conv {attrs['cin']}->{attrs['cout']}"
        row.dense_params, row.dense_macs, row.dense_bytes = standard_conv(graph, pattern, override)
        # the norm/activation between the two convs has no place in the standard conv
    elif pattern.kind in ("group-conv", "pointwise-group-conv+shuffle"):
        conv = rows[pattern.members[0]]
        row.baseline = "the same conv with groups=1" + (
            ", no shuffle" if pattern.kind != "group-conv" else ""
        )
        row.dense_params, row.dense_macs, row.dense_bytes = (
            conv.dense_params, conv.dense_macs, conv.dense_bytes,
        )  # fmt: skip
    elif pattern.kind == "global-depthwise-conv":
        node = graph.nodes[pattern.members[0]]
        row.baseline = "global average pooling"
        row.dense_params, row.dense_macs = 0, 0
        row.dense_bytes = _nbytes(node.input(0), override) + _nbytes(node.outputs[0], override)
    elif pattern.kind == "squeeze-excitation":
        row.baseline = "no squeeze-and-excitation"
        row.dense_params, row.dense_macs, row.dense_bytes = 0, 0, 0
        _se_shares(row, rows, report)
    else:
        row.baseline = "no shuffle (a pure data movement)"
        row.dense_params, row.dense_macs, row.dense_bytes = 0, 0, 0
    return row


def _se_shares(row: PatternRow, rows: list[LayerRow], report: Report) -> None:
    block = row.module.rsplit(".", 1)[0] if row.module and "." in row.module else None
    row.block = block
    if block is not None:
        inside = [r for r in rows if r.module and (r.module + ".").startswith(block + ".")]
        params, macs = _sum(inside, "params"), _sum(inside, "macs")
        row.share_of_block_params = round(row.params / params, 6) if params else None
        row.share_of_block_macs = round(row.macs / macs, 6) if macs else None
    t = report.totals
    row.share_of_model_params = round(row.params / t.params, 6) if t.params else None
    row.share_of_model_macs = round(row.macs / t.macs, 6) if t.macs else None


def _model_twin(report: Report, graph: Graph, patterns: list[Pattern], override) -> None:
    t = report.totals
    params, macs = t.params, t.macs
    moved = t.read_bytes + t.write_bytes
    replaced: set[int] = set()
    for pattern in patterns:
        if pattern.kind != "depthwise-separable":
            continue
        members = [report.layers[i] for i in pattern.members]
        std_params, std_macs, std_bytes = standard_conv(graph, pattern, override)
        params += std_params - _sum(members, "params")
        macs += std_macs - _sum(members, "macs")
        moved += std_bytes - _sum(members, "read_bytes") - _sum(members, "write_bytes")
        replaced.update(pattern.members)
    for i, row in enumerate(report.layers):
        if (
            i in replaced
            or row.macs is None
            or row.category not in ("conv-group", "conv-depthwise")
        ):
            continue
        params += (row.dense_params or 0) - (row.params or 0)
        macs += (row.dense_macs or 0) - row.macs
        moved += (row.dense_bytes or 0) - (row.read_bytes or 0) - (row.write_bytes or 0)
    t.dense_params, t.dense_macs, t.dense_bytes = params, macs, moved
