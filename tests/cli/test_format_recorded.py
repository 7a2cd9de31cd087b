"""pyvirsh's output formats held to recorded virsh 9.0 output, with no libvirt installed.

``data/virsh-output.json`` is what real virsh printed (``data/record_virsh.py`` made it): tables,
``dominfo``/``nodeinfo``/``pool-info`` fields and sizes across every unit boundary.  pyvirsh runs
the same command lines in this process and must print the same bytes, so a formatting regression
("1024.00 KiB" for 1024 bytes) fails on a machine without libvirt.  Where virsh is installed, one
test checks that the recording is still what it prints.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pyvirt.cli.units import pretty

if TYPE_CHECKING:
    from tests.cli.conftest import Run

DATA = Path(__file__).resolve().parent / "data"
RECORDED = json.loads((DATA / "virsh-output.json").read_text())
COMMANDS: dict[str, dict[str, str | int]] = RECORDED["commands"]

sys.path.insert(0, str(DATA))
from record_virsh import mask, run_virsh  # type: ignore[import-not-found]  # noqa: E402


@pytest.mark.parametrize("command", list(COMMANDS))
def test_pyvirsh_prints_what_virsh_printed(command: str, cli: Run) -> None:
    expected = COMMANDS[command]
    result = cli("-c", RECORDED["uri"], command)
    assert mask(result.out) == expected["stdout"]
    assert mask(result.err) == expected["stderr"]
    assert result.status == expected["status"]


_FIELD = re.compile(r"^(Capacity|Allocation|Available): +(.+)$", re.MULTILINE)


def _size_pairs() -> list[tuple[int, str]]:
    """(bytes, virsh's text) from each object a recorded command printed plain, then ``--bytes``."""
    pairs: set[tuple[int, str]] = set()
    for result in COMMANDS.values():
        blocks = [_FIELD.findall(block) for block in str(result["stdout"]).split("\n\n")]
        for plain, raw in itertools.pairwise(blocks):
            if plain and raw and raw[0][1].endswith(" bytes") and not plain[0][1].endswith(" bytes"):
                pairs.update((int(r.split()[0]), p) for (_, p), (_, r) in zip(plain, raw, strict=True))
    return sorted(pairs)


SIZES = _size_pairs()


def test_the_recording_holds_sizes_across_every_unit() -> None:
    units = {text.split()[1] for _, text in SIZES}
    assert {"B", "KiB", "MiB", "GiB", "TiB"} <= units
    assert (1024, "1.00 KiB") in SIZES and (1048575, "1024.00 KiB") in SIZES


@pytest.mark.parametrize(("size", "text"), SIZES)
def test_pretty_sizes_as_virsh(size: int, text: str) -> None:
    assert pretty(size) == text


@pytest.mark.needs_libvirt("virsh")
def test_the_recording_is_what_virsh_prints() -> None:
    for command, expected in COMMANDS.items():
        assert run_virsh(command) == expected, command
