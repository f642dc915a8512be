"""costcalc: cost analysis of neural networks (params, MACs, FLOPs, memory traffic)."""

from costcalc.api import analyze
from costcalc.report import Report

__version__ = "0.1.0"
__all__ = ["Report", "__version__", "analyze"]
