"""virsh's command grammar: splitting a command string and matching options to a command.

virsh has its own grammar rather than getopt's: ``--opt value`` or ``--opt=value``, bare
words fill the positional options in order, ``--`` ends options, ``;`` separates commands.
Its error messages are part of the interface scripts rely on, so this module reproduces them
word for word instead of using argparse.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from pyvirt.cli.errors import CommandError
from pyvirt.records import NamedTuple


class Kind(enum.Enum):
    """An option's value type, as virsh's help shows it."""

    BOOL = ""
    DATA = "<string>"  # a positional string: reported as ``<name>`` when missing
    STRING = "<string>"
    INT = "<number>"
    ARGV = "<string>..."  # every remaining positional word (virsh's VSH_OT_ARGV)


class Opt(NamedTuple):
    """One option of a command.  ``complete`` names what the shell offers for its value."""

    name: str
    kind: Kind
    help: str
    required: bool = False
    positional: bool = False
    complete: str = ""


def data(name: str, help: str, *, required: bool = True, complete: str = "") -> Opt:
    """A positional string option (virsh's VSH_OT_DATA)."""
    return Opt(name, Kind.DATA, help, required=required, positional=True, complete=complete)


def argv(name: str, help: str, *, required: bool = True) -> Opt:
    """The words left after the other positionals, usually after ``--`` (a command to run);
    as in virsh, ``--name WORD`` may also be given, and repeated, to add one word."""
    return Opt(name, Kind.ARGV, help, required=required, positional=True)


def flag(name: str, help: str) -> Opt:
    return Opt(name, Kind.BOOL, help)


def string(name: str, help: str, *, complete: str = "") -> Opt:
    return Opt(name, Kind.STRING, help, complete=complete)


def number(name: str, help: str, *, required: bool = False, positional: bool = False) -> Opt:
    return Opt(name, Kind.INT, help, required=required, positional=positional)


Handler = Callable[..., None]


class Command(NamedTuple):
    """A command's definition: what ``help`` shows and how its words are parsed."""

    name: str
    group: str
    summary: str
    description: str
    options: tuple[Opt, ...]
    handler: Handler

    def option(self, name: str) -> Opt | None:
        for opt in self.options:
            if opt.name == name:
                return opt
        return None


class Args:
    """The parsed options of one command, with virsh's conversions and their error messages."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, str | bool]) -> None:
        self.values = values

    def flag(self, name: str) -> bool:
        return self.values.get(name) is True

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if isinstance(value, str) else None

    def words(self, name: str) -> list[str]:
        """An :func:`argv` option's words."""
        value = self.values.get(name)
        return value.split("\0") if isinstance(value, str) else []

    def req(self, name: str) -> str:
        """A required option's value (the parser has already checked it is present)."""
        value = self.values[name]
        assert isinstance(value, str)
        return value

    def integer(self, name: str, *, minimum: int = -(2**31), maximum: int = 2**31 - 1) -> int | None:
        text = self.get(name)
        if text is None:
            return None
        try:
            value = int(text, 0) if text.lower().startswith(("0x", "0o")) else int(text)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            raise CommandError(f"Numeric value '{text}' for <{name}> option is malformed or out of range")
        return value

    def scaled(self, name: str, default_unit: int) -> int | None:
        """A size like ``10M`` in bytes; a bare number counts in ``default_unit`` bytes."""
        from pyvirt.cli.units import parse_scaled

        text = self.get(name)
        if text is None:
            return None
        value = parse_scaled(text, default_unit)
        if value is None:
            raise CommandError(f"Scaled numeric value '{text}' for <{name}> option is malformed or out of range")
        return value

    def exclusive(self, *names: str) -> None:
        """Fail as virsh does when two mutually exclusive flags are both given."""
        given = [n for n in names if n in self.values]
        if len(given) > 1:
            raise CommandError(f"Options --{given[0]} and --{given[1]} are mutually exclusive")


def split_commands(text: str) -> list[list[str]]:
    """Split a command string into commands and words, with virsh's quoting rules.

    Single quotes keep text literally, double quotes allow backslash escapes, a backslash
    escapes the next character, an unquoted ``;`` or newline ends a command and an unquoted
    ``#`` at the start of a word comments out the rest of the line.  An unterminated single
    quote runs to the end of the text; an unterminated double quote is an error (as in virsh).
    """
    commands: list[list[str]] = []
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        if ch in ";\n":
            if words:
                commands.append(words)
            words = []
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        word: list[str] = []
        quote = ""
        while i < n:
            ch = text[i]
            if quote == "'":
                if ch == "'":
                    quote = ""
                else:
                    word.append(ch)
            elif ch == "\\" and i + 1 < n:
                i += 1
                word.append(text[i])
            elif quote == '"':
                if ch == '"':
                    quote = ""
                else:
                    word.append(ch)
            elif ch in "'\"":
                quote = ch
            elif ch in " \t;\n":
                break
            else:
                word.append(ch)
            i += 1
        if quote == '"':
            raise CommandError('missing "', parse=True)  # virsh lets a single quote run to the end
        words.append("".join(word))
    if words:
        commands.append(words)
    return commands


def parse_args(command: Command, words: Sequence[str]) -> Args:
    """Match ``words`` (after the command name) to ``command``'s options.

    Raises :class:`CommandError` (``parse=True``) with virsh's wording for an unknown or
    repeated option, a missing value, stray data or a missing required option.
    """
    values: dict[str, str | bool] = {}
    positionals = [opt for opt in command.options if opt.positional]
    options_done = False
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not options_done and word == "--":
            options_done = True
            continue
        if not options_done and word.startswith("--") and len(word) > 2:
            name, eq, value = word[2:].partition("=")
            opt = command.option(name)
            if opt is None:
                raise CommandError(f"command '{command.name}' doesn't support option --{name}", parse=True)
            if name in values and opt.kind is not Kind.ARGV:
                raise CommandError(f"option --{name} already seen", parse=True)
            if opt.kind is Kind.BOOL:
                if eq:
                    raise CommandError(f"invalid '=' after option --{name}", parse=True)
                values[name] = True
                continue
            if not eq:
                if i >= len(words):
                    raise CommandError(f"expected syntax: --{name} {opt.kind.value}", parse=True)
                value = words[i]
                i += 1
            previous = values.get(name)
            values[name] = f"{previous}\0{value}" if isinstance(previous, str) else value
            continue
        slot = next((opt for opt in positionals if opt.name not in values or opt.kind is Kind.ARGV), None)
        if slot is None:
            raise CommandError(f"unexpected data '{word}'", parse=True)
        previous = values.get(slot.name)
        values[slot.name] = f"{previous}\0{word}" if isinstance(previous, str) else word
    for opt in command.options:
        if opt.required and opt.name not in values:
            shown = f"<{opt.name}>" if opt.kind is Kind.DATA else f"--{opt.name}"
            raise CommandError(f"command '{command.name}' requires {shown} option", parse=True)
    return Args(values)
