"""pyvirsh's entry point: global options, then one command string or the interactive shell.

Start-up time matters (virsh answers in ~20 ms), so this module imports only the standard
library pieces it needs; :mod:`pyvirt` itself is imported when the first command opens the
connection, and a command's extra needs (json, XML parsing...) when it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError
from pyvirt.cli.options import LOG_ENV, USAGE, USAGE_END, log_level, parse_globals, resolve_uri
from pyvirt.cli.output import Output
from pyvirt.cli.parser import Args, Command, parse_args, split_commands

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import NoReturn


def main(argv: Sequence[str] | None = None) -> int:
    """Run pyvirsh with ``argv`` (default: the process's arguments); returns the exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    output = Output(sys.stdout, sys.stderr)
    try:
        opts, rest = parse_globals(words)
    except CommandError as exc:
        output.report(exc)
        return 1
    output.quiet, output.json = opts.quiet, opts.json
    if opts.help:
        from pyvirt.cli import helptext
        from pyvirt.cli.commands import GROUPS, table

        output.out.write(USAGE + helptext.groups_help(GROUPS, table(), colon=False) + USAGE_END)
        return 0
    if opts.version:
        import pyvirt

        output.print(pyvirt.__version__)
        return 0
    level_text = opts.debug if opts.debug is not None else os.environ.get(LOG_ENV)
    debug = False
    if level_text:
        level = log_level(level_text)
        if level is None:
            output.error(f"ignoring debug level {level_text} out of range [0-4]")
        else:
            from pyvirt import log

            log.configure(level, json=opts.json)
            debug = level == "debug"
    uri, source = resolve_uri(opts.connect)
    ctl = Ctl(
        output,
        uri,
        uri_source=source,
        readonly=opts.readonly,
        keepalive=(opts.keepalive_interval, opts.keepalive_count),
    )
    try:
        return _dispatch(ctl, rest, debug)
    except BrokenPipeError:
        # The reader went away (``pyvirsh list | head -1``): stop quietly, as virsh dies of SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except KeyboardInterrupt:
        return 128 + 2
    finally:
        ctl.close()


def console() -> NoReturn:
    """The ``pyvirsh`` program (and ``python -m pyvirt.cli``): :func:`main`, then end the process
    without tearing the interpreter down.

    Why: at exit CPython frees every module and object one by one, which costs a one-shot
    command several milliseconds (about a third of a whole ``virsh list``), and a remote one
    more.  Once :func:`main` has closed its connection there is nothing left to release, so the
    exit handlers run, the output is flushed, and the process ends, as a C program's does.
    """
    status = main()
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        status = 128 + 13  # as in main: the reader went away
    except OSError:
        status = status or 1
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(status)


def _dispatch(ctl: Ctl, rest: list[str], debug: bool) -> int:
    """The shell without a command, else the command string or the one command in ``rest``."""
    if not rest:
        from pyvirt.cli import shell

        return shell.run(ctl, debug=debug)
    if rest == [""]:
        return 1  # virsh's answer to an empty command string: nothing printed, status 1
    try:
        commands = split_commands(rest[0]) if len(rest) == 1 else [rest]
    except CommandError as exc:
        ctl.output.report(exc)
        return 1
    return run(ctl, commands, debug=debug)


def run(ctl: Ctl, commands: list[list[str]], *, debug: bool = False) -> int:
    """Parse every command first (one bad command runs none), then run them in order.

    As virsh: the exit status is the last command's; each command is followed by a blank line
    unless ``--quiet``; a failed command prints its ``error:`` lines and the next one runs.
    """
    from pyvirt.cli.commands import NO_CONNECT, lookup

    parsed: list[tuple[Command, Args]] = []
    try:
        for words in commands:
            command = lookup(words[0])
            if command is None:
                raise CommandError(f"unknown command: '{words[0]}'", parse=True)
            if "--help" in words[1:]:
                help_command = lookup("help")
                assert help_command is not None
                parsed.append((help_command, Args({"command": command.name})))
            else:
                parsed.append((command, parse_args(command, words[1:])))
        if any(command.name not in NO_CONNECT for command, _ in parsed):
            ctl.conn  # noqa: B018 -- virsh connects before running anything
    except CommandError as exc:
        ctl.output.report(exc)
        return 1
    status = 0
    for command, args in parsed:
        status = run_one(ctl, command, args, debug=debug)
        if ctl.quit:
            break
    return status


def run_one(ctl: Ctl, command: Command, args: Args, *, debug: bool = False) -> int:
    """Run one parsed command; never raises for an error it can report."""
    from pyvirt.errors import PyvirtError

    status = 0
    try:
        command.handler(ctl, args)
    except CommandError as exc:
        ctl.output.report(exc)
        status = 1
    except PyvirtError as exc:
        ctl.output.report(CommandError(cause=exc))
        status = 1
    except BrokenPipeError:
        raise
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc(file=ctl.output.err)
        ctl.output.report(CommandError(f"{type(exc).__name__}: {exc}"))
        status = 1
    ctl.output.out.flush()
    if not (ctl.output.quiet or ctl.output.json):
        ctl.output.out.write("\n")
    return status
