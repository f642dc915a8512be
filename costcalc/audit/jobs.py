"""The models an audit names: ONNX files, folders of them, zoo entries, callables, each a
job; and the options every model is analysed with."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from costcalc.errors import InputSpecError

ZOO_ALL = ("zoo:all", "zoo:*")
NO_ONNX = "no .onnx files in folder"


@dataclass(frozen=True)
class AuditJob:
    """One model to analyse: as the user named it, and what it resolves to."""

    model: str  # as given (a file found in a given folder: folder/relative path)
    source: str  # the ONNX file's absolute path, or the spec
    error: str | None = None  # known to fail before any analysis (an empty folder)

    @property
    def is_torch(self) -> bool:
        from costcalc.specs import is_torch_spec

        return self.error is None and is_torch_spec(self.source)


@dataclass(frozen=True)
class AuditOptions:
    """What every model is analysed with (the CLI's --input, --dim, --dtype)."""

    inputs: tuple[str, ...] = ()
    dims: tuple[str, ...] = ()
    dtype: str | None = None


def expand(specs: Iterable[str | Path]) -> list[AuditJob]:
    """The models named by ``specs``, in order: folders and ``zoo:all`` expanded."""
    from costcalc import zoo
    from costcalc.specs import is_torch_spec

    jobs: list[AuditJob] = []
    for given in map(str, specs):
        if given in ZOO_ALL:
            jobs += [AuditJob(f"zoo:{name}", f"zoo:{name}") for name in zoo.names()]
        elif is_torch_spec(given):
            jobs.append(AuditJob(given, given))
        elif Path(given).is_dir():
            found = _onnx_files(Path(given))
            if not found:
                jobs.append(AuditJob(given, str(Path(given).resolve()), error=NO_ONNX))
            jobs += [
                AuditJob(os.path.join(given, rel), str((Path(given) / rel).resolve()))
                for rel in found
            ]
        elif Path(given).exists():  # a file (an unreadable or invalid one fails in its row)
            jobs.append(AuditJob(given, str(Path(given).resolve())))
        else:  # a typo in a CI script must not pass as one failed row among many
            raise InputSpecError(f"{given}: no such file or folder, and not a model spec")
    return jobs


def _onnx_files(folder: Path) -> list[str]:
    """Paths (relative to ``folder``, POSIX, sorted) of the .onnx files below it."""
    found = [
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.suffix.lower() == ".onnx" and path.is_file()
    ]
    return sorted(found)
