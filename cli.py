"""Run costcalc from a checkout: ``python cli.py ...`` is ``costcalc ...``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from costcalc.cli import run

if __name__ == "__main__":
    run()
