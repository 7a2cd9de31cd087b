"""Where command output goes, and the two ways it can look: virsh's text or JSON.

virsh distinguishes plain output from "extra" output (success messages, headers, the blank
line after each command) that ``--quiet`` suppresses; commands say which is which here.  With
``--json``, commands that report data print one JSON document per line instead and extra
output is suppressed, so ``pyvirsh --json 'dominfo a; dominfo b'`` is valid JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TextIO

from pyvirt.cli import table


class Output:
    """The streams and modes of one pyvirsh run."""

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False, json: bool = False) -> None:
        self.out = out
        self.err = err
        self.quiet = quiet
        self.json = json

    def print(self, text: str = "") -> None:
        """Plain output: always shown (in JSON mode too, for XML documents and the like)."""
        self.out.write(text + "\n")

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
        self.data(document, table.render(header, rows, quiet=self.quiet))

    def fields(self, document: object, pairs: Iterable[tuple[str, str]], width: int = 15) -> None:
        """virsh's ``Name:           value`` blocks (label padded to ``width``)."""
        self.data(document, "".join(f"{label + ':':<{width}} {value}\n" for label, value in pairs))

    def error(self, line: str) -> None:
        self.err.write(f"error: {line}\n")


def dumps(document: object) -> str:
    import json  # only JSON mode pays for it

    return json.dumps(document, separators=(",", ":"))
