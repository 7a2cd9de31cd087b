"""Cold start of pyvirsh next to libvirt's virsh: whole processes, medians of many runs.

    .venv/bin/python bench/bench_cli.py [--runs 30]

Times a representative set of commands (listings, an info, a dump, a define + undefine, a
node-file URI) on ``test:///default``, and the same kind of commands on
``test+unix:///default?socket=...`` against a pyvirtd this script starts (both virsh and
pyvirsh talk to the same daemon), each as a fresh process of each program.  Each round runs, in
alternation, ``virsh`` and ``pyvirsh`` for each command, so both see the same machine load.
pyvirsh is timed as users run it: the ``pyvirsh`` program installed next to this interpreter
(``python -m pyvirt.cli`` when there is none, e.g. run from a source tree).  As on an installed
system, Python may cache bytecode (in a private ``PYTHONPYCACHEPREFIX``, so the source tree stays
clean and a stale or missing ``__pycache__`` there, or ``PYTHONDONTWRITEBYTECODE`` in the
caller's environment, does not change the result).

Prints the medians per program and command with the ratio to virsh (wall time, and the CPU
time the child used, which machine load distorts less) and, under each row, what both ran;
then the median of the ratios per URI, and where pyvirsh's start-up goes (each import phase
timed in one child process).  Exits 1 when a median ratio exceeds the budget (the issue's 3x).
Record ``uptime`` beside the figures: on a loaded machine both programs slow down, unevenly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = "test:///default"
BUDGET = 3.0
SMALL_DOMAIN = "<domain type='test'><name>bench-small</name><memory>1024</memory><os><type>hvm</type></os></domain>\n"


def node_file() -> Path:
    """libvirt's example node file from the shared corpus, else the test driver's small one."""
    corpus = Path(os.environ.get("PYVIRT_CORPUS") or REPO.parent / "shared" / "corpus")
    example = corpus / "testdriver" / "testnode.xml"
    return example if example.is_file() else REPO / "plugins" / "pyvirt-test" / "tests" / "data" / "small-node.xml"


def cases(workdir: Path, daemon_uri: str | None) -> list[tuple[str, str, list[str]]]:
    """(URI group, label, arguments after the program) of every timed command."""
    small = workdir / "small.xml"
    small.write_text(SMALL_DOMAIN)
    remote: list[tuple[str, list[str]]] = []
    if daemon_uri is not None:
        remote = [
            ("unix: list --all", ["-c", daemon_uri, "list", "--all"]),
            ("unix: dominfo test", ["-c", daemon_uri, "dominfo", "test"]),
            ("unix: dumpxml test", ["-c", daemon_uri, "dumpxml", "test"]),
            ("unix: pool-list --all", ["-c", daemon_uri, "pool-list", "--all"]),
        ]
    local = [
        ("list --all", ["-c", DEFAULT, "list", "--all"]),
        ("dominfo test", ["-c", DEFAULT, "dominfo", "test"]),
        ("dumpxml test", ["-c", DEFAULT, "dumpxml", "test"]),
        ("net-list --all", ["-c", DEFAULT, "net-list", "--all"]),
        ("pool-list --all", ["-c", DEFAULT, "pool-list", "--all"]),
        ("vol-list default-pool", ["-c", DEFAULT, "vol-list", "default-pool"]),
        ("define + undefine", ["-c", DEFAULT, f"define {small}; undefine bench-small"]),
        (f"node file: list --all ({node_file().name})", ["-c", f"test://{node_file()}", "list", "--all"]),
    ]
    return [(DEFAULT, label, args) for label, args in local] + [("pyvirtd unix", label, args) for label, args in remote]


@contextlib.contextmanager
def pyvirtd() -> Iterator[str | None]:
    """A private pyvirtd (its test+unix URI), or None when the daemon is not installed."""
    try:
        from pyvirt_daemon.process import DaemonProcess
    except ImportError:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bench-cli-pyvirtd-") as root, DaemonProcess(Path(root)) as daemon:
        yield daemon.uri()


def _time(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) milliseconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per program and command (default 30)")
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYVIRT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "pyvirt-bench-pycache")
    installed = Path(sys.executable).with_name("pyvirsh")
    programs = {"pyvirsh": [str(installed)] if installed.exists() else [sys.executable, "-m", "pyvirt.cli"]}
    if shutil.which("virsh"):
        programs = {"virsh": ["virsh"], **programs}
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, pyvirtd() as daemon_uri:
        commands = cases(Path(tmp), daemon_uri)
        for _ in range(2):  # warm the page cache and bytecode caches once, untimed
            for _, _, args in commands:
                for argv in programs.values():
                    subprocess.run([*argv, *args], stdout=subprocess.DEVNULL, env=env, check=True)
        for _ in range(options.runs):
            for _, label, args in commands:
                for name, argv in programs.items():
                    samples.setdefault((name, label), []).append(_time([*argv, *args], env))
        phases = _phases(env, options.runs, daemon_uri)
    print(f"load at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    header = (
        f"{'command':<38} {'program':<8} {'wall ms':>8} {'p10':>7} {'p90':>7} {'vs virsh':>9} {'cpu ms':>7} {'vs':>6}"
    )
    print(header)
    ratios: dict[str, list[tuple[float, float]]] = {}
    for group, label, args in commands:
        base = _medians(samples[("virsh", label)]) if "virsh" in programs else None
        for name in programs:
            wall, cpu = _medians(samples[(name, label)])
            walls = sorted(w for w, _ in samples[(name, label)])
            p10, p90 = walls[len(walls) // 10], walls[(len(walls) * 9) // 10]
            vs = f"{wall / base[0]:.1f}x" if base else "-"
            vs_cpu = f"{cpu / base[1]:.1f}x" if base else "-"
            print(f"{label:<38} {name:<8} {wall:>8.1f} {p10:>7.1f} {p90:>7.1f} {vs:>9} {cpu:>7.1f} {vs_cpu:>6}")
            if base and name == "pyvirsh":
                ratios.setdefault(group, []).append((wall / base[0], cpu / base[1]))
        print(f"    both: a fresh process of the program with: {' '.join(args)}  (stdout discarded)")
    print(f"(runs per cell: {options.runs})")
    over = False
    for group, pairs in ratios.items():
        wall_ratio = statistics.median(w for w, _ in pairs)
        cpu_ratio = statistics.median(c for _, c in pairs)
        over = over or wall_ratio > BUDGET
        print(
            f"{group}: median ratio pyvirsh/virsh over {len(pairs)} commands: wall {wall_ratio:.2f}x, "
            f"cpu {cpu_ratio:.2f}x (budget {BUDGET:g}x on wall time)"
        )
    print()
    print("\n".join(phases))
    return 1 if over else 0


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


_PHASES = """
import sys, time
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
times = [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
if len(sys.argv) > 1:
    t5 = time.perf_counter()
    pyvirt.open(sys.argv[1]).close()
    times.append(time.perf_counter() - t5)
print(*times)
"""

_PHASE_NAMES = (
    "import pyvirt (core API)",
    "import pyvirt.plugins (no pluggy until a hook runs)",
    "import the CLI + the command's module",
    "open test:///default (driver import + open)",
    "open pyvirtd's unix URI (remote driver + codec import, handshake)",
)


def _phases(env: dict[str, str], runs: int, daemon_uri: str | None) -> list[str]:
    """Median time of each start-up phase of pyvirsh, measured inside one interpreter (the
    remote open while ``daemon_uri``'s pyvirtd runs)."""
    start = [_time([sys.executable, "-c", "pass"], env)[0] for _ in range(runs)]
    names = _PHASE_NAMES if daemon_uri is not None else _PHASE_NAMES[:-1]
    extra = [daemon_uri] if daemon_uri is not None else []
    measured: list[list[float]] = [[] for _ in names]
    for _ in range(runs):
        argv = [sys.executable, "-c", _PHASES, *extra]
        out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
        for column, value in zip(measured, out.stdout.split(), strict=True):
            column.append(float(value) * 1000)
    lines = [f"{'pyvirsh start-up phase':<66} {'median ms':>10}"]
    lines.append(f"{'interpreter start (python -c pass)':<66} {statistics.median(start):>10.1f}")
    lines += [f"{name:<66} {statistics.median(column):>10.1f}" for name, column in zip(names, measured, strict=True)]
    return lines


if __name__ == "__main__":
    sys.exit(main())
