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
    """Write ``text`` (UTF-8, newlines as given) to ``path``; the rules of ``write_bytes``."""
    write_bytes(path, text.encode("utf-8"), force=force, protected=protected)


def write_bytes(
    path: str | Path, data: bytes, *, force: bool = False, protected: Iterable[str | Path] = ()
) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

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
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; a new file's usual mode
            handle.write(data)
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
