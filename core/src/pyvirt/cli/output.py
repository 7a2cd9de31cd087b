"""Where command output goes, and the two ways it can look: virsh's text or JSON.

virsh distinguishes plain output from "extra" output (success messages, headers, the blank
line after each command) that ``--quiet`` suppresses; commands say which is which here.  With
``--json``, commands that report data print one JSON document per line instead and extra
output is suppressed, so ``pyvirsh --json 'dominfo a; dominfo b'`` is valid JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pyvirt.cli import table
from pyvirt.cli.errors import CommandError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import TextIO


class Output:
    """The streams and modes of one pyvirsh run."""

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False, json: bool = False) -> None:
        self.out = out
        self.err = err
        self.quiet = quiet
        self.json = json

    def print(self, text: str = "", end: str = "\n") -> None:
        """Plain output: always shown (in JSON mode too, for XML documents and the like)."""
        self.out.write(text + end)

    def extra(self, text: str = "") -> None:
        """Informational output that ``--quiet`` and ``--json`` suppress."""
        if not (self.quiet or self.json):
            self.out.write(text + "\n")

    def data(self, document: object, text: str) -> None:
        """A result: ``document`` as a JSON line in JSON mode, else ``text`` as is."""
        if self.json:
            self.out.write(dumps(document) + "\n")
        else:
            self.out.write(text)

    def table(self, document: object, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A listing: virsh's table (header, rule, rows), or ``document`` in JSON mode."""
        self.data(document, "" if self.json else table.render(header, rows, quiet=self.quiet))

    def fields(self, document: object, pairs: Iterable[tuple[str, str]], width: int = 15) -> None:
        """virsh's ``Name:           value`` blocks (label padded to ``width``); an empty label
        continues the previous field on a new line, as virsh's multi-line ``Messages``."""
        self.data(document, "".join(f"{label + ':' if label else '':<{width}} {value}\n" for label, value in pairs))

    def error(self, line: str) -> None:
        self.err.write(f"error: {line}\n")

    def report(self, exc: CommandError) -> None:
        """Print a failure: virsh's ``error:`` lines, or one JSON object with ``--json``.

        The JSON object is the pyvirt error's ``to_dict()`` plus ``context`` (virsh's lines); a
        failure without a pyvirt error is a ``UsageError`` (parsing) or a ``CommandError``.
        """
        from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError

        cause = exc.cause if isinstance(exc.cause, PyvirtError) else None
        if self.json:
            if cause is None:
                kind, code = (
                    ("UsageError", ErrorCode.INVALID_ARG) if exc.parse else ("CommandError", ErrorCode.OPERATION_FAILED)
                )
                cause = PyvirtError(exc.lines[-1] if exc.lines else "", code=code, domain=ErrorDomain.NONE)
                doc = {**cause.to_dict(), "error": kind}
            else:
                doc = cause.to_dict()
            if exc.lines:
                doc["context"] = list(exc.lines)
            self.err.write(dumps(doc) + "\n")
            return
        for line in exc.lines:
            self.error(line)
        if cause is not None and not exc.hide_cause:
            self.error(cause.message)
        self.err.flush()


def dumps(document: object) -> str:
    import json  # only JSON mode pays for it

    return json.dumps(document, separators=(",", ":"))
