"""What TLS and SASL cost: pyvirt's remote driver against pyvirtd over unix, unix+SASL, TLS and
TLS+SASL, and against a private libvirtd over TLS, in the same run.

    .venv/bin/python bench/bench_tls.py [--calls 2000] [--opens 20]

For each case: the median time of ``pyvirt.open`` (connect, handshake, login, CONNECT_OPEN,
keepalive probe, event subscription) and the median and p99 round trip of
``get_version`` on an open connection.  Certificates come from a throwaway CA (trustme) and
the SASL user from a private password file; libvirtd is skipped when not installed or not root.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon" / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # first: its conftest, not daemon/tests'

from pki import PKI
from test_tls_libvirtd import tls_settings, tls_uri
from tls_helpers import free_port, start, write_auth_conf

import pyvirt
from conftest import LIBVIRTD, ReferenceLibvirtd  # the private libvirtd the tests start
from pyvirt_daemon import sasl


def measure(uri: str, calls: int, opens: int) -> tuple[float, float, float]:
    open_times = []
    for _ in range(opens):
        started = time.perf_counter()
        conn = pyvirt.open(uri)
        open_times.append(time.perf_counter() - started)
        conn.close()
    with pyvirt.open(uri) as conn:
        round_trips = []
        for _ in range(calls):
            started = time.perf_counter()
            conn.get_version()
            round_trips.append(time.perf_counter() - started)
    round_trips.sort()
    return statistics.median(open_times), statistics.median(round_trips), round_trips[int(len(round_trips) * 0.99)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--opens", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as tmp, contextlib.ExitStack() as running:
        base = Path(tmp)
        pki = PKI(base / "pki")
        pkipath = pki.client("bench")
        db = base / "sasl-passwd"
        db.write_text(sasl.format_entry("bench", sasl.secret("bench password")) + "\n")
        os.environ["LIBVIRT_AUTH_FILE"] = str(write_auth_conf(base / "auth.conf", "bench", "bench password"))
        plain = start(base / "plain", pki.server_settings(free_port()))
        running.callback(plain.stop)
        logins = start(
            base / "sasl", pki.server_settings(free_port(), auth_unix_rw="sasl", auth_tls="sasl", sasl_db=str(db))
        )
        running.callback(logins.stop)

        def tls(port: object) -> str:
            return f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}"

        cases: list[tuple[str, Callable[[], str]]] = [
            ("pyvirtd unix", plain.uri),
            ("pyvirtd unix + SASL", logins.uri),
            ("pyvirtd TLS", lambda: tls(plain.settings["tls_port"])),
            ("pyvirtd TLS + SASL", lambda: tls(logins.settings["tls_port"])),
        ]
        if os.access(LIBVIRTD, os.X_OK) and os.geteuid() == 0:
            reference = ReferenceLibvirtd(base / "libvirtd", **tls_settings(pki))
            running.callback(reference.stop)
            reference.start()
            cases.append(("libvirtd TLS", lambda: tls_uri(reference, pkipath)))
        print(f"{'case':24} {'open ms':>9} {'rtt µs (median)':>16} {'rtt µs (p99)':>13}")
        for name, uri in cases:
            opened, median, p99 = measure(uri(), args.calls, args.opens)
            print(f"{name:24} {opened * 1e3:9.2f} {median * 1e6:16.0f} {p99 * 1e6:13.0f}")


if __name__ == "__main__":
    main()
