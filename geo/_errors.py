"""Errors a user can act on.

Every error the package raises on purpose subclasses :class:`GeoError` and the
matching built-in, so callers can catch either. The CLI prints a ``GeoError`` as
one line and exits 1, as it does a full or failing disk (:data:`DISK_ERRNOS`);
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno

# Errors of the disk an output is written on (full, over quota, file too large, read-only, failing),
# as opposed to a bug: told in one line, whatever output was being written.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


class GeoError(Exception):
    """Base class of the errors a user can act on."""


class SourceError(GeoError, RuntimeError):
    """A pinned source package could not be fetched or failed its checksum."""


class BoundaryBuildError(GeoError, ValueError):
    """The boundary build found a tehsil it cannot assign, or a layer fails a check."""


class LayerNotFoundError(GeoError, KeyError):
    """A boundary layer name or file that does not exist was asked for."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoIncidentsError(GeoError, ValueError):
    """A period cannot be derived from the data: no dated incident (in it)."""


class OutputFolderError(GeoError, OSError):
    """The output folder cannot be created, written or replaced."""

    def __str__(self) -> str:  # OSError would add its own prefix
        return str(self.args[0]) if self.args else ""
