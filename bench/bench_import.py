"""Start-up cost: what `import pyvirt` and opening test:///default import, and how long it takes.

Prints the cumulative `-X importtime` figure of every top-level module imported (median of
several fresh interpreters), so a regression names its culprit, and the wall and CPU time of the
same commands next to a bare `python -c pass` (CPU time: machine load distorts it less).  As on an
installed system, bytecode is cached (in a private ``PYTHONPYCACHEPREFIX``, whatever the caller's
``PYTHONDONTWRITEBYTECODE``): without it a changed module is compiled in every run.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 15
CASES = {
    "python -c pass": "pass",
    "import pyvirt": "import pyvirt",
    "import pyvirt + open test:///default": "import pyvirt; pyvirt.open('test:///default').close()",
}

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "pyvirt-bench-pycache")


def importtime(code: str) -> dict[str, int]:
    """Cumulative µs per top-level import, from one fresh interpreter."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=ENV
    ).stderr
    out: dict[str, int] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, raw_name = line[len("import time:") :].split("|")
        name = raw_name.strip()
        top_level = len(raw_name) - len(raw_name.lstrip()) == 1
        if top_level and cumulative.strip().isdigit():
            out[name] = out.get(name, 0) + int(cumulative)
    return out


def wall_cpu_ms(code: str) -> tuple[float, float]:
    """Median wall and CPU (user + system) milliseconds of a fresh interpreter running ``code``."""
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV)  # writes the bytecode cache
    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=ENV)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    print(f"{'case':<40} {'wall median ms':>15} {'cpu median ms':>14} {'importtime total ms':>20}")
    for label, code in CASES.items():
        wall, cpu = wall_cpu_ms(code)
        totals = [sum(importtime(code).values()) for _ in range(5)]
        print(f"{label:<40} {wall:>15.1f} {cpu:>14.1f} {statistics.median(totals) / 1000:>20.1f}")
    print("\nlargest top-level imports for 'import pyvirt + open test:///default' (cumulative ms):")
    costs = importtime(CASES["import pyvirt + open test:///default"])
    for name, us in sorted(costs.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<30} {us / 1000:8.1f}")


if __name__ == "__main__":
    main()
