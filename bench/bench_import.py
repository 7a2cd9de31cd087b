"""Start-up cost: what `import pyvirt` and opening test:///default import, and how long it takes.

Prints the cumulative `-X importtime` figure of every top-level module imported (median of
several fresh interpreters), so a regression names its culprit, and the wall time of the same
commands next to a bare `python -c pass`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15
CASES = {
    "python -c pass": "pass",
    "import pyvirt": "import pyvirt",
    "import pyvirt + open test:///default": "import pyvirt; pyvirt.open('test:///default').close()",
}


def importtime(code: str) -> dict[str, int]:
    """Cumulative µs per top-level import, from one fresh interpreter."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True).stderr
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


def wall_ms(code: str) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    print(f"{'case':<40} {'wall median ms':>15} {'importtime total ms':>20}")
    for label, code in CASES.items():
        totals = [sum(importtime(code).values()) for _ in range(5)]
        print(f"{label:<40} {wall_ms(code):>15.1f} {statistics.median(totals) / 1000:>20.1f}")
    print("\nlargest top-level imports for 'import pyvirt + open test:///default' (cumulative ms):")
    costs = importtime(CASES["import pyvirt + open test:///default"])
    for name, us in sorted(costs.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:<30} {us / 1000:8.1f}")


if __name__ == "__main__":
    main()
