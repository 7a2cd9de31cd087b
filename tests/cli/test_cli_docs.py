"""docs/cli.md cannot rot: every command is listed and every JSON field is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pyvirt.cli.commands import table

if TYPE_CHECKING:
    from tests.cli.conftest import Run

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()

JSON_COMMANDS = [
    "list --all", "list --all --title", "dominfo test", "domstate test", "domid test", "domname 1",
    "domuuid test", "vcpucount test", "vcpucount test --live", "dommemstat test", "domblklist test",
    "domiflist test", "nodeinfo", "hostname", "uri", "version", "freecell --all", "net-list --all",
    "net-info default", "net-uuid default", "net-name dd8fe884-6c02-601e-7551-cca97df1c5df", "pool-list --all",
    "pool-info default-pool", "vol-list default-pool", "drivers --check",
]  # fmt: skip


def test_every_command_is_documented() -> None:
    missing = [name for name in table() if f"`{name}`" not in DOC]
    assert not missing


def _keys(document: object) -> set[str]:
    if isinstance(document, list):
        return set().union(*(_keys(item) for item in document)) if document else set()
    if isinstance(document, dict):
        return set(document)
    return set()


def _json_row(command: str) -> str:
    """The row of the JSON section's table whose first cell names ``command``."""
    section = DOC[DOC.index("## JSON output") :]
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and f"`{command}`" in cells[1]:
            return line
    raise AssertionError(f"{command} has no row in the JSON table of docs/cli.md")


@pytest.mark.parametrize("command", JSON_COMMANDS)
def test_json_fields_are_documented(cli: Run, command: str) -> None:
    result = cli("--json", "-c", "test:///default", command)
    assert result.status == 0, result.err
    name = command.split()[0]
    row = _json_row(name)
    keys = _keys(json.loads(result.out))
    if name == "dommemstat":
        return  # libvirt's statistic names, documented as such
    if name == "freecell":
        keys -= {"0", "1"}
    undocumented = [key for key in keys if not re.search(rf"\b{re.escape(key)}\b", row)]
    assert not undocumented, f"{name}: {undocumented}"
