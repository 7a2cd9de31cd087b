"""virsh's output formats: tables, sizes, help pages (expected texts captured from virsh 9.0)."""

from __future__ import annotations

import pytest

from pyvirt.cli import helptext, table
from pyvirt.cli.commands import table as command_table
from pyvirt.cli.units import parse_scaled, pretty


def test_table_matches_virsh_list() -> None:
    text = table.render(["Id", "Name", "State"], [["1", "test", "running"], ["-", "t2", "shut off"]])
    assert text == (
        " Id   Name   State\n"
        "-----------------------\n"
        " 1    test   running\n"
        " -    t2     shut off\n"
    )  # fmt: skip


def test_table_pads_an_empty_last_cell_like_virsh() -> None:
    text = table.render(["Id", "Name", "State", "Title"], [["1", "test", "running", ""]])
    assert text.splitlines()[2] == " 1    test   running   "
    assert text.splitlines()[1] == "-" * 30


def test_quiet_table_has_no_header_and_narrower_columns() -> None:
    assert table.render(["Id", "Name", "State"], [["1", "test", "running"]], quiet=True) == " 1   test   running\n"


def test_empty_table_keeps_header_widths() -> None:
    assert table.render(["Name", "Path"], []) == " Name   Path\n--------------\n"


def test_wide_characters_count_double() -> None:
    assert table.width("名前") == 4


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0.00 B"), (1023, "1023.00 B"), (10485760, "10.00 MiB"), (107374182400, "100.00 GiB"),
     (547356672, "522.00 MiB")],
)  # fmt: skip
def test_pretty(size: int, text: str) -> None:
    assert pretty(size) == text


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("10", 1024, 10240), ("10M", 1, 10485760), ("1GiB", 1, 1 << 30), ("5KB", 1, 5000), ("7b", 1024, 7),
     ("1x", 1, None), ("", 1, None), ("M", 1, None), ("2Mb", 1, 2_000_000)],
)  # fmt: skip
def test_parse_scaled(text: str, unit: int, expected: int | None) -> None:
    assert parse_scaled(text, unit) == expected


def test_command_help_matches_virsh() -> None:
    assert helptext.command_help(command_table()["autostart"]) == (
        "  NAME\n"
        "    autostart - autostart a domain\n\n"
        "  SYNOPSIS\n"
        "    autostart <domain> [--disable]\n\n"
        "  DESCRIPTION\n"
        "    Configure a domain to be automatically started at boot.\n\n"
        "  OPTIONS\n"
        "    [--domain] <string>  domain name, id or uuid\n"
        "    --disable        disable autostarting\n\n"
    )


def test_every_command_the_issue_lists_exists() -> None:
    wanted = """list dominfo domstate domid domname domuuid dumpxml define create undefine start shutdown destroy
    reboot reset suspend resume save restore autostart setmem setmaxmem setvcpus vcpucount dommemstat domblklist
    domiflist net-list net-info net-dumpxml net-define net-create net-start net-destroy net-undefine net-autostart
    net-uuid net-name pool-list pool-info pool-dumpxml pool-define pool-define-as pool-build pool-start pool-destroy
    pool-delete pool-undefine pool-refresh pool-autostart vol-list vol-info vol-dumpxml vol-create vol-create-as
    vol-clone vol-delete vol-resize vol-wipe vol-path vol-key nodeinfo capabilities hostname uri version sysinfo
    freecell event help drivers completion""".split()
    assert set(wanted) <= set(command_table())


def test_every_command_has_help_texts() -> None:
    for command in command_table().values():
        assert command.summary, command.name
        assert all(opt.help for opt in command.options), command.name


def test_module_index_matches_the_registrations() -> None:
    from pyvirt.cli.commands import COMMANDS, MODULES

    table = command_table()
    assert set(MODULES) == set(table)
    for name, module in MODULES.items():
        assert COMMANDS[name].handler.__module__ == f"pyvirt.cli.commands.{module}", name


def test_a_run_imports_only_the_modules_it_needs() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from pyvirt.cli.main import main; main(['-q', '-c', 'test:///default', 'list']);"
        "print(sorted(m for m in sys.modules if m.startswith('pyvirt.cli.commands.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "['pyvirt.cli.commands.monitor']"
