"""Record what real virsh prints for the output formats pyvirsh copies, as test data.

    .venv/bin/python tests/cli/data/record_virsh.py     (needs libvirt's virsh)

Writes ``virsh-output.json`` beside this file: for each command line of :data:`COMMANDS`, run
on a fresh ``test:///default``, virsh's exit status, stdout and stderr (C locale, volatile
values masked).  ``tests/cli/test_format_recorded.py`` holds pyvirsh to these texts on machines
without libvirt, and checks, where virsh is installed, that the recording is still what it prints.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "virsh-output.json"
URI = "test:///default"

SIZES = [0, 1, 1023, 1024, 1025, 1536, 10240, 1048575, 1048576, 1572864, 5000000, 1073741824, 1610612736,
         10737418240, 1099511627776]  # fmt: skip
"""Volume capacities in bytes that cross each unit boundary of virsh's size formatting."""

_CREATE = "; ".join(
    f"vol-create-as default-pool v{size} {size} --allocation {min(size // 2, 1 << 30)}" for size in SIZES
)
_INFO = "; ".join(
    f"vol-info v{size} --pool default-pool; vol-info v{size} --pool default-pool --bytes" for size in SIZES
)

COMMANDS = [
    "list",
    "list --all",
    "list --all --title",
    "list --name",
    "list --uuid",
    "list --table --uuid",
    "list --all --name --uuid",
    "dominfo test",
    "destroy test; dominfo test",
    "setmem test 1024; autostart test; dominfo test",
    "nodeinfo",
    "freecell",
    "freecell --all",
    "freecell --cellno 1",
    "domblklist test",
    "domblklist test --details",
    "domiflist test",
    "vcpucount test",
    "domstate test --reason",
    "net-list --all",
    "net-info default",
    "net-destroy default; net-list --all",
    "pool-list --all",
    "pool-list --all --details",
    "pool-info default-pool",
    "pool-info default-pool --bytes",
    "vol-list default-pool",
    f"{_CREATE}; vol-list default-pool",
    f"{_CREATE}; vol-list default-pool --details",
    f"{_CREATE}; pool-list --all --details",
    f"{_CREATE}; {_INFO}",
    f"{_CREATE}; pool-info default-pool; pool-info default-pool --bytes",
]

VOLATILE = [
    (re.compile(r"CPU time: +[0-9.]+s"), "CPU time: <masked>"),
    (re.compile(r"last_update [0-9]+"), "last_update <masked>"),
]
"""What changes from run to run (the test driver's CPU time is the clock); pyvirsh's is masked alike."""


def mask(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def run_virsh(command: str) -> dict[str, object]:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    done = subprocess.run(["virsh", "-c", URI, command], capture_output=True, text=True, env=env, timeout=60)
    return {"status": done.returncode, "stdout": mask(done.stdout), "stderr": mask(done.stderr)}


def virsh_version() -> str:
    return subprocess.run(["virsh", "--version"], capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    recorded = {"virsh": virsh_version(), "uri": URI, "commands": {command: run_virsh(command) for command in COMMANDS}}
    OUTPUT.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(COMMANDS)} commands of virsh {recorded['virsh']} in {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
