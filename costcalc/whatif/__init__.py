"""What-if costs of one layer beside its lightweight alternatives, no model needed.

The formulas of the lightweight-CNN literature made executable: a conv beside its dense,
group-conv, depthwise-separable and pointwise versions; a squeeze-and-excitation block
beside none; a global depthwise conv (GDC) beside global average pooling; a channel
shuffle beside the 1x1 group conv it accompanies and that conv's dense version.

Every number comes from the model path: each alternative is built as a tiny IR graph and
costed by ``costcalc.calculator.calculate`` with the op registry. Each is shown with the
formula it follows, symbolic and substituted (``Cout × Cin/G × K × K = 512 × 512/1 × 3
× 3 = 2,359,296``); the substituted arithmetic is evaluated independently here and must
give the calculator's number, or :class:`FormulaMismatchError` is raised: the formulas
printed and the registry can never silently disagree.

Conventions: padding is ``⌊K/2⌋`` ("same" for odd K), so ``H_out = ⌊(H + 2·⌊K/2⌋ − K)/S⌋
+ 1``; inputs are square (``H = W = hw``); bytes are read + written bytes of every tensor
the layer's ops read (data and weights) and write, at ``dtype``.

The modules: ``formulas`` (symbolic and substituted arithmetic, checked), ``graphs`` (each
alternative as a tiny IR graph, costed), ``results`` (what a what-if returns), ``options``
(checking a layer's options), and one module per layer kind: ``conv``, ``se``, ``gdc``,
``shuffle``.
"""

from __future__ import annotations

from costcalc.whatif.conv import conv_whatif
from costcalc.whatif.formulas import (
    CONV_BIAS_FLOPS,
    Expr,
    FormulaMismatchError,
    bytes_of,
    checked,
    const,
    evaluate,
    product,
    sym,
    times,
    total,
)
from costcalc.whatif.gdc import gdc_whatif
from costcalc.whatif.results import METRICS, SCHEMA, Alternative, WhatIf
from costcalc.whatif.se import se_whatif
from costcalc.whatif.shuffle import shuffle_whatif

__all__ = [
    "CONV_BIAS_FLOPS", "METRICS", "SCHEMA", "Alternative", "Expr", "FormulaMismatchError",
    "WhatIf", "bytes_of", "checked", "const", "conv_whatif", "evaluate", "gdc_whatif",
    "product", "se_whatif", "shuffle_whatif", "sym", "times", "total",
]  # fmt: skip
