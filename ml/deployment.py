"""Which artifact is deployed: `<ML_MODEL_DIR>/CURRENT` holds its version (a folder name there).

The pointer is replaced atomically (write a temporary file, then `os.replace`), so a worker reads
either the old version or the new one, never half a name. No Django imports.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

POINTER = "CURRENT"
# Versions are folder names written by ml.artifacts.save_artifact (e.g. 20261124T061500Z-1a2b3c4d).
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def deployed_version(model_dir: str | Path) -> str | None:
    """The version the pointer names, if its folder exists; None when nothing is deployed."""
    try:
        version = (Path(model_dir) / POINTER).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not _VERSION.match(version) or not (Path(model_dir) / version).is_dir():
        return None
    return version


def deploy(model_dir: str | Path, version: str) -> None:
    """Point CURRENT at `<model_dir>/<version>` (which must exist), atomically."""
    root = Path(model_dir)
    if not _VERSION.match(version) or not (root / version).is_dir():
        raise FileNotFoundError(f"no artifact folder {root / version}")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{POINTER}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / POINTER)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
