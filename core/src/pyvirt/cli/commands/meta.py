"""Commands about pyvirsh itself: help, quit, and what virsh lacks (drivers, completion)."""

from __future__ import annotations

from pyvirt.cli import helptext
from pyvirt.cli.commands import GROUPS, PYVIRSH, VIRSH, command, table
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError
from pyvirt.cli.parser import Args, Kind, Opt, data, flag


@command(
    "help",
    VIRSH,
    "print help",
    "Prints global help, command specific help, or help for a\n    group of related commands",
    Opt(
        "command",
        Kind.STRING,
        "Prints global help, command specific help, or help for a group of related commands",
        positional=True,
        complete="command",
    ),
    connect=False,
)
def help_(ctl: Ctl, args: Args) -> None:
    commands = table()
    name = args.get("command")
    if name is None:
        ctl.output.print("Grouped commands:\n")
        ctl.output.out.write(helptext.groups_help(GROUPS, commands))
        return
    if name in commands:
        ctl.output.out.write(helptext.command_help(commands[name]))
        return
    for group in GROUPS:
        if helptext.keyword(group) == name:
            ctl.output.out.write(helptext.group_help(group, commands))
            return
    raise CommandError(f"command or command group '{name}' doesn't exist")


@command("quit", VIRSH, "quit this interactive terminal", "", connect=False)
def quit_(ctl: Ctl, args: Args) -> None:
    ctl.quit = True


@command("exit", VIRSH, "quit this interactive terminal", "", connect=False)
def exit_(ctl: Ctl, args: Args) -> None:
    ctl.quit = True


@command(
    "connect",
    VIRSH,
    "(re)connect to hypervisor",
    "Connect to local hypervisor. This is built-in command after shell start up.",
    Opt("name", Kind.STRING, "hypervisor connection URI", positional=True),
    flag("readonly", "read-only connection"),
    connect=False,
)
def connect(ctl: Ctl, args: Args) -> None:
    ctl.close()
    if args.get("name") is not None:
        ctl.uri, ctl.uri_source = args.get("name"), "option"
    ctl.readonly = args.flag("readonly")
    ctl.conn  # noqa: B018 -- open now, so a bad URI fails here as in virsh


@command(
    "drivers",
    PYVIRSH,
    "list installed driver plugins",
    "Lists the installed driver plugins (distribution, version, URI scheme) without importing them;\n"
    "    --check imports each one and says whether it loads.",
    flag("check", "import each driver and report whether it loads"),
    connect=False,
)
def drivers(ctl: Ctl, args: Args) -> None:
    from pyvirt.registry import installed_drivers

    found = installed_drivers()
    docs: list[dict[str, object]] = []
    rows = []
    for info in found:
        doc: dict[str, object] = {
            "scheme": info.scheme,
            "distribution": info.distribution,
            "version": info.version,
            "target": info.target,
        }
        row = [info.scheme, info.distribution, info.version, info.target]
        if args.flag("check"):
            problem = _load_problem(info.scheme)
            doc["loads"], doc["error"] = problem is None, problem
            row.append("yes" if problem is None else f"no: {problem}")
        docs.append(doc)
        rows.append(row)
    header = ["Scheme", "Distribution", "Version", "Entry point"] + (["Loads"] if args.flag("check") else [])
    ctl.output.table(docs, header, rows)


def _load_problem(scheme: str) -> str | None:
    """None when the scheme's driver imports, else why not."""
    from pyvirt.errors import PyvirtError
    from pyvirt.registry import load_driver_plugins

    try:
        load_driver_plugins(scheme)
    except PyvirtError as exc:
        return exc.message
    return None


@command(
    "completion",
    PYVIRSH,
    "print a shell completion script",
    'Prints a completion script for bash or zsh; e.g. in ~/.bashrc:\n    eval "$(pyvirsh completion bash)"',
    data("shell", "bash or zsh"),
    connect=False,
)
def completion(ctl: Ctl, args: Args) -> None:
    from pyvirt.cli import completion as scripts

    shell = args.req("shell")
    if shell not in scripts.SHELLS:
        raise CommandError(f"unsupported shell '{shell}' (expected one of: {', '.join(scripts.SHELLS)})")
    ctl.output.out.write(scripts.script(shell, table()))
