"""Cold start of pyvirsh next to libvirt's virsh: whole processes, medians of many runs.

    .venv/bin/python bench/bench_cli.py [--runs 30]

Times a representative set of commands (:data:`CASES`: listings, an info, a dump, a define +
undefine, a node-file URI), each as a fresh process of each program.  Each round runs, in
alternation, ``virsh`` and ``pyvirsh`` for each command, so both see the same machine load.
pyvirsh is timed through the real interpreter (``python -m pyvirt.cli`` with this interpreter,
no shell shim).  As on an installed system, Python may cache bytecode (in a private
``PYTHONPYCACHEPREFIX``, so the source tree stays clean and a stale or missing ``__pycache__``
there, or ``PYTHONDONTWRITEBYTECODE`` in the caller's environment, does not change the result).

Prints the medians per program and command with the ratio to virsh and, under each row, what
both ran; then the median of the ratios, and where pyvirsh's start-up goes (each import phase
timed in one child process).  Exits 1 when the median ratio exceeds the budget (4x).
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = "test:///default"
BUDGET = 4.0
SMALL_DOMAIN = "<domain type='test'><name>bench-small</name><memory>1024</memory><os><type>hvm</type></os></domain>\n"


def node_file() -> Path:
    """libvirt's example node file from the shared corpus, else the test driver's small one."""
    corpus = Path(os.environ.get("PYVIRT_CORPUS") or REPO.parent / "shared" / "corpus")
    example = corpus / "testdriver" / "testnode.xml"
    return example if example.is_file() else REPO / "plugins" / "pyvirt-test" / "tests" / "data" / "small-node.xml"


def cases(workdir: Path) -> list[tuple[str, list[str]]]:
    """(label, arguments after the program) of every timed command."""
    small = workdir / "small.xml"
    small.write_text(SMALL_DOMAIN)
    return [
        ("list --all", ["-c", DEFAULT, "list", "--all"]),
        ("dominfo test", ["-c", DEFAULT, "dominfo", "test"]),
        ("dumpxml test", ["-c", DEFAULT, "dumpxml", "test"]),
        ("net-list --all", ["-c", DEFAULT, "net-list", "--all"]),
        ("pool-list --all", ["-c", DEFAULT, "pool-list", "--all"]),
        ("vol-list default-pool", ["-c", DEFAULT, "vol-list", "default-pool"]),
        ("define + undefine", ["-c", DEFAULT, f"define {small}; undefine bench-small"]),
        (f"node file: list --all ({node_file().name})", ["-c", f"test://{node_file()}", "list", "--all"]),
    ]


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
    with tempfile.TemporaryDirectory() as tmp:
        commands = cases(Path(tmp))
        for _ in range(2):  # warm the page cache and bytecode caches once, untimed
            for _, args in commands:
                for argv in programs.values():
                    subprocess.run([*argv, *args], stdout=subprocess.DEVNULL, env=env, check=True)
        for _ in range(options.runs):
            for label, args in commands:
                for name, argv in programs.items():
                    samples.setdefault((name, label), []).append(_time([*argv, *args], env))
    print(f"{'command':<38} {'program':<8} {'median ms':>10} {'p10':>7} {'p90':>7} {'vs virsh':>9}")
    ratios = []
    for label, args in commands:
        base = statistics.median(samples[("virsh", label)]) if "virsh" in programs else None
        for name in programs:
            runs = sorted(samples[(name, label)])
            median = statistics.median(runs)
            p10, p90 = runs[len(runs) // 10], runs[(len(runs) * 9) // 10]
            ratio = f"{median / base:.1f}x" if base else "-"
            print(f"{label:<38} {name:<8} {median:>10.1f} {p10:>7.1f} {p90:>7.1f} {ratio:>9}")
            if base and name == "pyvirsh":
                ratios.append(median / base)
        print(f"    both: a fresh process of the program with: {' '.join(args)}  (stdout discarded)")
    print(f"(runs per cell: {options.runs})")
    if ratios:
        middle = statistics.median(ratios)
        print(f"median ratio pyvirsh/virsh over {len(ratios)} commands: {middle:.1f}x (budget {BUDGET:g}x)")
    print()
    _phases(env, options.runs)
    return 1 if ratios and statistics.median(ratios) > BUDGET else 0


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
