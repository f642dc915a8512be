"""python -m costcalc"""

import os
import sys

# `python -m` puts the current folder first on sys.path: drop it, so that no file there
# (an onnx.py, a torch.py) can shadow a module costcalc imports. A package.module:callable
# spec makes the folder importable again, only while the user's model is imported and built.
if sys.path and sys.path[0] in ("", os.getcwd()):
    sys.path.pop(0)

from costcalc.cli import run

run()
