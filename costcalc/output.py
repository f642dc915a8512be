"""Writing files safely: atomically, never over an existing file unless forced,
never over the analysed model (nor over the external weight files an ONNX model names)."""

from __future__ import annotations

import contextlib
import os
import stat
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
    ``protected`` (the inputs) are refused even with ``force``. A failure at any point
    (a full disk, an interrupt) leaves no temporary file and ``path`` as it was; an
    OSError becomes an OutputError naming ``path``.
    """
    target = check_target(path, force=force, protected=protected)
    if is_stream(target):  # /dev/null, /dev/stdout, a named pipe: written to, never replaced
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from exc
        return
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; a new file's usual mode
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, target)
        else:
            _place_new(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # already moved into place, or gone
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from exc
        raise


def check_target(
    path: str | Path, *, force: bool = False, protected: Iterable[str | Path] = ()
) -> Path:
    """Raise OutputError now if writing ``path`` would be refused later: a command that
    works for minutes before writing calls this first (``write_bytes`` checks again)."""
    target = Path(path)
    _refuse_protected(target, protected, force)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise OutputError(f"{target}: is a directory")
    if target.exists() and not force and not is_stream(target):
        raise OutputError(f"{target}: already exists (use --force to overwrite)")
    return target


def is_stream(path: Path) -> bool:
    """A character device, named pipe or socket (``/dev/null``, ``/dev/stdout``): written
    to in place; replacing it with a file (as an atomic write would) is never right."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _place_new(tmp: str, target: Path) -> None:
    """Move ``tmp`` to ``target``, which must not exist (no race: never over a file
    another process created meanwhile)."""
    try:
        os.link(tmp, target)  # fails if the name exists
    except FileExistsError:
        raise OutputError(f"{target}: already exists (use --force to overwrite)") from None
    except OSError:  # no hard links here (some network and FAT file systems)
        try:
            placeholder = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            raise OutputError(f"{target}: already exists (use --force to overwrite)") from None
        os.close(placeholder)
        try:
            os.replace(tmp, target)
        except BaseException:
            os.unlink(target)  # the empty placeholder is ours
            raise
        return
    os.unlink(tmp)


def _refuse_protected(target: Path, protected: Iterable[str | Path], force: bool) -> None:
    """Refuse ``target`` when it is an input (by path, or the same file by another name),
    or, when it exists and would be replaced, an external data file of an input model."""
    resolved = target.resolve()
    exists = target.exists()
    for other in protected:
        source = Path(other)
        if source.resolve() == resolved or (exists and _same_file(source, target)):
            raise OutputError(f"{target}: refusing to overwrite the input model")
    if not (exists and force):
        return  # nothing is replaced: without --force an existing file is refused anyway
    for other in protected:
        source = Path(other)
        if source.suffix.lower() == ".onnx" and source.is_file():
            for data in _external_data_files(source):
                if data.resolve() == resolved or _same_file(data, target):
                    raise OutputError(
                        f"{target}: refusing to overwrite the weights of the input model {source}"
                    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _external_data_files(model: Path) -> list[Path]:
    """The external data files an ONNX model names (inside its folder; never opened)."""
    import onnx

    try:
        proto = onnx.load(str(model), load_external_data=False)
    except Exception:  # not a readable model: it names no weight files
        return []
    locations = {
        entry.value
        for tensor in proto.graph.initializer
        if tensor.data_location == onnx.TensorProto.EXTERNAL
        for entry in tensor.external_data
        if entry.key == "location"
    }
    return [model.parent / location for location in sorted(locations)]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
