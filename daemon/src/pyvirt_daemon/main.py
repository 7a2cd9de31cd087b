"""``pyvirtd``: the command line of the daemon.

Exit status: 0 after a clean stop, 1 when the daemon cannot start (bad configuration, a
socket it cannot bind, another daemon holding the pid file); the reason goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyvirt_daemon import config as config_mod
from pyvirt_daemon.config import ConfigError
from pyvirt_daemon.pidfile import PidFile, PidFileError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pyvirtd", description="Serve pyvirt's drivers over libvirt's RPC protocol (runs in the foreground)."
    )
    parser.add_argument("-f", "--config", metavar="FILE", help="TOML configuration file (libvirtd.conf's keys)")
    parser.add_argument("-p", "--pid-file", metavar="FILE", help="pid file (default: run/pyvirtd.pid under root)")
    parser.add_argument(
        "-l", "--listen", action="store_true", help="also listen for network clients (listen_tcp/listen_tls)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = {"pid_file": args.pid_file}
    try:
        config = config_mod.load(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"pyvirtd: error: {exc}", file=sys.stderr)
        return 1

    from pyvirt.plugins import host
    from pyvirt_daemon import logsetup
    from pyvirt_daemon.server import Daemon

    # Inside the daemon every URI is served by a local driver, never routed to a daemon again.
    host().server_side = True
    host().root = config.root  # where the stateful drivers keep their files
    logsetup.configure(config)
    pid_file = PidFile(Path(config.pid_file))
    try:
        daemon = Daemon(config, args.config, args.listen, overrides)
        pid_file.acquire()
    except (ConfigError, PidFileError) as exc:
        print(f"pyvirtd: error: {exc}", file=sys.stderr)
        return 1
    try:
        daemon.run()
    except (ConfigError, OSError) as exc:
        print(f"pyvirtd: error: {exc}", file=sys.stderr)
        return 1
    finally:
        pid_file.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
