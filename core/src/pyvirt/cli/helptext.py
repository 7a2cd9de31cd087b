"""``help`` output in virsh's layout: the grouped command list and one command's manual."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyvirt.cli.parser import Command, Kind, Opt


def command_help(command: Command) -> str:
    """NAME / SYNOPSIS / DESCRIPTION / OPTIONS, as ``virsh help <command>`` prints them."""
    synopsis = " ".join([command.name, *(_synopsis(opt) for opt in command.options)])
    text = f"  NAME\n    {command.name} - {command.summary}\n\n  SYNOPSIS\n    {synopsis}\n\n"
    if command.description:
        text += f"  DESCRIPTION\n    {command.description}\n\n"
    if command.options:
        text += "  OPTIONS\n" + "".join(f"    {_label(opt):<15}  {opt.help}\n" for opt in command.options) + "\n"
    return text


def _synopsis(opt: Opt) -> str:
    if opt.kind is Kind.BOOL:
        return f"[--{opt.name}]"
    if opt.kind is Kind.ARGV:  # virsh: {...}... when required, [...]... when not
        return f"{{[--{opt.name}] <string>}}..." if opt.required else f"[[--{opt.name}] <string>]..."
    if opt.positional and opt.required:
        return f"<{opt.name}>"
    return f"--{opt.name} {opt.kind.value}" if opt.required else f"[--{opt.name} {opt.kind.value}]"


def _label(opt: Opt) -> str:
    if opt.kind is Kind.BOOL:
        return f"--{opt.name}"
    if opt.kind is Kind.ARGV:
        return f"[--{opt.name}] <string>"
    if opt.positional and opt.required:
        return f"[--{opt.name}] {opt.kind.value}"
    return f"--{opt.name} {opt.kind.value}"


def groups_help(groups: Sequence[str], commands: Mapping[str, Command], *, colon: bool = True) -> str:
    """Every group with its commands, a blank line after each (``help``; ``-h`` has no colons)."""
    return "".join(group_help(group, commands, colon=colon) + "\n" for group in groups)


def group_help(group: str, commands: Mapping[str, Command], *, colon: bool = True) -> str:
    """One group's heading and its commands, one per line."""
    lines = [f" {group}{':' if colon else ''}"]
    lines += [
        f"    {c.name:<30} {c.summary}" for c in sorted(commands.values(), key=lambda c: c.name) if c.group == group
    ]
    return "\n".join(lines) + "\n"


def keyword(group: str) -> str:
    """The group's help keyword: ``domain`` for "Domain Management (help keyword 'domain')"."""
    return group.rsplit("'", 2)[-2]
