"""The interactive shell: ``pyvirsh`` with no command, as ``virsh`` with none.

One connection serves every line.  readline gives history (kept in
``$XDG_CACHE_HOME/pyvirsh/history``) and Tab completion of command names, option names and
object names (domains, networks, pools) fetched from the open connection.
"""

from __future__ import annotations

import os
import sys

from pyvirt.cli import main
from pyvirt.cli.commands import table
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError
from pyvirt.cli.parser import split_commands

PROMPT = "pyvirsh # "
BANNER = """Welcome to pyvirsh, the virtualization interactive terminal.

Type:  'help' for help with commands
       'quit' to quit
"""


def run(ctl: Ctl, *, debug: bool = False) -> int:
    """Read and run lines until ``quit``/EOF; returns the last command's status."""
    try:
        ctl.conn  # noqa: B018 -- connect up front, as virsh does
    except CommandError as exc:
        ctl.output.report(exc)
        return 1
    history = _setup_readline(ctl)
    if not ctl.output.quiet:
        ctl.output.print(BANNER)
    status = 0
    echo = not sys.stdin.isatty()  # as virsh's readline: piped input shows after the prompt
    try:
        while not ctl.quit:
            try:
                line = input(PROMPT)
                if echo:
                    ctl.output.print(line)
            except EOFError:
                ctl.output.print()
                break
            except KeyboardInterrupt:
                ctl.output.print()
                continue
            try:
                commands = split_commands(line)
            except CommandError as exc:
                ctl.output.report(exc)
                status = 1
                continue
            if commands:
                status = main.run(ctl, commands, debug=debug)
    finally:
        if history:
            _save_history(history)
    return status


def candidates(ctl: Ctl, line: str, text: str) -> list[str]:
    """What Tab offers for the word ``text`` at the end of ``line`` (the text before the cursor).

    The first word of a command completes to command names; later words to the command's
    options, or to object names when the option being filled names a kind of object.
    """
    commands = table()
    words = line.split()
    if line and not line.endswith((" ", "\t")):
        words = words[:-1]  # the word being completed
    if not words or words[-1].endswith(";"):
        return sorted(name for name in commands if name.startswith(text))
    command = commands.get(words[0])
    if command is None:
        return []
    if text.startswith("-"):
        return [f"--{opt.name}" for opt in command.options if f"--{opt.name}".startswith(text)]
    previous = words[-1] if len(words) > 1 else ""
    opt = command.option(previous[2:]) if previous.startswith("--") else None
    if opt is None or not opt.complete:
        taken = {w[2:] for w in words[1:] if w.startswith("--")}
        filled = sum(1 for w in words[1:] if not w.startswith("--"))
        free = [o for o in command.options if o.positional and o.name not in taken]
        opt = free[filled] if filled < len(free) else None
    if opt is None or not opt.complete:
        return []
    return [name for name in object_names(ctl, opt.complete) if name.startswith(text)]


def object_names(ctl: Ctl, kind: str) -> list[str]:
    """Names of the objects of ``kind`` on the connection (none when it cannot tell)."""
    from pyvirt.errors import PyvirtError

    try:
        conn = ctl.conn
        if kind == "domain":
            return sorted(d.name for d in conn.list_domains())
        if kind == "network":
            return sorted(n.name for n in conn.list_networks())
        if kind == "pool":
            return sorted(p.name for p in conn.list_storage_pools())
        if kind == "command":
            return sorted(table())
    except (PyvirtError, CommandError):
        pass
    return []


def _setup_readline(ctl: Ctl) -> str | None:
    """Enable history and completion; returns the history file, or None without readline."""
    try:
        import readline
    except ImportError:
        return None
    matches: list[str] = []

    def complete(text: str, state: int) -> str | None:
        nonlocal matches
        if state == 0:
            matches = candidates(ctl, readline.get_line_buffer()[: readline.get_endidx()], text)
        return matches[state] + " " if state < len(matches) else None

    readline.set_completer_delims(" \t;")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(cache, "pyvirsh", "history")
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(500)
    return path


def _save_history(path: str) -> None:
    import readline

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        readline.write_history_file(path)
    except OSError:
        pass  # history is a convenience: a read-only home must not break the shell
