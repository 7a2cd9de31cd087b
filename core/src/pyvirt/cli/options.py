"""pyvirsh's global options (those before the command), parsed as virsh's getopt does.

They end at the first word that is not an option; short options cluster (``-rq``) and take
their value attached or as the next word (``-cURI``, ``-c URI``); unknown ones are reported in
virsh's words.  Also here: which URI applies when ``-c`` is absent, and the ``-d`` levels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from pyvirt.cli.errors import CommandError
from pyvirt.records import NamedTuple

LOG_ENV = "PYVIRT_LOG_LEVEL"
_DEBUG_LEVELS = ("debug", "info", "info", "warning", "error")  # virsh's 0-4; 2 is "notice"

USAGE = """\
pyvirsh [options]... [<command_string>]
pyvirsh [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -d | --debug=LEVEL      log level: 0-4 as virsh, or debug|info|warning|error
    -h | --help             this help
    -k | --keepalive-interval=NUM
                            keepalive interval in seconds, 0 for disable
    -K | --keepalive-count=NUM
                            number of possible missed keepalive messages
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
    keepalive_interval: int | None = None
    keepalive_count: int | None = None


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
_VALUED = {
    "-c": "connect",
    "--connect": "connect",
    "-d": "debug",
    "--debug": "debug",
    "-k": "keepalive_interval",
    "--keepalive-interval": "keepalive_interval",
    "-K": "keepalive_count",
    "--keepalive-count": "keepalive_count",
}
_LONG_NAMES = {
    "connect": "'-c'/'--connect'",
    "debug": "'-d'/'--debug'",
    "keepalive_interval": "'-k'/'--keepalive-interval'",
    "keepalive_count": "'-K'/'--keepalive-count'",
}
_NUMBERS = frozenset({"keepalive_interval", "keepalive_count"})
_INT_MAX = 2**31 - 1
_DIGITS = {8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


def parse_globals(argv: Sequence[str]) -> tuple[Globals, list[str]]:
    """Options before the command (getopt style: they end at the first other word)."""
    found: dict[str, str | bool | int] = {}
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
                found[_VALUED[name]] = _valued(_VALUED[name], name, value)
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
                found[_VALUED[short]] = _valued(_VALUED[short], short, value)
                break
            if short not in _FLAGS:
                raise CommandError(f"unsupported option '{short}'. See --help.")
            found[_FLAGS[short]] = True
    return Globals(**found), list(argv[i:])  # type: ignore[arg-type]


def _valued(key: str, typed: str, value: str) -> str | int:
    """An option's value; the keepalive numbers are read as virsh reads them (C's ``strtol``
    with base 0: decimal, ``0x`` hex or ``0`` octal, in an int) and must not be negative."""
    if key not in _NUMBERS:
        return value
    number = _c_int(value)
    if number is None:
        raise CommandError(f"Invalid value for option {typed}")
    if number < 0:
        raise CommandError(f"option {typed} requires a positive integer argument")
    return number


def _c_int(text: str) -> int | None:
    """``text`` as a whole C int (base 0), or None."""
    body = text.lstrip(" \t\n\v\f\r")
    sign = -1 if body.startswith("-") else 1
    body = body[1:] if body[:1] in "+-" and body else body
    base = 16 if body[:2].lower() == "0x" else 8 if body.startswith("0") and len(body) > 1 else 10
    digits = body[2:] if base == 16 else body
    if not digits or not all(c in _DIGITS[base] for c in digits):
        return None
    number = sign * int(digits, base)
    return number if -_INT_MAX - 1 <= number <= _INT_MAX else None


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
