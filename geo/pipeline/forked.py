"""A call made in a forked child process while the run goes on: :class:`ForkedCall`.

A run's big writers hold Python's global lock (pyogrio, Arrow's text kernels
called from Python), so on two cores two of them only overlap in two
processes. ``fork`` lets the child inherit the tables as they are: nothing
is pickled on the way in, and only the call's result (seconds, or the two
density grids: 30 MB) or its error comes back. Used by :meth:`geo.pipeline.Run.write`
for the risk layers of a large run and by :func:`geo.pipeline.run` for the density
surfaces; the brief's own child is :mod:`geo.pipeline.brief_process`.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from geo._errors import GeoError

T = TypeVar("T")


class ForkedChild:
    """A forked child process that ends by sending back ``("ok", value)`` or
    ``("error", exception)`` on a pipe; ``target(connection, *args)`` runs in it.

    Use :meth:`result` for the value (or the error, raised again here) and
    :meth:`stop` (always, e.g. in ``finally``) to end the child if the run fails first.
    ``duplex`` lets the parent send the child messages on the same pipe.
    """

    def __init__(self, target: Callable[..., None], args: tuple, name: str, *, duplex: bool = False) -> None:
        context = multiprocessing.get_context("fork")
        self._name = name
        self._connection, child_end = context.Pipe(duplex=duplex)
        self._process = context.Process(target=_in_child, args=(target, child_end, self._connection, *args),
                                        name=f"geo-{name}", daemon=True)
        self._process.start()
        child_end.close()  # the parent's copy: the child's end closing then reads as EOF here

    def result(self):
        """Wait for the child; its value.

        Raises
        ------
        GeoError
            Or the exception raised in the child.
        """
        try:
            status, value = self._connection.recv()
        except EOFError:
            self._process.join()
            code = self._process.exitcode
            msg = f"the process writing the {self._name} ended without a result (exit code {code})"
            raise GeoError(msg) from None
        self._process.join()
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the child if it still runs."""
        self._connection.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


class ForkedCall(ForkedChild, Generic[T]):
    """``call()`` in a forked child, started at once; :meth:`result` is its value."""

    def __init__(self, call: Callable[[], T], name: str) -> None:
        super().__init__(_child, (call,), name)

    def result(self) -> T:
        """Wait for the call; its value (or its error, raised again here)."""
        return super().result()


def _in_child(target: Callable[..., None], connection: Connection, parent_end: Connection, *args: object) -> None:
    """``target(connection, *args)`` in the child, once it has closed its copy of
    the parent's end of the pipe (``fork`` copies both ends): then a run that is
    killed reads as EOF here and the child ends, instead of waiting for ever.
    Ctrl-C reaches the whole process group: the child ignores it, and the run,
    which stops its children on the way out, reports it once (click's "Aborted!")."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent_end.close()
    target(connection, *args)


def _child(connection: Connection, call: Callable[[], object]) -> None:
    try:
        try:
            outcome = ("ok", call())
        except BaseException as exc:  # noqa: BLE001  (every error reaches the run, which raises it)
            outcome = ("error", picklable(exc))
        connection.send(outcome)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the run has ended (killed): nobody waits for the result
    finally:
        connection.close()


def picklable(exc: BaseException) -> BaseException:
    """``exc`` if it survives the pipe, else a GeoError (for a GeoError) or
    RuntimeError (anything else, with the child's traceback) with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001  (any exception that does not pickle)
        if isinstance(exc, GeoError):
            return GeoError(str(exc))
        return RuntimeError("".join(traceback.format_exception(exc)).rstrip())
    return exc
