"""pyvirsh's global options (those before the command), parsed as virsh's getopt does.

They end at the first word that is not an option; short options cluster (``-rq``) and take
their value attached or as the next word (``-cURI``, ``-c URI``); unknown ones are reported in
virsh's words.  Also here: which URI applies when ``-c`` is absent, and the ``-d`` levels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from pyvirt.cli.errors import CommandError

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
