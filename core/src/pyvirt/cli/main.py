"""pyvirsh's entry point: global options, then one command string or the interactive shell.

Start-up time matters (virsh answers in ~20 ms), so this module imports only the standard
library pieces it needs; :mod:`pyvirt` itself is imported when the first command opens the
connection, and a command's extra needs (json, XML parsing...) when it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError
from pyvirt.cli.output import Output
from pyvirt.cli.parser import Args, parse_args, split_commands

LOG_ENV = "PYVIRT_LOG_LEVEL"
_DEBUG_LEVELS = ("debug", "info", "info", "warning", "error")  # virsh's 0-4; 2 is "notice"

USAGE = """\
pyvirsh [options]... [<command_string>]
pyvirsh [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -d | --debug=LEVEL      log level: 0-4 as virsh, or debug|info|warning|error
    -h | --help             this help
    -q | --quiet            quiet mode
    -r | --readonly         connect readonly
    -v | --version          short version
         --json             machine-readable output (JSON) for listings, info and errors

  commands (non interactive mode):

"""


USAGE_END = """
  (specify help <group> for details about the commands in the group)

  (specify help <command> for details about the command)

"""


class Globals(NamedTuple):
    connect: str | None = None
    readonly: bool = False
    quiet: bool = False
    debug: str | None = None
    help: bool = False
    version: bool = False
    json: bool = False


_FLAGS = {
    "-r": "readonly",
    "--readonly": "readonly",
    "-q": "quiet",
    "--quiet": "quiet",
    "-h": "help",
    "--help": "help",
    "-v": "version",
    "--version": "version",
    "--json": "json",
}
_VALUED = {"-c": "connect", "--connect": "connect", "-d": "debug", "--debug": "debug"}
_LONG_NAMES = {"connect": "'-c'/'--connect'", "debug": "'-d'/'--debug'"}


def parse_globals(argv: Sequence[str]) -> tuple[Globals, list[str]]:
    """Options before the command (getopt style: they end at the first other word)."""
    found: dict[str, str | bool] = {}
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        i += 1
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            if name in _VALUED:
                if not eq:
                    if i >= len(argv):
                        raise CommandError(f"option {_LONG_NAMES[_VALUED[name]]} requires an argument")
                    value = argv[i]
                    i += 1
                found[_VALUED[name]] = value
            elif name in _FLAGS and not eq:
                found[_FLAGS[name]] = True
            else:
                raise CommandError(f"unsupported option '{word}'. See --help.")
            continue
        for pos in range(1, len(word)):  # clustered short options: -rq, -cURI
            short = "-" + word[pos]
            if short in _VALUED:
                value = word[pos + 1 :]
                if not value:
                    if i >= len(argv):
                        raise CommandError(f"option {_LONG_NAMES[_VALUED[short]]} requires an argument")
                    value = argv[i]
                    i += 1
                found[_VALUED[short]] = value
                break
            if short not in _FLAGS:
                raise CommandError(f"unsupported option '{short}'. See --help.")
            found[_FLAGS[short]] = True
    return Globals(**found), list(argv[i:])  # type: ignore[arg-type]


def log_level(text: str) -> str | None:
    """A log level name for ``-d``/``PYVIRT_LOG_LEVEL`` (a virsh number or a name), or None."""
    if text.isdigit():
        number = int(text)
        return _DEBUG_LEVELS[number] if number < len(_DEBUG_LEVELS) else None
    return text.lower() if text.lower() in ("debug", "info", "warning", "error") else None


def resolve_uri(option: str | None) -> tuple[str, str]:
    """The URI to open and where it came from: the option, the environment, or the fallback.

    The order is :func:`pyvirt.uri.default_uri`'s; pyvirsh also remembers which one applied so
    ``uri`` can say when the test node was used only because nothing was configured.
    """
    from pyvirt.uri import DEFAULT_URI_ENV, FALLBACK_URI

    if option:
        return option, "option"
    from_env = os.environ.get(DEFAULT_URI_ENV)
    if from_env:
        return from_env, "environment"
    return FALLBACK_URI, "fallback"


def main(argv: Sequence[str] | None = None) -> int:
    """Run pyvirsh with ``argv`` (default: the process's arguments); returns the exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    output = Output(sys.stdout, sys.stderr)
    try:
        opts, rest = parse_globals(words)
    except CommandError as exc:
        report(output, exc)
        return 1
    output.quiet, output.json = opts.quiet, opts.json
    if opts.help:
        from pyvirt.cli import helptext
        from pyvirt.cli.commands import GROUPS, table

        groups = "".join(helptext.group_help(g, table()).replace(":\n", "\n", 1) + "\n" for g in GROUPS)
        output.out.write(USAGE + groups + USAGE_END)
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
    ctl = Ctl(output, uri, uri_source=source, readonly=opts.readonly)
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
        report(ctl.output, exc)
        return 1
    return run(ctl, commands, debug=debug)


def run(ctl: Ctl, commands: list[list[str]], *, debug: bool = False) -> int:
    """Parse every command first (one bad command runs none), then run them in order.

    As virsh: the exit status is the last command's; each command is followed by a blank line
    unless ``--quiet``; a failed command prints its ``error:`` lines and the next one runs.
    """
    from pyvirt.cli.commands import NO_CONNECT, table

    known = table()
    parsed: list[tuple[str, Args | None]] = []
    try:
        for words in commands:
            name = words[0]
            if name not in known:
                raise CommandError(f"unknown command: '{name}'", parse=True)
            if "--help" in words[1:]:
                parsed.append(("help", Args({"command": name})))
            else:
                parsed.append((name, parse_args(known[name], words[1:])))
        if any(name not in NO_CONNECT for name, _ in parsed):
            ctl.conn  # noqa: B018 -- virsh connects before running anything
    except CommandError as exc:
        report(ctl.output, exc)
        return 1
    status = 0
    for name, args in parsed:
        status = run_one(ctl, name, args, debug=debug)
        if ctl.quit:
            break
    return status


def run_one(ctl: Ctl, name: str, args: Args | None, *, debug: bool = False) -> int:
    """Run one parsed command; never raises for an error it can report."""
    from pyvirt.cli.commands import table
    from pyvirt.errors import PyvirtError

    status = 0
    try:
        table()[name].handler(ctl, args)
    except CommandError as exc:
        report(ctl.output, exc)
        status = 1
    except PyvirtError as exc:
        report(ctl.output, CommandError(cause=exc))
        status = 1
    except BrokenPipeError:
        raise
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc(file=ctl.output.err)
        report(ctl.output, CommandError(f"{type(exc).__name__}: {exc}"))
        status = 1
    ctl.output.out.flush()
    if not (ctl.output.quiet or ctl.output.json):
        ctl.output.out.write("\n")
    return status


def report(output: Output, exc: CommandError) -> None:
    """Print a failure: virsh's ``error:`` lines, or one JSON object with ``--json``."""
    from pyvirt.errors import PyvirtError

    cause = exc.cause if isinstance(exc.cause, PyvirtError) else None
    if output.json:
        from pyvirt.cli.output import dumps

        doc: dict[str, object]
        if cause is not None:
            doc = cause.to_dict()
        else:
            code, code_name = (8, "INVALID_ARG") if exc.parse else (9, "OPERATION_FAILED")
            doc = {
                "error": "UsageError" if exc.parse else "CommandError",
                "code": code,
                "code_name": code_name,
                "domain": 0,
                "domain_name": "NONE",
                "message": exc.lines[-1] if exc.lines else "",
            }
        if exc.lines:
            doc["context"] = list(exc.lines)
        output.err.write(dumps(doc) + "\n")
        return
    for line in exc.lines:
        output.error(line)
    if cause is not None and not exc.hide_cause:
        output.error(cause.message)
    output.err.flush()
