"""Output folders replaced whole, never left half-written.

A run is written into a staging folder beside ``--out`` and swapped into place
at the end (one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux), so that after
any interruption ``--out`` holds either the previous complete run or the new
complete one. The last file written is ``run.json`` with ``complete: true``
and the list of the run's ``outputs``.

Files of the previous run folder that the run did not write (a README, a QGIS
project saved beside the layers) are carried over into the new folder as hard
links, so replacing a run never deletes an analyst's own files. A folder that
holds files but no ``run.json`` is not replaced at all: that is an error.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from geo._errors import DISK_ERRNOS, OutputFolderError
from geo.filenames import RUN_JSON

_STAGING = ".{name}.geo-staging-{pid}-{token}"
_STAGING_PATTERN = re.compile(r"^\.(?P<name>.+)\.geo-staging-(?P<pid>\d+)-[0-9a-f]+(-previous)?$")
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def make_folder(out_dir: Path) -> Path:
    """Create ``out_dir`` (and its parents) for files written in place.

    Raises
    ------
    OutputFolderError
        It cannot be created: a file is in the way, or the place is not writable.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = next((p for p in (out_dir, *out_dir.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{blocking} is a file, not a folder" if blocking else exc.strerror or exc
        raise OutputFolderError(f"cannot write the output folder {out_dir}: {reason}") from exc
    return out_dir


@contextlib.contextmanager
def disk_errors(target: Path | str, then: str = "") -> Iterator[None]:
    """Turn a full or failing disk (:data:`geo._errors.DISK_ERRNOS`) met while
    writing ``target`` (a file or a folder) into one :class:`OutputFolderError`
    that names it (and ends with ``then``); any other error passes as it is."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in DISK_ERRNOS:
            raise
        raise OutputFolderError(f"cannot write {target}: {exc.strerror or exc}{then}") from exc


@contextlib.contextmanager
def staged_folder(out_dir: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success, make it ``out_dir``.

    Parameters
    ----------
    out_dir
        The folder to (re)place. Its parent is created if missing. It must be
        missing, empty, or an earlier run's folder (it has a ``run.json``).

    Raises
    ------
    OutputFolderError
        ``out_dir`` is a file, holds files of something other than a run, or
        it (or its parent) cannot be created or written, or the disk fails
        while the staging folder is written (full, read-only: :data:`DISK_ERRNOS`).
    """
    out_dir = Path(out_dir)
    if out_dir.is_symlink():  # replace the folder the link points to, keep the link
        out_dir = out_dir.resolve()
    _check_replaceable(out_dir)
    parent = out_dir.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(parent, out_dir.name)
        staging = parent / _STAGING.format(name=out_dir.name, pid=os.getpid(), token=secrets.token_hex(4))
        staging.mkdir()
    except OSError as exc:
        blocking = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{blocking} is a file, not a folder" if blocking else exc.strerror or exc
        msg = f"cannot write the output folder {out_dir}: {reason}"
        raise OutputFolderError(msg) from exc
    try:
        with disk_errors(f"the output folder {out_dir}", then="; it is left as it was"):
            yield staging
            _carry_own_files(out_dir, staging)
            _replace(out_dir, staging)
    finally:
        # After the swap, staging holds the previous run; on failure, the half-written new one.
        shutil.rmtree(staging, ignore_errors=True)


def seal(folder: Path, extra: Mapping[str, object] | None = None) -> Path:
    """Write ``run.json`` last: add ``complete: true``, the sorted list of the
    folder's ``outputs`` and ``extra`` to the record already there."""
    path = Path(folder) / RUN_JSON
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    record.update(extra or {})
    record["outputs"] = sorted(p.name for p in Path(folder).iterdir() if not p.name.startswith("."))
    if RUN_JSON not in record["outputs"]:
        record["outputs"] = sorted([*record["outputs"], RUN_JSON])
    record["complete"] = True
    tmp = path.with_name(f".{RUN_JSON}.sealing")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _check_replaceable(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"--out {out_dir} is a file, not a folder"
        raise OutputFolderError(msg)
    if not out_dir.is_dir():
        return
    try:
        entries = [p.name for p in out_dir.iterdir()]
    except OSError as exc:
        msg = f"cannot read the output folder {out_dir}: {exc.strerror or exc}"
        raise OutputFolderError(msg) from exc
    if entries and RUN_JSON not in entries:
        shown = ", ".join(sorted(entries)[:3]) + (", …" if len(entries) > 3 else "")
        msg = (f"--out {out_dir} holds files that are not a geo run's ({shown}); "
               "choose a new or empty folder, or the folder of an earlier run")
        raise OutputFolderError(msg)


def _previous_outputs(out_dir: Path) -> set[str]:
    try:
        record = json.loads((out_dir / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    outputs = record.get("outputs") if isinstance(record, dict) else None
    return {str(name) for name in outputs} if isinstance(outputs, list) else set()


def _carry_own_files(out_dir: Path, staging: Path) -> None:
    """Hard-link the previous folder's non-run files (and folders) into ``staging``."""
    if not out_dir.is_dir():
        return
    skip = {p.name for p in staging.iterdir()} | _previous_outputs(out_dir)
    for entry in out_dir.iterdir():
        if entry.name in skip:
            continue
        target = staging / entry.name
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, target, symlinks=True, copy_function=os.link)
            elif entry.is_symlink():
                target.symlink_to(os.readlink(entry))
            else:
                os.link(entry, target)
        except OSError as exc:
            msg = f"cannot keep {entry} in the new run folder: {exc.strerror or exc}"
            raise OutputFolderError(msg) from exc


def _replace(out_dir: Path, staging: Path) -> None:
    """Put ``staging`` at ``out_dir``; the previous folder (if any) ends at ``staging``."""
    try:
        if not out_dir.exists():
            os.rename(staging, out_dir)
            return
        if _exchange(staging, out_dir):
            return
        # No atomic exchange on this file system: two renames, a moment apart.
        previous = staging.with_name(staging.name + "-previous")
        os.rename(out_dir, previous)
        os.rename(staging, out_dir)
        os.rename(previous, staging)
    except OSError as exc:
        msg = f"cannot replace the output folder {out_dir}: {exc.strerror or exc}"
        raise OutputFolderError(msg) from exc


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove_stale_staging(parent: Path, name: str) -> None:
    """Remove staging folders of ``name`` left by runs that were killed."""
    for entry in parent.iterdir():
        match = _STAGING_PATTERN.match(entry.name)
        if match is None or match["name"] != name or _alive(int(match["pid"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
