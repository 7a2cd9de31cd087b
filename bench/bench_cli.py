"""Cold start of pyvirsh next to libvirt's virsh: whole processes, medians of many runs.

    .venv/bin/python bench/bench_cli.py [--runs 30]

Each round runs, in alternation, ``virsh`` and ``pyvirsh`` for each command, so both see the
same machine load.  pyvirsh is timed through the real interpreter (``python -m pyvirt.cli``
with this interpreter, no shell shim).  As on an installed system, Python may cache bytecode
(in a private ``PYTHONPYCACHEPREFIX``, so the source tree stays clean and a stale or missing
``__pycache__`` there, or ``PYTHONDONTWRITEBYTECODE`` in the caller's environment, does not
change the result).

Prints the medians per program and command with the ratio to virsh, then where pyvirsh's
start-up goes (each import phase timed in one child process); exits 1 when a command's ratio
exceeds the budget (4x).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = (("list", "--all"), ("dominfo", "test"))
URI = "test:///default"
BUDGET = 4.0


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per program and command (default 30)")
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYVIRT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "pyvirt-bench-pycache")
    programs = {"pyvirsh": [sys.executable, "-m", "pyvirt.cli"]}
    if shutil.which("virsh"):
        programs = {"virsh": ["virsh"], **programs}
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(2):  # warm the page cache and bytecode caches once, untimed
        for command in COMMANDS:
            for argv in programs.values():
                subprocess.run([*argv, "-c", URI, *command], stdout=subprocess.DEVNULL, env=env, check=True)
    for _ in range(options.runs):
        for command in COMMANDS:
            for name, argv in programs.items():
                samples.setdefault((name, " ".join(command)), []).append(_time([*argv, "-c", URI, *command], env))
    print(f"{'command':<14} {'program':<8} {'median ms':>10} {'p10':>7} {'p90':>7} {'vs virsh':>9}")
    over = False
    for command in COMMANDS:
        text = " ".join(command)
        base = statistics.median(samples[("virsh", text)]) if "virsh" in programs else None
        for name in programs:
            runs = sorted(samples[(name, text)])
            median = statistics.median(runs)
            p10, p90 = runs[len(runs) // 10], runs[(len(runs) * 9) // 10]
            ratio = f"{median / base:.1f}x" if base else "-"
            print(f"{text:<14} {name:<8} {median:>10.1f} {p10:>7.1f} {p90:>7.1f} {ratio:>9}")
            if base and name == "pyvirsh" and median > BUDGET * base:
                over = True
    print(f"(runs per cell: {options.runs}; budget: pyvirsh at most {BUDGET:g}x virsh's median)")
    print()
    _phases(env, options.runs)
    return 1 if over else 0


_PHASES = """
import time
t0 = time.perf_counter()
import pyvirt
t1 = time.perf_counter()
import pyvirt.plugins
t2 = time.perf_counter()
import pyvirt.cli.main, pyvirt.cli.commands
pyvirt.cli.commands.lookup("list")
t3 = time.perf_counter()
conn = pyvirt.open("test:///default")
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
"""

_PHASE_NAMES = (
    "import pyvirt (core API)",
    "import pyvirt.plugins (pluggy)",
    "import the CLI + the command's module",
    "open test:///default (driver import + open)",
)


def _phases(env: dict[str, str], runs: int) -> None:
    """Median time of each start-up phase of pyvirsh, measured inside one interpreter."""
    start = [_time([sys.executable, "-c", "pass"], env) for _ in range(runs)]
    measured: list[list[float]] = [[] for _ in _PHASE_NAMES]
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _PHASES], capture_output=True, text=True, env=env, check=True)
        for column, value in zip(measured, out.stdout.split(), strict=True):
            column.append(float(value) * 1000)
    print(f"{'pyvirsh start-up phase':<46} {'median ms':>10}")
    print(f"{'interpreter start (python -c pass)':<46} {statistics.median(start):>10.1f}")
    for name, column in zip(_PHASE_NAMES, measured, strict=True):
        print(f"{name:<46} {statistics.median(column):>10.1f}")


if __name__ == "__main__":
    sys.exit(main())
