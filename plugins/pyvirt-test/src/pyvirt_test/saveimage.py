"""Save and restore: the test driver's save image format and its atomic, libvirt-worded I/O.

An image is the bytes :data:`SAVE_MAGIC` followed by the domain's live XML.  Saving writes a
temporary file, fsyncs and renames it over the target (a crash leaves the old file or the new
one); errors read as libvirt's test driver words them.
"""

from __future__ import annotations

import os

from pyvirt.errors import ErrorCode, ErrorDomain, InternalError, OperationFailedError
from pyvirt.types import DomainEvent, DomainEventType, DomainRef
from pyvirt_test.documents import parse_domain
from pyvirt_test.domains import add_live_domain, check_active, domain_by_uuid, start_domain
from pyvirt_test.state import NodeState

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # values pyvirt.types loads on first use: imported where a call needs them
    pass

SAVE_MAGIC = b"PyvirtTestSave\x00\x01\n"
"""First bytes of a save image: a name, a NUL so it is not mistaken for text, a format version."""


class SaveCalls:
    """Save and restore, the part of :class:`~pyvirt_test.driver.TestConnection` that touches files."""

    _state: NodeState

    def domain_save(self, uuid: str, path: str) -> None:
        """Write the live definition to ``path`` atomically, then stop the domain (reason SAVED)."""
        from pyvirt.types import ShutoffReason, StoppedDetail

        state = self._state
        with state.lock:
            obj = domain_by_uuid(self._state, uuid)
            check_active(obj)
            assert obj.live is not None
            write_atomically(path, SAVE_MAGIC + obj.live.to_xml(domain_id=obj.id).encode(), obj.name)
            state.mark_stopped(obj, ShutoffReason.SAVED)
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.STOPPED, StoppedDetail.SAVED)])

    def domain_restore(self, path: str) -> DomainRef:
        """Start the domain saved in ``path`` (reason RESTORED); refuse files we did not write."""
        from pyvirt.types import RunningReason, StartedDetail

        data = read_image(path)
        if not data.startswith(SAVE_MAGIC):
            raise InternalError("internal error: mismatched header magic", domain=ErrorDomain.TEST)
        try:
            text = data[len(SAVE_MAGIC) :].decode()
        except UnicodeDecodeError:
            raise InternalError(
                f"internal error: save image '{path}' is damaged: its XML is not UTF-8", domain=ErrorDomain.TEST
            ) from None
        dfn = parse_domain(text, False)
        state = self._state
        with state.lock:
            obj = add_live_domain(state, dfn)
            events = start_domain(state, obj, RunningReason.RESTORED, StartedDetail.RESTORED)
            ref = obj.ref
        state.emit(events)
        return ref


def read_image(path: str) -> bytes:
    """The whole save image; errors worded as libvirt's test driver words them."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise _system_error(f"cannot read domain image '{path}'", exc) from exc
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError as exc:  # a folder opens, and fails at the first read
        raise _system_error(f"incomplete save header in '{path}'", exc) from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) < len(SAVE_MAGIC):
        # libvirt prints the errno of its short read: none ("Success") when the file just ends.
        raise OperationFailedError(
            f"incomplete save header in '{path}': Success", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.TEST
        )
    return data


def _system_error(message: str, exc: OSError) -> OperationFailedError:
    return OperationFailedError(
        f"{message}: {exc.strerror or exc}", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.TEST
    )


def write_atomically(path: str, data: bytes, name: str) -> None:
    """Write ``data`` to ``path`` so a crash leaves the old file or the new one, never half.

    Errors read as libvirt's ("saving domain 'NAME' to 'PATH': open failed: ..."): failing to
    create the temporary file or to rename it over ``path`` is what libvirt's open would hit.
    """
    import tempfile  # only saving needs it; opening a node must not pay for it

    where = f"saving domain '{name}' to '{path}'"
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as exc:
        raise _system_error(f"{where}: open failed", exc) from exc
    step = "write failed"
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        step = "open failed"
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise _system_error(f"{where}: {step}", exc) from exc
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
