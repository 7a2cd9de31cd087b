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
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon" / "tests"))

from pki import PKI
from tls_helpers import free_port, start, wait_for_port, write_auth_conf

import pyvirt
from pyvirt_daemon import sasl

LIBVIRTD = "/usr/sbin/libvirtd"


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


def libvirtd_tls(workdir: Path, pki: PKI) -> tuple[subprocess.Popen[bytes], int] | None:
    if not os.access(LIBVIRTD, os.X_OK) or os.geteuid() != 0:
        return None
    port = free_port()
    (workdir / "drivers").mkdir(parents=True)
    conf = workdir / "libvirtd.conf"
    conf.write_text(
        f'listen_tls = 1\nlisten_tcp = 0\nlisten_addr = "127.0.0.1"\ntls_port = "{port}"\nauth_tls = "none"\n'
        f'unix_sock_dir = "{workdir}"\nca_file = "{pki.server_dir / "cacert.pem"}"\n'
        f'cert_file = "{pki.server_dir / "servercert.pem"}"\nkey_file = "{pki.server_dir / "serverkey.pem"}"\n'
    )
    proc = subprocess.Popen(
        [LIBVIRTD, "-f", str(conf), "-l", "-p", str(workdir / "pid")],
        env=dict(os.environ, LIBVIRT_DRIVER_DIR=str(workdir / "drivers")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--opens", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as tmp:
        base = Path(tmp)
        pki = PKI(base / "pki")
        pkipath = pki.client("bench")
        db = base / "sasl-passwd"
        db.write_text(sasl.format_entry("bench", sasl.secret("bench password")) + "\n")
        os.environ["LIBVIRT_AUTH_FILE"] = str(write_auth_conf(base / "auth.conf", "bench", "bench password"))
        plain = start(base / "plain", pki.server_settings(free_port()))
        logins = start(
            base / "sasl", pki.server_settings(free_port(), auth_unix_rw="sasl", auth_tls="sasl", sasl_db=str(db))
        )
        reference = libvirtd_tls(base / "libvirtd", pki)

        def tls(port: object) -> str:
            return f"test+tls://127.0.0.1:{port}/default?pkipath={pkipath}"

        cases: list[tuple[str, Callable[[], str]]] = [
            ("pyvirtd unix", plain.uri),
            ("pyvirtd unix + SASL", logins.uri),
            ("pyvirtd TLS", lambda: tls(plain.settings["tls_port"])),
            ("pyvirtd TLS + SASL", lambda: tls(logins.settings["tls_port"])),
        ]
        if reference is not None:
            cases.append(("libvirtd TLS", lambda: tls(reference[1])))
        try:
            print(f"{'case':24} {'open ms':>9} {'rtt µs (median)':>16} {'rtt µs (p99)':>13}")
            for name, uri in cases:
                opened, median, p99 = measure(uri(), args.calls, args.opens)
                print(f"{name:24} {opened * 1e3:9.2f} {median * 1e6:16.0f} {p99 * 1e6:13.0f}")
        finally:
            plain.stop()
            logins.stop()
            if reference is not None:
                reference[0].send_signal(signal.SIGTERM)
                reference[0].wait(15)


if __name__ == "__main__":
    main()
