"""Op-cost formulas. Importing this package registers every family in ``REGISTRY``."""

from costcalc.ops import (  # noqa: F401  (imported for their registrations)
    activation,
    conv,
    elementwise,
    matmul,
    movement,
    norm,
    pool,
    quantized,
    reduce,
)
from costcalc.ops.registry import REGISTRY, OpKind, OpSpec, Registry, Work

__all__ = ["REGISTRY", "OpKind", "OpSpec", "Registry", "Work"]
