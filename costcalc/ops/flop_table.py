"""FLOPs per element of every non-MAC operation: the one table all formulas use.

Convention: each elementary arithmetic operation counts 1 (add, subtract, multiply,
divide, compare/select, min, max), and so does each elementary function (exp, log,
sqrt, erf, tanh, pow). Composite activations count the operations of their textbook
definition; a runtime may fuse them, but the count stays stable across tools.
"""

from __future__ import annotations

# Per output element.
ELEMENTWISE: dict[str, int] = {
    # max(x, 0)
    "Relu": 1,
    # x if x >= 0 else alpha * x: compare, multiply
    "LeakyRelu": 2,
    "PRelu": 2,
    # min(max(x, lo), hi)
    "Clip": 2,
    # 1 / (1 + exp(-x)): exp, add, divide (negation folded into exp)
    "Sigmoid": 3,
    # max(0, min(1, alpha * x + beta)): multiply, add, min, max
    "HardSigmoid": 4,
    # x * hardsigmoid(x)
    "HardSwish": 5,
    "Tanh": 1,
    # 0.5 * x * (1 + erf(x / sqrt(2))): divide, erf, add, multiply, multiply
    # (the tanh approximation is counted the same)
    "Gelu": 5,
    "Erf": 1,
    # log(1 + exp(x)): exp, add, log
    "Softplus": 3,
    # x * tanh(softplus(x))
    "Mish": 5,
    # x if x > 0 else alpha * (exp(x) - 1): compare, exp, subtract, multiply
    "Elu": 4,
    # gamma * elu(x)
    "Selu": 5,
    # x * sigmoid(x) (SiLU)
    "Swish": 4,
    "Add": 1,
    "Sub": 1,
    "Mul": 1,
    "Div": 1,
    "Pow": 1,
    "Sqrt": 1,
    "Exp": 1,
    "Log": 1,
    "Neg": 1,
    "Abs": 1,
    "Reciprocal": 1,
    "Floor": 1,
    "Ceil": 1,
    "Round": 1,
    "Sign": 1,
    "Min": 1,
    "Max": 1,
    "Mean": 1,
    "Sum": 1,
    "Equal": 1,
    "Less": 1,
    "Greater": 1,
    "LessOrEqual": 1,
    "GreaterOrEqual": 1,
    "Not": 1,
    "And": 1,
    "Or": 1,
    "Xor": 1,
    # cond ? a : b
    "Where": 1,
    # x if x > alpha else 0: compare/select
    "ThresholdedRelu": 1,
    # counted in Elu's select form with the input scaled: x if x > 0 else
    # alpha * (exp(x / alpha) - 1): compare, divide, exp, subtract, multiply
    "Celu": 5,
    # x / (1 + |x|): abs, add, divide
    "Softsign": 3,
    # elementary functions and the remainder, 1 each
    "Sin": 1,
    "Cos": 1,
    "Mod": 1,
}

# Normalisation, per element of the input.
# Inference BatchNorm folds its statistics into one scale and one shift per channel.
BATCHNORM = 2
# Layer/Group/InstanceNorm compute statistics at run time: accumulate x (1), subtract
# the mean (1), square and accumulate (2), multiply by 1/std (1) = 5; affine adds 2.
NORM_STATS = 5
NORM_AFFINE = 2
# The two halves of NORM_AFFINE (NORM_AFFINE == NORM_SCALE + NORM_SHIFT), for ops whose
# scale or shift input is optional (LayerNormalization's bias, RMSNormalization).
NORM_SCALE = 1
NORM_SHIFT = 1
# Per normalised group: divide sum by count twice (mean, variance), add epsilon, rsqrt.
NORM_PER_GROUP = 4

# Softmax per element: subtract the max (1), compare for the max (1), exp (1),
# accumulate (1), divide (1). LogSoftmax: subtract max, compare, exp, accumulate,
# subtract log-sum (the log itself is per row and counted there).
SOFTMAX = 5
LOG_SOFTMAX = 5
SOFTMAX_PER_ROW = 1  # the log of LogSoftmax, or the reciprocal of Softmax
# RMSNormalization per element: square and accumulate (2), multiply by 1/rms (1) = 3;
# per normalised group: divide by count, add epsilon, rsqrt = 3.
RMS_NORM_STATS = 3
RMS_NORM_PER_GROUP = 3

# Pooling and reductions: one compare or add per element entering a window or a
# reduction; averaging adds one divide per output element.
AVERAGE_DIVIDE = 1
WINDOW_ELEMENT = 1  # the compare or add of each element entering a window or reduction
# LpPool / GlobalLpPool: per window element abs, pow p, accumulate (3); per output
# element the pow 1/p (1).
LP_POOL_PER_ELEMENT = 3
LP_POOL_PER_OUTPUT = 1

# Reductions as (FLOPs per input element, FLOPs per output element). A reduction over
# no axes with noop_with_empty_axes=1 is an identity and costs nothing.
REDUCE: dict[str, tuple[int, int]] = {
    "ReduceSum": (WINDOW_ELEMENT, 0),
    "ReduceMean": (WINDOW_ELEMENT, AVERAGE_DIVIDE),
    "ReduceMax": (WINDOW_ELEMENT, 0),
    "ReduceMin": (WINDOW_ELEMENT, 0),
    "ReduceProd": (WINDOW_ELEMENT, 0),
    # abs, accumulate
    "ReduceL1": (2, 0),
    # square, accumulate; sqrt per output
    "ReduceL2": (2, 1),
    # square, accumulate
    "ReduceSumSquare": (2, 0),
    # accumulate; log per output
    "ReduceLogSum": (1, 1),
    # exp, accumulate; log per output (a max-subtracting runtime does more)
    "ReduceLogSumExp": (2, 1),
    # one compare per element (index bookkeeping is not arithmetic)
    "ArgMax": (WINDOW_ELEMENT, 0),
    "ArgMin": (WINDOW_ELEMENT, 0),
    # one compare per element: a lower bound (a k-heap adds log2(k) compares)
    "TopK": (WINDOW_ELEMENT, 0),
}

# Resize per output element: nearest copies (0); linear blends 2 neighbours per
# resized axis (for r axes 2**r multiplies and 2**r - 1 adds); cubic 4 per axis.
RESIZE_NEAREST = 0
# Neighbours blended per resized axis; per output element taps**r multiplies and
# taps**r - 1 adds. Antialiased downsampling (wider kernels) is not counted.
RESIZE_LINEAR_TAPS = 2
RESIZE_CUBIC_TAPS = 4

# Quantization, per element. QuantizeLinear: y = saturate(round(x / scale) + zero_point):
# divide, round, add, and the saturation's min and max = 5. DequantizeLinear:
# y = (x - zero_point) * scale: subtract, multiply = 2. The integer ops' zero points are
# folded into the accumulation by every runtime (sum(x*w) minus precomputed corrections)
# and are not counted; QLinearConv/QLinearMatMul requantize each output element like a
# QuantizeLinear of the int32 accumulator (multiply by the combined scale instead of
# dividing): 5.
QUANTIZE = 5
DEQUANTIZE = 2
REQUANTIZE = 5
