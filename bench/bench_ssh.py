"""What the pipe transports and access control cost: pyvirt's remote driver to pyvirtd over the
unix socket, ``+ext`` (a bridge process) and ``+ssh`` (a private OpenSSH server on loopback,
through pyvirt-ssh-helper and through nc), and over the unix socket with an access policy.

    .venv/bin/python bench/bench_ssh.py [--opens 10] [--calls 2000]

Prints, per path, the median time to open and close a connection and the median time of one
call (``virDomainLookupByName``).  Needs root (sshd with root login) and OpenSSH.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "core" / "tests" / "remote"))

from sshd import Sshd, missing  # noqa: E402

import pyvirt  # noqa: E402
from pyvirt_daemon.process import DaemonProcess  # noqa: E402

POLICY = '[[rule]]\nuid = 0\nallow = ["connect.*", "domain.getattr", "domain.read"]\nnames = ["te*"]\n'


def measure(uri: str, opens: int, calls: int) -> tuple[float, float]:
    open_times = []
    for _ in range(opens):
        start = time.perf_counter()
        pyvirt.open(uri).close()
        open_times.append(time.perf_counter() - start)
    conn = pyvirt.open(uri)
    try:
        call_times = []
        for _ in range(calls):
            start = time.perf_counter()
            conn.lookup_domain_by_name("test")
            call_times.append(time.perf_counter() - start)
    finally:
        conn.close()
    return statistics.median(open_times), statistics.median(call_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"skipped: {reason}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-ssh-"))
    sshd = Sshd(work / "sshd").start()
    policy = work / "policy.toml"
    policy.write_text(POLICY)
    plain = DaemonProcess(work / "plain").start()
    guarded = DaemonProcess(work / "guarded", {"access_policy": str(policy)}).start()
    try:
        known = sshd.known_hosts(work / "known_hosts")
        ssh = (
            f"test+ssh://root@127.0.0.1:{sshd.port}/default?keyfile={sshd.client_key}&no_tty=1"
            f"&known_hosts={known}&socket={plain.socket}"
        )
        bridge = [sys.executable, "-m", "pyvirt_daemon.ssh_helper", "--socket", str(plain.socket), "test:///default"]
        paths = {
            "unix": plain.uri(),
            "unix + access policy": guarded.uri(),
            "ext (pyvirt-ssh-helper)": f"test+ext:///default?command={quote(shlex.join(bridge))}",
            "ssh (pyvirt-ssh-helper)": ssh + "&proxy=native",
            "ssh (nc)": ssh + "&proxy=netcat",
        }
        print(f"{'path':<26} {'open+close':>12} {'one call':>10}")
        for label, uri in paths.items():
            opened, call = measure(uri, args.opens, args.calls)
            print(f"{label:<26} {opened * 1e3:>9.1f} ms {call * 1e6:>7.0f} us")
    finally:
        plain.stop()
        guarded.stop()
        sshd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
