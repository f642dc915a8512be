"""Helpers of the PyTorch/ONNX parity tests: weights like a trained model's, the
TorchScript export, and what that export folds, derived from the module structure alone.

What ``torch.onnx.export(..., dynamo=False)`` does to parameters in eval mode
(``do_constant_folding=True``), checked by experiment with torch 2.13:

- a BatchNorm whose input is a Conv's output is folded into that conv: the BN's scale
  and shift (2*C params) disappear, and the conv gets a C-element bias if it had none
  (a conv that had a bias keeps one bias);
- a BatchNorm after anything else stays a BatchNormalization (same 2*C params);
- PReLU slopes become (C, 1, 1) initializers (same count), Linear becomes Gemm or MatMul
  with the same weight and bias, SE blocks' biased 1x1 convs stay as they are;
- initializers with equal *values* are merged into one (eval mode only). Freshly
  initialised models trip this (every folded BN bias is 0, every PReLU slope 0.25), so
  the parity tests give the weights distinct values first, as a trained model has;
  ``test_export_merges_equal_initializers`` pins the merge itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn


@dataclass(frozen=True)
class BatchNormFold:
    """A BatchNorm the exporter folds into the conv producing its input."""

    conv: str  # module path of the conv
    bn: str  # module path of the BatchNorm
    channels: int
    conv_had_bias: bool
    elements: int  # elements of the BN's output (N * C * H * W)

    @property
    def params_removed(self) -> int:
        """Params the ONNX model has fewer: scale and shift go, a bias may come."""
        return 2 * self.channels - (0 if self.conv_had_bias else self.channels)


def distinct_weights_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Every floating parameter and buffer drawn from U[0.5, 1.5), in place.

    Distinct values keep the exporter from merging equal initializers; values above 0
    keep BatchNorm variances valid.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
    return model


def export(model: nn.Module, shape: tuple[int, ...], path: Path) -> Path:
    """The TorchScript exporter, eval mode, constants folded (its defaults)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(), (torch.zeros(shape),), str(path), dynamo=False,
            do_constant_folding=True, input_names=["x"], output_names=["y"],
        )  # fmt: skip
    return path


def batchnorm_folds(model: nn.Module, shape: tuple[int, ...]) -> list[BatchNormFold]:
    """Conv -> BatchNorm pairs of ``model``, found by running it on the CPU.

    Forward hooks record which tensor each Conv produced; a BatchNorm whose input is
    that very tensor is folded by the exporter. (The zoo's conv outputs feed nothing
    else; a conv output also used elsewhere would not be folded.)
    """
    names = {id(m): n for n, m in model.named_modules()}
    conv_outputs: dict[int, nn.Module] = {}
    alive: list[torch.Tensor] = []  # keeps tensor ids unique during the run
    folds: list[BatchNormFold] = []

    def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        alive.append(output)
        if isinstance(module, nn.modules.conv._ConvNd):
            conv_outputs[id(output)] = module
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):
            conv = conv_outputs.get(id(args[0]))
            if conv is not None:
                has_bias = conv.bias is not None
                bn, channels, elements = names[id(module)], module.num_features, output.numel()
                folds.append(BatchNormFold(names[id(conv)], bn, channels, has_bias, elements))

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(shape))
    finally:
        for handle in handles:
            handle.remove()
    return folds
