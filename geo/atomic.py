"""Writing a file atomically: :func:`atomic_path`.

Every writer of geo (the exporters, the maps, the brief, the boundary build)
writes into a temporary file beside its target and renames it into place, so
that a reader never sees a half-written file.

Notes
-----
This module imports only the standard library and :mod:`geo._errors`: any
stage may import it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from geo._errors import OutputFolderError


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Parameters
    ----------
    target
        The file to write.
    suffix
        The temporary file's suffix (default: that of ``target``), for writers
        that choose the format by it.

    Raises
    ------
    OutputFolderError
        ``target`` is a folder, or its folder cannot be created or written.
    """
    target = Path(target)
    if target.is_dir():
        msg = f"cannot write {target}: it is a folder"
        raise OutputFolderError(msg)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=suffix or target.suffix, dir=target.parent)
    except OSError as exc:
        msg = f"cannot write {target}: {exc.strerror or exc}"
        raise OutputFolderError(msg) from exc
    os.close(handle)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
