"""How commands fail: one exception carrying virsh's ``error:`` lines, and its helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class CommandError(Exception):
    """A command (or its parsing) failed; ``lines`` are printed as ``error: <line>``.

    ``parse`` marks a failure before the command ran: virsh then prints no trailing blank line
    and runs none of the commands of the same invocation.  ``cause`` is the pyvirt error behind
    it, reported as a second line (or as the JSON error object with ``--json``); ``hide_cause``
    keeps it out of the text report where virsh does not print the library's message.
    """

    def __init__(
        self, *lines: str, parse: bool = False, cause: BaseException | None = None, hide_cause: bool = False
    ) -> None:
        super().__init__(*lines)
        self.lines = lines
        self.parse = parse
        self.cause = cause
        self.hide_cause = hide_cause


@contextmanager
def failing(*lines: str) -> Iterator[None]:
    """Turn a pyvirt error raised inside the block into virsh's two-line report.

    ``with failing(f"Failed to start domain '{name}'"): dom.start()`` prints that line, then
    the library's message, as virsh does for a failed API call.
    """
    from pyvirt.errors import PyvirtError

    try:
        yield
    except PyvirtError as exc:
        raise CommandError(*lines, cause=exc) from exc


def read_file(path: str) -> str:
    """A file's text for ``define``/``create``..., failing with virsh's message."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise CommandError(f"Failed to open file '{path}': {exc.strerror}") from exc
