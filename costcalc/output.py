"""Writing files safely: atomically, never over an existing file unless forced,
never over the analysed model."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from costcalc.errors import OutputError


def write_text(
    path: str | Path, text: str, *, force: bool = False, protected: Iterable[str | Path] = ()
) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder.

    Without ``force`` an existing ``path`` is an error (and the check is race-free: the
    temporary file is hard-linked into place, which fails if the name exists). Paths in
    ``protected`` (the inputs) are refused even with ``force``.
    """
    target = Path(path)
    resolved = target.resolve()
    for other in protected:
        if Path(other).resolve() == resolved:
            raise OutputError(f"{target}: refusing to overwrite the input model")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise OutputError(f"{target}: is a directory")
    if target.exists() and not force:
        raise OutputError(f"{target}: already exists (use --force to overwrite)")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise OutputError(f"{target}: already exists (use --force to overwrite)") from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
